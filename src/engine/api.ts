/**
 * What the chat side asks of the engine. The Slack process calls these and returns at once: they
 * write the record and enqueue a job, they never wait on the cluster. The engine is the guard for
 * every entry point: it checks the policy (who may request, approve, operate; which channel drives
 * which cluster; four eyes) and that the request still fits the record (is that step pending? is the
 * nonce current? has the approval expired?), refuses with the reason otherwise, and writes every
 * refusal once, to the refusal log and the upgrade's audit. A caller may check the policy first to
 * word its answer (the Slack layer does); it then audits its own refusals.
 */
import type { UpgradeCommand } from '../domain/command/types.js';
import type { DomainError, Result } from '../domain/result.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';

export interface Actor {
  user: string; // Slack user id
  channel: string; // where it was asked
  /** The user-group ids (among those the policy names) the entry point resolved for `user`; none
   * given counts as no group (a group-based permission is then refused, never granted). */
  groups?: string[];
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
  /** Outside the change windows: start at the next opening, the one the person's button showed
   * (ISO; refused with the new time when it is no longer the next). Inside a window it starts now. */
  startAt?: string;
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
  /** The cluster the refused request was about, when known. */
  cluster?: string;
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
  /** Operators: frees a cluster lock whose upgrade record is gone; refused while a step runs. Audited. */
  unlock(cluster: string, actor: Actor): Promise<Result<{ holder: string | null }>>;
  /**
   * Records a refusal made by the caller's policy check: in the upgrade's audit log when there is an
   * upgrade, and always in the refusal log (`refusals`), so refused requests are audited too.
   */
  auditRefusal(
    id: string | undefined,
    actor: Actor,
    action: string,
    reason: string,
    cluster?: string,
  ): Promise<void>;
  /** The latest refusals, newest first. */
  refusals(limit?: number): Promise<Refusal[]>;
  get(id: string): Promise<UpgradeRecord | null>;
  list(filter?: {
    cluster?: string;
    activeOnly?: boolean;
    limit?: number;
    offset?: number;
  }): Promise<UpgradeRecord[]>;
}

export type { DomainError };
