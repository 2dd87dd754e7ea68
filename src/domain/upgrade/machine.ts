/**
 * The upgrade state machine: a pure function `transition(record, event) → {record, effects}` or a
 * refusal with the reason. It never performs I/O; the engine stores the new record atomically and
 * then executes the effects (enqueue a step job, schedule an approval expiry, notify people).
 * Time and nonces come in with the event, so the function is deterministic.
 */
import { ok, type Result } from '../result.js';
import { control } from './machine-control.js';
import {
  audit,
  clone,
  type Effect,
  enter,
  lastDecisionText,
  type MachineEvent,
  refuse,
  type Transition,
} from './machine-core.js';
import { halt } from './machine-halt.js';
import { defer } from './machine-progressive.js';
import { startAtWindow } from './machine-window.js';
import { APPROVAL_STEPS, type Position, positionAfter } from './order.js';
import { autoStartTarget } from './progressive.js';
import type { Step, UpgradeRecord } from './record.js';

export type { Effect, MachineEvent, NotifyType, Transition } from './machine-core.js';

function stepDone(r0: UpgradeRecord, e: Extract<MachineEvent, { type: 'step_done' }>): Result<Transition> {
  if ((r0.seq ?? 0) !== e.seq) return refuse('stale_job', `Run ${e.seq} of ${r0.id} is no longer current.`);
  const r = clone(r0);
  const effects: Effect[] = [];
  if (e.step === 'finish_abort') {
    if (r.state !== 'aborting') return refuse('invalid_state', `${r.id} is not aborting.`);
    r.state = 'aborted';
    r.seq = e.seq + 1;
    audit(r, e.at, 'engine', 'aborted', undefined, 'the running step has stopped; the cluster is free');
    effects.push({ kind: 'notify', type: 'state_changed', key: `${r.id}:state:aborted` });
    return ok({ record: r, effects });
  }
  if (e.step === 'compensate') {
    if (r.state !== 'rolling_back') return refuse('invalid_state', `${r.id} is not rolling back.`);
    const c = r.compensations.pop();
    if (c?.kind === 'move_namespaces_back') {
      const w = r.waves[c.wave - 1];
      if (w && !r.compensations.some((x) => x.kind === 'move_namespaces_back' && x.wave === c.wave))
        w.status = 'rolled_back';
    }
    // the agents' releases rolled back: every node wave that had started is undone
    if (c?.kind === 'rollback_agents')
      for (const w of r.waves)
        if (w.kind === 'nodes' && w.status !== 'pending' && w.status !== 'awaiting_approval')
          w.status = 'rolled_back';
    audit(r, e.at, 'engine', 'compensated', undefined, c ? c.kind : undefined);
    r.seq = e.seq + 1;
    if (r.compensations.length > 0) effects.push({ kind: 'run' });
    else {
      r.state = 'rolled_back';
      effects.push({ kind: 'notify', type: 'state_changed', key: `${r.id}:state:rolled_back` });
    }
    return ok({ record: r, effects });
  }
  if (r.state !== 'running' && r.state !== 'paused') return refuse('invalid_state', `${r.id} is ${r.state}.`);
  if (r.step !== e.step) return refuse('stale_job', `${r.id} is at ${r.step}, not ${e.step}.`);
  const wave = r.currentWave === undefined ? undefined : r.waves[r.currentWave - 1];
  if (APPROVAL_STEPS.includes(e.step)) {
    // Progressive mode: the scheduled start ran; the engine approved it, for the reason it was scheduled.
    const a = r.autoStart;
    if (!a) return refuse('invalid_state', `${r.id} has no scheduled start at ${e.step}.`);
    delete r.autoStart;
    if (a.approvedBy) {
      // approved by a person to start at the change window: the decision was recorded when they clicked
      audit(
        r,
        e.at,
        'engine',
        'started',
        undefined,
        `${autoStartTarget(a)} at its change window (${a.reason})`,
      );
    } else {
      r.decisions.push({
        step: a.step,
        ...(a.wave === undefined ? {} : { wave: a.wave }),
        by: 'engine',
        at: e.at,
        outcome: 'approved',
      });
      if (wave) {
        wave.approvedBy = 'engine';
        wave.approvedAt = e.at;
      }
      audit(r, e.at, 'engine', 'approved', undefined, `${autoStartTarget(a)} without approval (${a.reason})`);
    }
  }
  if ((e.step === 'post_diff' || e.step === 'verify_nodes') && wave) {
    wave.status = 'done';
    wave.finishedAt = e.at;
  }
  if (e.step === 'uninstall_old') r.compensations = [];
  audit(r, e.at, 'engine', 'step_finished', undefined, e.detail ? `${e.step}: ${e.detail}` : e.step);
  const pos: Position =
    r.currentWave === undefined ? { step: e.step } : { step: e.step, wave: r.currentWave };
  enter(r, positionAfter(r, pos), e.at, e, effects);
  return ok({ record: r, effects });
}

