/**
 * What the service and the workers share: the store, the queue, the notifier, and the one way to
 * change a record — `advance(id, event)`: transition (pure) → compare-and-set write → effects.
 */
import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import type { Result } from '../domain/result.js';
import { type Effect, type MachineEvent, transition } from '../domain/upgrade/machine.js';
import { currentRun, type StepRun } from '../domain/upgrade/order.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { ClusterReads } from './cluster-reads.js';
import type { Clock, Ids } from './ids.js';
import type { ClusterRegistry, Notifier, UpgradeEvent } from './ports.js';
import type { StepQueue } from './queue.js';
import type { UpgradeStore } from './store.js';

export interface EngineTimings {
  /** How long an approval stays open before the upgrade pauses (default 24 h). */
  approvalTtlMs: number;
  /** Wait between moving the tags and checking the old revision is unused (default 15 min). */
  gracePeriodMs: number;
  /** Limit for one wave's rollouts (default 15 min). */
  waveTimeoutMs: number;
}

export interface Runtime extends EngineTimings {
  store: UpgradeStore;
  queue: StepQueue;
  notifier: Notifier;
  logger: Logger;
  clock: Clock;
  ids: Ids;
  /** Names and, with cluster access, the ports; a ROLE=bot engine's `get` returns nothing. */
  clusters: ClusterRegistry;
  /** The mesh reads `request` plans from: direct, or answered by a worker (ROLE=bot). */
  reads: ClusterReads;
  /** The policy as loaded: the scheduled starts of progressive mode check its change windows. */
  policy?: Policy;
}

export const isoNow = (rt: { clock: Clock }): string => new Date(rt.clock.now()).toISOString();

/** A step was overtaken (pause, rollback, abort, a newer run): stop quietly, change nothing more. */
export class Superseded extends Error {
  override readonly name = 'Superseded';
}

/** A step failed in a way a person must look at: the upgrade stops with this code and cause. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function notifySafely(rt: Runtime, event: UpgradeEvent): Promise<void> {
  try {
    await rt.notifier.notify(event);
  } catch (e) {
    rt.logger.error({ err: e, upgradeId: event.record.id, key: event.key }, 'notifier failed');
  }
}

function eventFor(record: UpgradeRecord, e: Extract<Effect, { kind: 'notify' }>): UpgradeEvent {
  switch (e.type) {
    case 'planned':
    case 'approval_requested':
    case 'approval_decided':
    case 'stopped':
    case 'auto_start':
      return { type: e.type, key: e.key, record };
    case 'state_changed':
      return {
        type: 'state_changed',
        key: e.key,
        record,
        ...(e.by ? { by: e.by } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      };
  }
}

/** How long a step run waits in the queue: the grace period, or until a scheduled start (ADR 15). */
export function runDelayMs(rt: Runtime, record: UpgradeRecord, run: StepRun): number {
  if (run.step === 'grace_period') return rt.gracePeriodMs;
  if (record.autoStart && run.step === record.autoStart.step)
    return Math.max(0, Date.parse(record.autoStart.at) - rt.clock.now());
  return 0;
}

/** Makes sure the one job a record needs exists (deterministic ids make this idempotent). */
export async function ensureScheduled(rt: Runtime, record: UpgradeRecord): Promise<void> {
  const run = currentRun(record);
  if (run) await rt.queue.enqueue(run, runDelayMs(rt, record, run));
  if (record.state === 'awaiting_approval' && record.approval) {
    const delay = Date.parse(record.approval.expiresAt) - rt.clock.now();
    await rt.queue.scheduleExpiry(record.id, record.approval.nonce, delay);
  }
}

export async function applyEffects(rt: Runtime, record: UpgradeRecord, effects: Effect[]): Promise<void> {
  for (const e of effects) {
    if (e.kind === 'run') {
      const run = currentRun(record);
      if (run) await rt.queue.enqueue(run, runDelayMs(rt, record, run));
    } else if (e.kind === 'expire_at') {
      await rt.queue.scheduleExpiry(record.id, e.nonce, Date.parse(e.at) - rt.clock.now());
    }
  }
  for (const e of effects) if (e.kind === 'notify') await notifySafely(rt, eventFor(record, e));
}

/** Transition + atomic write; the caller applies the effects (see `advance`). */
export async function commit(rt: Runtime, id: string, event: MachineEvent) {
  const res = await rt.store.update(id, (r) => {
    const t = transition(r, event);
    return t.ok ? { ok: true, value: { record: t.value.record, value: t.value.effects } } : t;
  });
  return res.ok ? { ok: true as const, value: { record: res.value.record, effects: res.value.value } } : res;
}

export async function applyAfterCommit(rt: Runtime, record: UpgradeRecord, effects: Effect[]): Promise<void> {
  try {
    await applyEffects(rt, record, effects);
  } catch (e) {
    // The decision is recorded; a worker's reconciler adds the missing job within `reconcileMs`.
    rt.logger.error({ err: e, upgradeId: record.id }, 'effects not applied after the record was written');
  }
}

/** Transition + atomic write + effects. Refusals come back as a Result, never thrown. */
export async function advance(rt: Runtime, id: string, event: MachineEvent): Promise<Result<UpgradeRecord>> {
  const res = await commit(rt, id, event);
  if (!res.ok) return res;
  await applyAfterCommit(rt, res.value.record, res.value.effects);
  return { ok: true, value: res.value.record };
}
