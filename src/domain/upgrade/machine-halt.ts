/**
 * A step that ends in a decision of the engine rather than a failure (issue 13): a wave's traffic
 * analysis failed (the policy's `onFailure`: pause or roll back) or was inconclusive (always pause).
 * Pure. A pause keeps the upgrade at the step, so `resume` runs the analysis again; a rollback is the
 * same saga a person starts (ADR 4), asked for by `engine` with the evidence as its reason.
 */
import { ok, type Result } from '../result.js';
import { control } from './machine-control.js';
import { audit, clone, type MachineEvent, refuse, type Transition } from './machine-core.js';
import type { UpgradeRecord } from './record.js';

export function halt(r0: UpgradeRecord, e: Extract<MachineEvent, { type: 'halt' }>): Result<Transition> {
  if ((r0.seq ?? 0) !== e.seq) return refuse('stale_job', `Run ${e.seq} of ${r0.id} is no longer current.`);
  if (r0.state !== 'running' && r0.state !== 'paused')
    return refuse('invalid_state', `${r0.id} is ${r0.state}.`);
  if (r0.step !== e.step) return refuse('stale_job', `${r0.id} is at ${r0.step}, not ${e.step}.`);
  if (e.action === 'rollback')
    return control(r0, {
      type: 'rollback',
      by: 'engine',
      channel: r0.channel,
      at: e.at,
      reason: e.reason,
      uninstallCanary: true,
    });
  const r = clone(r0);
  r.state = 'paused';
  r.seq = e.seq + 1;
  audit(r, e.at, 'engine', 'paused', undefined, e.reason);
  return ok({
    record: r,
    effects: [
      { kind: 'notify', type: 'state_changed', key: `${r.id}:halt:${e.seq}`, by: 'engine', reason: e.reason },
    ],
  });
}
