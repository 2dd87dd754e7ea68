/**
 * What the chat side asks of the engine. The Slack process calls these and returns at once: they
 * write the record and enqueue a job, they never wait on the cluster. Policy (who may approve, which
 * channel may drive which cluster, four eyes) is checked by the caller with src/domain/policy before
 * calling; the engine checks that the request still fits the record (is that step pending? is the
 * nonce current?) and refuses with the reason otherwise.
 */
import type { UpgradeCommand } from '../domain/command/types.js';
import type { DomainError, Result } from '../domain/result.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';

export interface Actor {
  user: string; // Slack user id
  channel: string; // where it was asked
}

export interface UpgradeRequest {
  command: UpgradeCommand;
  requester: Actor;
}

export interface Decide {
  id: string;
  /** The nonce the approval message carried; a stale one is refused with who decided and when. */
  nonce: string;
  actor: Actor;
}

export interface RollbackRequest {
  id: string;
  actor: Actor;
  reason: string;
  /** Uninstall the canary revision after the waves are undone (default true). */
  uninstallCanary?: boolean;
}

/** The refusal-log action of a request the engine refused to plan (busy cluster, version skew, …). */
export const PLAN_REFUSED = 'plan the upgrade';

/** One refused request, as the refusal log keeps it. */
export interface Refusal {
  at: string;
  user: string;
  channel: string;
  action: string;
  reason: string;
  upgradeId?: string;
}

export interface UpgradeService {
  /** Refused with `cluster_busy` (naming the running upgrade's id), skew or plan errors. */
  request(req: UpgradeRequest): Promise<Result<UpgradeRecord>>;
  approve(d: Decide): Promise<Result<UpgradeRecord>>;
  rollback(r: RollbackRequest): Promise<Result<UpgradeRecord>>;
  pause(id: string, actor: Actor): Promise<Result<UpgradeRecord>>;
  resume(id: string, actor: Actor): Promise<Result<UpgradeRecord>>;
  abort(id: string, actor: Actor): Promise<Result<UpgradeRecord>>;
  retry(id: string, actor: Actor): Promise<Result<UpgradeRecord>>;
  /**
   * Records a refusal made by the caller's policy check: in the upgrade's audit log when there is an
   * upgrade, and always in the refusal log (`refusals`), so refused requests are audited too.
   */
  auditRefusal(id: string | undefined, actor: Actor, action: string, reason: string): Promise<void>;
  /** The latest refusals, newest first. */
  refusals(limit?: number): Promise<Refusal[]>;
  get(id: string): Promise<UpgradeRecord | null>;
  list(filter?: { cluster?: string; activeOnly?: boolean; limit?: number }): Promise<UpgradeRecord[]>;
}

export type { DomainError };
