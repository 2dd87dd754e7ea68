/**
 * Progressive mode in the state machine (ADR 15): a scheduled start that fell outside the cluster's
 * change windows (or in a freeze) moves to the next opening. Pure. A new run number, so the delayed
 * run of the old time is stale; the thread is told when it will start now.
 */
import { ok, type Result } from '../result.js';
import { audit, clone, type MachineEvent, refuse, type Transition } from './machine-core.js';
import { autoStartTarget } from './progressive.js';
import type { UpgradeRecord } from './record.js';

export function defer(r0: UpgradeRecord, e: Extract<MachineEvent, { type: 'defer' }>): Result<Transition> {
  if ((r0.seq ?? 0) !== e.seq) return refuse('stale_job', `Run ${e.seq} of ${r0.id} is no longer current.`);
  if (r0.state !== 'running' || r0.step !== e.step || !r0.autoStart)
    return refuse('invalid_state', `${r0.id} has no scheduled start at ${e.step}.`);
  const r = clone(r0);
  r.autoStart = { ...r0.autoStart, at: e.until, deferred: e.reason };
  r.seq = e.seq + 1;
  audit(
    r,
    e.at,
    'engine',
    'deferred',
    undefined,
    `${autoStartTarget(r.autoStart)} to ${e.until}: ${e.reason}`,
  );
  return ok({
    record: r,
    effects: [{ kind: 'run' }, { kind: 'notify', type: 'auto_start', key: `${r.id}:auto:${r.seq}` }],
  });
}
