/**
 * Progressive mode (ADR 15): the scheduled start of a wave (or of the finish) that needs no click,
 * run by a delayed job when its bake time is over. It changes nothing on the cluster: it checks the
 * cluster's change windows and freezes as the policy says now, and either lets the machine approve
 * the start for its reason (step_done), moves it to the next opening (StepDeferred → `defer`), or,
 * when no window opens within a week, pauses the upgrade so a person decides.
 */
import { mayApproveAt, nextOpening } from '../../domain/calendar.js';
import { autoStartTarget } from '../../domain/upgrade/progressive.js';
import { StepFailure } from '../runtime.js';
import { StepDeferred, StepHalted, type StepHandler } from './context.js';

/** A job that fires this early (clock skew between processes) waits again instead of starting. */
const EARLY_MS = 1_000;

export const autoStart: StepHandler = async (ctx) => {
  const r = ctx.record;
  const a = r.autoStart;
  if (!a || a.step !== ctx.run.step)
    throw new StepFailure('engine_error', `${r.id} has no scheduled start at ${ctx.run.step}`);
  const now = Date.parse(ctx.now());
  const what = autoStartTarget(a);
  if (now < Date.parse(a.at) - EARLY_MS)
    throw new StepDeferred(a.at, a.deferred ?? 'the bake time is not over');
  const open = mayApproveAt(ctx.calendar, r.cluster, now);
  if (!open.allowed) {
    const next = nextOpening(ctx.calendar, now);
    if (next === null) throw new StepHalted('pause', `${what} did not start by itself: ${open.reason}`);
    throw new StepDeferred(new Date(next).toISOString(), open.reason);
  }
  return { detail: `${what} started without approval (${a.reason})` };
};
