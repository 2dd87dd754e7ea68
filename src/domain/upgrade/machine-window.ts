/**
 * "Start at the next window" in the state machine (issue 15): an approval given outside the cluster's
 * change windows schedules its wave (or the finish) for the next opening instead of starting it. Pure.
 * It reuses progressive mode's scheduled start (ADR 15): `record.autoStart` with the approver's name,
 * a delayed run of the approval step under a new run number. When it fires, the engine's auto-start
 * step checks the windows and freezes again (a freeze that began meanwhile defers it, with its
 * reason); pause, abort and rollback cancel it like any scheduled start (machine-control.ts).
 */
import type { Effect } from './machine-core.js';
import type { Approval, UpgradeRecord } from './record.js';

export function startAtWindow(
  r: UpgradeRecord,
  a: Approval,
  startAt: string,
  by: string,
  effects: Effect[],
): void {
  r.state = 'running';
  r.seq = (r.seq ?? 0) + 1;
  r.autoStart = {
    step: a.step,
    ...(a.wave === undefined ? {} : { wave: a.wave }),
    at: startAt,
    reason: 'approved outside the change windows, to start when the next one opens',
    approvedBy: by,
  };
  effects.push({ kind: 'run' });
  effects.push({ kind: 'notify', type: 'auto_start', key: `${r.id}:auto:${r.seq}` });
}
