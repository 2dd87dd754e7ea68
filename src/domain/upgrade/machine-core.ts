/** Shared pieces of the state machine (types, refusals, audit, entering a step). Pure. */
import { err, type Result } from '../result.js';
import { APPROVAL_STEPS, type Position } from './order.js';
import { autoStartReason } from './progressive.js';
import { type Approval, AUDIT_KEPT, type AuditEntry, type Step, type UpgradeRecord } from './record.js';

export interface By {
  by: string;
  channel: string;
  at: string;
}
/** Fresh values the machine may need when it opens an approval. */
export interface Fresh {
  nonce: string;
  approvalTtlMs: number;
}

export type MachineEvent =
  | ({
      type: 'step_done';
      step: Step | 'compensate' | 'finish_abort';
      seq: number;
      at: string;
      detail?: string;
    } & Fresh)
  | {
      type: 'step_failed';
      step: Step | 'compensate' | 'finish_abort';
      seq: number;
      at: string;
      code: string;
      cause: string;
    }
  /** The step ended in a decision, not a failure: a wave's traffic analysis failed or was
   * inconclusive, so the upgrade pauses or rolls back (`reason`: the evidence in one line). */
  | {
      type: 'halt';
      step: Step;
      seq: number;
      at: string;
      action: 'pause' | 'rollback';
      reason: string;
    }
  /** Progressive mode: the scheduled start fell outside the change windows (or in a freeze): it moves
   * to the next opening `until`, with `reason`. */
  | { type: 'defer'; step: Step; seq: number; at: string; until: string; reason: string }
  /** `startAt`: approved outside the change windows, to start when the next one opens (ISO). */
  | ({ type: 'approve'; nonce: string; startAt?: string } & By)
  | { type: 'expire'; nonce: string; at: string }
  | ({ type: 'pause' } & By)
  | ({ type: 'resume' } & By & Fresh)
  | ({ type: 'abort' } & By)
  | ({ type: 'retry' } & By)
  | ({ type: 'rollback'; reason: string; uninstallCanary: boolean } & By);

export type NotifyType =
  | 'planned'
  | 'approval_requested'
  | 'approval_decided'
  | 'state_changed'
  | 'stopped'
  | 'auto_start';

export type Effect =
  | { kind: 'run' }
  | { kind: 'expire_at'; nonce: string; at: string }
  | { kind: 'notify'; type: NotifyType; key: string; by?: string; reason?: string };

export interface Transition {
  record: UpgradeRecord;
  effects: Effect[];
}

export const refuse = (code: string, message: string, hint?: string): Result<Transition> =>
  err(hint ? { code, message, hint } : { code, message });

export const clone = (r: UpgradeRecord): UpgradeRecord => structuredClone(r);

export function audit(
  r: UpgradeRecord,
  at: string,
  actor: string,
  action: string,
  channel?: string,
  detail?: string,
) {
  appendAudit(r, {
    at,
    actor,
    action,
    ...(channel ? { channel } : {}),
    ...(detail ? { detail } : {}),
  });
}

/** How far back a repeated refusal is looked for, to be counted instead of appended. */
const COLLAPSE_WINDOW = 20;

/**
 * Appends to the record's audit, bounded: a refusal the same person already got (same action and
 * detail among the last entries) is counted on that entry; past AUDIT_KEPT the oldest entries are
 * dropped and counted in `auditDropped`, so nobody can grow a record without bound.
 */
export function appendAudit(r: UpgradeRecord, e: AuditEntry, kept = AUDIT_KEPT): void {
  if (e.action === 'refused') {
    for (let i = r.audit.length - 1; i >= Math.max(0, r.audit.length - COLLAPSE_WINDOW); i--) {
      const x = r.audit[i]!;
      if (x.action === e.action && x.actor === e.actor && x.detail === e.detail) {
        x.times = (x.times ?? 1) + 1;
        x.at = e.at;
        return;
      }
    }
  }
  r.audit.push(e);
  const over = r.audit.length - kept;
  if (over > 0) {
    r.audit.splice(0, over);
    r.auditDropped = (r.auditDropped ?? 0) + over;
  }
}

/** Moves `r` to `pos`: opens an approval, finishes, or schedules the step run. */
export function enter(
  r: UpgradeRecord,
  pos: Position | null,
  at: string,
  fresh: Fresh,
  effects: Effect[],
): void {
  r.seq = (r.seq ?? 0) + 1;
  if (pos === null) {
    r.state = r.dryRun && r.step === 'plan' ? 'planned' : 'done';
    r.step = r.state === 'planned' ? 'plan' : 'done';
    delete r.currentWave;
    effects.push({ kind: 'notify', type: 'state_changed', key: `${r.id}:state:${r.state}` });
    return;
  }
  r.step = pos.step;
  if (pos.wave === undefined) delete r.currentWave;
  else r.currentWave = pos.wave;
  const wave = pos.wave === undefined ? undefined : r.waves[pos.wave - 1];
  if (pos.step === 'done') {
    r.state = 'done';
    r.compensations = [];
    effects.push({ kind: 'notify', type: 'state_changed', key: `${r.id}:state:done` });
    return;
  }
  if (APPROVAL_STEPS.includes(pos.step)) {
    if (wave) wave.status = 'awaiting_approval';
    if (r.state === 'paused') return; // resume opens the approval
    const why = autoStartReason(r, pos);
    if (why && r.progressive) scheduleAutoStart(r, at, r.progressive.bakeMs, why, effects);
    else openApproval(r, at, fresh, effects);
    return;
  }
  if ((pos.step === 'move_namespaces' || pos.step === 'replace_nodes') && wave) {
    wave.status = 'running';
    wave.startedAt = at;
  }
  if (r.state === 'running') effects.push({ kind: 'run' });
}

/** Progressive mode: the approval step runs by itself `bakeMs` after `at` (a delayed step run). */
export function scheduleAutoStart(
  r: UpgradeRecord,
  at: string,
  bakeMs: number,
  reason: string,
  effects: Effect[],
): void {
  const step = r.step as Approval['step'];
  r.state = 'running';
  r.autoStart = {
    step,
    ...(r.currentWave === undefined ? {} : { wave: r.currentWave }),
    at: new Date(Date.parse(at) + bakeMs).toISOString(),
    reason,
  };
  effects.push({ kind: 'run' });
  effects.push({ kind: 'notify', type: 'auto_start', key: `${r.id}:auto:${r.seq ?? 0}` });
}

export function openApproval(r: UpgradeRecord, at: string, fresh: Fresh, effects: Effect[]): void {
  const step = r.step as Approval['step'];
  const expiresAt = new Date(Date.parse(at) + fresh.approvalTtlMs).toISOString();
  r.state = 'awaiting_approval';
  r.approval = {
    step,
    ...(r.currentWave === undefined ? {} : { wave: r.currentWave }),
    nonce: fresh.nonce,
    requestedAt: at,
    expiresAt,
  };
  effects.push({ kind: 'expire_at', nonce: fresh.nonce, at: expiresAt });
  effects.push({ kind: 'notify', type: 'approval_requested', key: `${r.id}:approval:${fresh.nonce}` });
}

export function lastDecisionText(r: UpgradeRecord): string {
  const d = r.decisions[r.decisions.length - 1];
  return d ? ` It was already ${d.outcome} by ${d.by} at ${d.at}.` : '';
}
