/** Decisions of people on a running upgrade: pause, resume, retry, abort, rollback. Pure. */
import { ok, type Result } from '../result.js';
import {
  audit,
  type By,
  clone,
  type Effect,
  type MachineEvent,
  openApproval,
  refuse,
  type Transition,
} from './machine-core.js';
import { APPROVAL_STEPS, canRollBack, isTerminal, mayHaveRunningStep } from './order.js';
import type { UpgradeRecord } from './record.js';

export function control(r0: UpgradeRecord, e: MachineEvent & By): Result<Transition> {
  const id = r0.id;
  if (isTerminal(r0.state)) return refuse('invalid_state', `${id} is already ${r0.state}.`);
  if (r0.state === 'aborting')
    return refuse(
      'invalid_state',
      `${id} is being aborted: it waits for its running step to stop, then it is aborted and the cluster is free.`,
      `Follow it with \`/istio status ${id}\`.`,
    );
  const r = clone(r0);
  const effects: Effect[] = [];
  // A start progressive mode scheduled is cancelled by any decision of a person: pause, abort and
  // rollback stop it (its delayed run finds a newer state and does nothing); resume asks for an approval.
  delete r.autoStart;
  const changed = (reason?: string) =>
    effects.push({
      kind: 'notify',
      type: 'state_changed',
      key: `${id}:state:${e.type}:${r.rev}`,
      by: e.by,
      ...(reason ? { reason } : {}),
    });
  switch (e.type) {
    case 'pause':
      if (r.state !== 'running' && r.state !== 'awaiting_approval')
        return refuse(
          'invalid_state',
          `${id} is ${r.state}; only a running or waiting upgrade can be paused.`,
        );
      if (r.approval) {
        r.decisions.push({ step: r.approval.step, by: e.by, at: e.at, outcome: 'paused' });
        delete r.approval;
      }
      r.state = 'paused';
      break;
    case 'resume':
      if (r.state !== 'paused') return refuse('invalid_state', `${id} is ${r.state}, not paused.`);
      r.state = 'running';
      r.seq = (r.seq ?? 0) + 1;
      if (APPROVAL_STEPS.includes(r.step)) openApproval(r, e.at, e, effects);
      else effects.push({ kind: 'run' });
      break;
    case 'retry':
      if (r.state !== 'stopped')
        return refuse('invalid_state', `${id} is ${r.state}; only a stopped upgrade can be retried.`);
      r.state = r.rollback ? 'rolling_back' : 'running';
      r.seq = (r.seq ?? 0) + 1;
      delete r.stopped;
      effects.push({ kind: 'run' });
      break;
    case 'abort':
      // A step that may be running is cancelled first: the upgrade is `aborting` (the cluster stays
      // locked) until the finish_abort run has taken over from it; only then is it `aborted`.
      r.state = mayHaveRunningStep(r0) ? 'aborting' : 'aborted';
      r.seq = (r.seq ?? 0) + 1;
      delete r.approval;
      if (r.state === 'aborting') effects.push({ kind: 'run' });
      break;
    case 'rollback':
      if (r.state === 'rolling_back' || (r.state === 'stopped' && r.rollback))
        return refuse(
          'invalid_state',
          `${id} is already rolling back.`,
          'Use retry to continue a stopped rollback.',
        );
      if (!canRollBack(r))
        return refuse(
          'invalid_state',
          `${id} can no longer be rolled back: the old control plane is being removed.`,
        );
      if (r.approval) {
        r.decisions.push({ step: r.approval.step, by: e.by, at: e.at, outcome: 'rolled_back' });
        delete r.approval;
      }
      r.rollback = {
        by: e.by,
        reason: e.reason,
        channel: e.channel,
        at: e.at,
        uninstallCanary: e.uninstallCanary,
      };
      if (!e.uninstallCanary) r.compensations = r.compensations.filter((c) => c.kind !== 'uninstall_canary');
      delete r.stopped;
      r.seq = (r.seq ?? 0) + 1;
      for (const w of r.waves) if (w.status === 'running') w.status = 'failed';
      // With nothing to undo, a step that may be running must still stop before the cluster is free:
      // the compensate run waits for it (and finds nothing to undo).
      if (r.compensations.length > 0 || mayHaveRunningStep(r0)) {
        r.state = 'rolling_back';
        effects.push({ kind: 'run' });
      } else r.state = 'rolled_back';
      break;
  }
  const reason = e.type === 'rollback' ? e.reason : undefined;
  audit(r, e.at, e.by, e.type, e.channel, reason);
  changed(reason);
  return ok({ record: r, effects });
}