function stepFailed(
  r0: UpgradeRecord,
  e: Extract<MachineEvent, { type: 'step_failed' }>,
): Result<Transition> {
  if ((r0.seq ?? 0) !== e.seq) return refuse('stale_job', `Run ${e.seq} of ${r0.id} is no longer current.`);
  if (!['running', 'paused', 'rolling_back', 'aborting'].includes(r0.state))
    return refuse('invalid_state', `${r0.id} is ${r0.state}.`);
  const r = clone(r0);
  if (r.state === 'aborting') {
    // Nothing to stop for: the abort stands, the cluster is freed.
    r.state = 'aborted';
    r.seq = e.seq + 1;
    audit(r, e.at, 'engine', 'aborted', undefined, `${e.step}: ${e.code}: ${e.cause}`);
    return ok({
      record: r,
      effects: [{ kind: 'notify', type: 'state_changed', key: `${r.id}:state:aborted` }],
    });
  }
  const step: Step = r.step;
  const cause = e.step === 'compensate' ? `rollback: ${e.cause}` : e.cause;
  r.state = 'stopped';
  r.seq = e.seq + 1;
  r.stopped = { step, code: e.code, cause, at: e.at };
  const wave = r.currentWave === undefined ? undefined : r.waves[r.currentWave - 1];
  if (wave && e.step !== 'compensate' && wave.status === 'running') wave.status = 'failed';
  audit(r, e.at, 'engine', 'stopped', undefined, `${e.step}: ${e.code}: ${cause}`);
  return ok({ record: r, effects: [{ kind: 'notify', type: 'stopped', key: `${r.id}:stopped:${e.seq}` }] });
}

function approve(r0: UpgradeRecord, e: Extract<MachineEvent, { type: 'approve' }>): Result<Transition> {
  const a = r0.approval;
  if (r0.state !== 'awaiting_approval' || !a)
    return refuse(
      'step_not_pending',
      `Nothing in ${r0.id} is waiting for an approval (it is ${r0.state} at ${r0.step}).${lastDecisionText(r0)}`,
    );
  if (a.nonce !== e.nonce)
    return refuse(
      'step_not_pending',
      `This approval button is out of date: ${r0.id} now waits for ${a.step}${a.wave ? ` of wave ${a.wave}` : ''}.${lastDecisionText(r0)}`,
      'Use the buttons on the latest approval message in the thread.',
    );
  // The expiry job may not have run yet (workers down or busy): the time decides, not the job.
  if (Date.parse(e.at) >= Date.parse(a.expiresAt))
    return refuse(
      'approval_expired',
      `This approval of ${r0.id}${a.wave ? ` (wave ${a.wave})` : ''} expired at ${a.expiresAt}; nothing was approved.`,
      `The upgrade is paused: \`/istio resume ${r0.id}\` asks for a fresh approval.`,
    );
  const r = clone(r0);
  const effects: Effect[] = [];
  r.decisions.push({
    step: a.step,
    ...(a.wave === undefined ? {} : { wave: a.wave }),
    by: e.by,
    at: e.at,
    outcome: 'approved',
    ...(e.startAt ? { startAt: e.startAt } : {}),
  });
  const wave = a.wave === undefined ? undefined : r.waves[a.wave - 1];
  if (wave) {
    wave.approvedBy = e.by;
    wave.approvedAt = e.at;
  }
  delete r.approval;
  r.state = 'running';
  audit(
    r,
    e.at,
    e.by,
    'approved',
    e.channel,
    `${a.wave ? `wave ${a.wave}` : a.step}${e.startAt ? `, to start at ${e.startAt}` : ''}`,
  );
  effects.push({ kind: 'notify', type: 'approval_decided', key: `${r.id}:decided:${a.nonce}`, by: e.by });
  if (e.startAt) {
    startAtWindow(r, a, e.startAt, e.by, effects);
    return ok({ record: r, effects });
  }
  const pos: Position = a.wave === undefined ? { step: a.step } : { step: a.step, wave: a.wave };
  enter(r, positionAfter(r, pos), e.at, { nonce: a.nonce, approvalTtlMs: 0 }, effects);
  return ok({ record: r, effects });
}

function expire(r0: UpgradeRecord, e: Extract<MachineEvent, { type: 'expire' }>): Result<Transition> {
  if (r0.state !== 'awaiting_approval' || r0.approval?.nonce !== e.nonce)
    return refuse('step_not_pending', `The approval ${e.nonce} of ${r0.id} is no longer pending.`);
  const r = clone(r0);
  const a = r0.approval;
  r.decisions.push({
    step: a.step,
    ...(a.wave === undefined ? {} : { wave: a.wave }),
    by: 'engine',
    at: e.at,
    outcome: 'expired',
  });
  delete r.approval;
  r.state = 'paused';
  audit(r, e.at, 'engine', 'paused', undefined, 'approval expired');
  const reason = `The approval requested at ${a.requestedAt} expired at ${a.expiresAt}; resume to ask again.`;
  return ok({
    record: r,
    effects: [{ kind: 'notify', type: 'state_changed', key: `${r.id}:expired:${a.nonce}`, reason }],
  });
}

export function transition(record: UpgradeRecord, event: MachineEvent): Result<Transition> {
  switch (event.type) {
    case 'step_done':
      return stepDone(record, event);
    case 'step_failed':
      return stepFailed(record, event);
    case 'approve':
      return approve(record, event);
    case 'expire':
      return expire(record, event);
    case 'halt':
      return halt(record, event);
    case 'defer':
      return defer(record, event);
    default:
      return control(record, event);
  }
}
