/**
 * The upgrade record store in Redis: the record is the truth (ADR 0003). Every write is a
 * compare-and-set on `rev` done by one Lua script, which also takes or releases the per-cluster lock
 * in the same atomic step, so two processes never lose an update and a cluster never gets two
 * active upgrades.
 *
 * Keys (all under `<prefix>:`): `up:<id>` hash {rev, json}; `lock:<cluster>` → id of the active
 * upgrade; `ups` zset of ids by creation time; `active` set of non-terminal ids; `blob:<name>` opaque values (proxy-status baselines);
 * `refusals` a capped stream of refused requests (newest REFUSALS_KEPT kept); `audit` a capped stream
 * of cluster-level actions (unlock); `runner:<id>` the lease of the job running the upgrade's step.
 * A finished record expires after `retentionMs` (RECORD_RETENTION); `list` drops its index entry.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { err, ok, type Result } from '../domain/result.js';
import { appendAudit } from '../domain/upgrade/machine-core.js';
import { isTerminal } from '../domain/upgrade/order.js';
import type { AuditEntry, UpgradeRecord } from '../domain/upgrade/record.js';
import type { Refusal } from './api.js';
import type { Clock } from './ids.js';
import { CAS, FENCE, UNLOCK } from './store-scripts.js';

type CasReply = [string, string];
interface CasRedis extends Redis {
  iubCas(k1: string, k2: string, k3: string, k4: string, ...args: string[]): Promise<CasReply>;
}

/** What an update function returns: the new record (and a value for the caller) or a refusal. */
export type UpdateFn<T> = (r: UpgradeRecord) => Result<{ record: UpgradeRecord; value: T }>;

export interface StoreOptions {
  redis: RedisOptions;
  prefix: string;
  clock: Clock;
  /** CAS attempts before giving up on a hot record (default 500). */
  maxAttempts?: number;
  /** Connection errors (ioredis reconnects by itself and queues commands meanwhile). */
  onError?: (e: Error) => void;
  /** How long a finished record is kept (RECORD_RETENTION, default 90 days); its index entry goes with it. */
  retentionMs?: number;
}

export const DEFAULT_RETENTION_MS = 90 * 86_400_000;

/** Refusals kept in the refusal log (approximately: Redis trims whole stream nodes). */
export const REFUSALS_KEPT = 10_000;

export class UpgradeStore {
  readonly redis: CasRedis;
  private readonly p: string;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly retentionMs: number;

  constructor(opts: StoreOptions) {
    this.redis = new Redis({ ...opts.redis, maxRetriesPerRequest: null, lazyConnect: false }) as CasRedis;
    this.redis.defineCommand('iubCas', { numberOfKeys: 4, lua: CAS });
    this.redis.on('error', opts.onError ?? (() => {}));
    this.p = opts.prefix;
    this.clock = opts.clock;
    this.maxAttempts = opts.maxAttempts ?? 500;
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  private key = (id: string) => `${this.p}:up:${id}`;
  private lockKey = (cluster: string) => `${this.p}:lock:${cluster}`;
  private indexKey = () => `${this.p}:ups`;
  private activeKey = () => `${this.p}:active`;
  private refusalsKey = () => `${this.p}:refusals`;

  /** Creates the record and takes the cluster lock atomically. Refused with the holder's id. */
  async create(rec: UpgradeRecord): Promise<Result<UpgradeRecord>> {
    const r = { ...rec, rev: 1 };
    const lockOp = isTerminal(r.state) ? '' : 'acquire';
    const [status, value] = await this.redis.iubCas(
      this.key(r.id),
      this.lockKey(r.cluster),
      this.indexKey(),
      this.activeKey(),
      '',
      '1',
      JSON.stringify(r),
      lockOp,
      r.id,
      String(Date.parse(r.createdAt) || this.clock.now()),
      '0',
    );
    if (status === 'ok') return ok(r);
    if (status === 'busy')
      return err({
        code: 'cluster_busy',
        message: `Cluster ${r.cluster} already has an upgrade in progress: ${value}.`,
        hint: `Follow it with \`/istio status ${value}\`; a new upgrade can start when it is done, rolled back or aborted.`,
      });
    return err({ code: 'id_taken', message: `Upgrade id ${r.id} is taken.` });
  }

  async get(id: string): Promise<UpgradeRecord | null> {
    const json = await this.redis.hget(this.key(id), 'json');
    return json ? (JSON.parse(json) as UpgradeRecord) : null;
  }

  async activeFor(cluster: string): Promise<string | null> {
    return this.redis.get(this.lockKey(cluster));
  }

  /**
   * Read, apply `fn`, write back only if nobody wrote in between; retried on conflict. `fn` must be
   * pure (it may run several times). Reaching a terminal state releases the cluster lock.
   */
  async update<T>(id: string, fn: UpdateFn<T>): Promise<Result<{ record: UpgradeRecord; value: T }>> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const cur = await this.get(id);
      if (!cur) return err({ code: 'upgrade_not_found', message: `There is no upgrade ${id}.` });
      const res = fn(structuredClone(cur));
      if (!res.ok) return res;
      const next: UpgradeRecord = {
        ...res.value.record,
        rev: cur.rev + 1,
        updatedAt: new Date(this.clock.now()).toISOString(),
      };
      const lockOp = isTerminal(next.state) && !isTerminal(cur.state) ? 'release' : '';
      const [status] = await this.redis.iubCas(
        this.key(id),
        this.lockKey(cur.cluster),
        this.indexKey(),
        this.activeKey(),
        String(cur.rev),
        String(next.rev),
        JSON.stringify(next),
        lockOp,
        id,
        '0',
        String(this.retentionMs),
      );
      if (status === 'ok') return ok({ record: next, value: res.value.value });
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt)));
    }
    return err({
      code: 'conflict',
      message: `Upgrade ${id} is being changed by too many writers; try again.`,
    });
  }

  /** The notifier stores a Slack message ts under a stable key (atomic, idempotent). */
  async setMessage(id: string, key: string, ts: string): Promise<Result<UpgradeRecord>> {
    const res = await this.update(id, (r) => {
      r.messages[key] = ts;
      return ok({ record: r, value: null });
    });
    return res.ok ? ok(res.value.record) : res;
  }

  async appendAudit(id: string, entry: AuditEntry): Promise<Result<UpgradeRecord>> {
    const res = await this.update(id, (r) => {
      appendAudit(r, entry);
      return ok({ record: r, value: null });
    });
    return res.ok ? ok(res.value.record) : res;
  }

  /** Appends to the refusal log (a capped Redis stream). */
  async appendRefusal(r: Refusal): Promise<void> {
    await this.redis.xadd(this.refusalsKey(), 'MAXLEN', '~', REFUSALS_KEPT, '*', 'json', JSON.stringify(r));
  }

  /** The latest refusals, newest first. */
  async refusals(limit: number): Promise<Refusal[]> {
    const entries = await this.redis.xrevrange(this.refusalsKey(), '+', '-', 'COUNT', limit);
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('json') + 1] ?? '{}') as Refusal);
  }

  /**
   * Records, newest first, `limit` from `offset` on (a page); active ones from their own small set.
   * Index entries whose record has expired (RECORD_RETENTION) are dropped on the way.
   */
  async list(
    filter: { cluster?: string; activeOnly?: boolean; limit?: number; offset?: number } = {},
  ): Promise<UpgradeRecord[]> {
    const limit = filter.limit ?? 20;
    const skip = filter.offset ?? 0;
    const out: UpgradeRecord[] = [];
    let matched = 0;
    const ids = filter.activeOnly
      ? await this.redis.smembers(this.activeKey())
      : await this.redis.zrevrange(this.indexKey(), 0, -1);
    for (let i = 0; i < ids.length && out.length < limit; i += 50) {
      const batch = ids.slice(i, i + 50);
      const jsons = await Promise.all(batch.map((id) => this.redis.hget(this.key(id), 'json')));
      const gone = batch.filter((_, k) => !jsons[k]);
      if (gone.length > 0 && !filter.activeOnly) await this.redis.zrem(this.indexKey(), ...gone);
      for (const j of jsons) {
        if (!j) continue;
        const r = JSON.parse(j) as UpgradeRecord;
        if (filter.cluster && r.cluster !== filter.cluster) continue;
        if (filter.activeOnly && isTerminal(r.state)) continue;
        if (matched++ < skip) continue;
        if (out.length < limit) out.push(r);
      }
    }
    return filter.activeOnly ? out.sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : out;
  }

  /**
   * Frees a cluster lock whose upgrade record is gone (or already finished). Refused while that
   * upgrade is active or a job holds it. Atomic.
   */
  async unlock(
    cluster: string,
  ): Promise<{ status: 'free' | 'unlocked' | 'active' | 'running'; holder?: string }> {
    const [status, holder] = (await this.redis.eval(
      UNLOCK,
      2,
      this.lockKey(cluster),
      this.activeKey(),
      `${this.p}:`,
    )) as [string, string];
    const st = status as 'free' | 'unlocked' | 'active' | 'running';
    return holder ? { status: st, holder } : { status: st };
  }

  /** Cluster-level actions (unlock) in a capped stream, like the refusal log. */
  async appendClusterAudit(entry: Record<string, string>): Promise<void> {
    await this.redis.xadd(
      `${this.p}:audit`,
      'MAXLEN',
      '~',
      REFUSALS_KEPT,
      '*',
      'json',
      JSON.stringify(entry),
    );
  }

  /** Opaque values kept beside records (proxy-status baselines), expiring after `ttlMs` (30 days). */
  async putBlob(
    name: string,
    value: string,
    onlyIfAbsent = false,
    ttlMs = 30 * 86_400_000,
  ): Promise<boolean> {
    const k = `${this.p}:blob:${name}`;
    const res = onlyIfAbsent
      ? await this.redis.set(k, value, 'PX', ttlMs, 'NX')
      : await this.redis.set(k, value, 'PX', ttlMs);
    return res === 'OK';
  }

  async getBlob(name: string): Promise<string | null> {
    return this.redis.get(`${this.p}:blob:${name}`);
  }

  async dropBlob(name: string): Promise<void> {
    await this.redis.del(`${this.p}:blob:${name}`);
  }

  /** A short-lived per-upgrade runner token, so two jobs never act on one upgrade at once. */
  async acquireRunner(id: string, token: string, ttlMs: number): Promise<boolean> {
    const k = `${this.p}:runner:${id}`;
    const res = await this.redis.set(k, token, 'PX', ttlMs, 'NX');
    if (res === 'OK') return true;
    return (await this.redis.get(k)) === token;
  }

  /** Renews the runner token's lease; false when the token is no longer ours (it lapsed or was taken). */
  async refreshRunner(id: string, token: string, ttlMs: number): Promise<boolean> {
    const k = `${this.p}:runner:${id}`;
    const res = await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
      1,
      k,
      token,
      String(ttlMs),
    );
    return res === 1;
  }

  /**
   * The fence a step passes right before each cluster change: this worker still holds the runner
   * token and the record's run is still `seq` in a state that runs steps. One round trip.
   */
  async fence(id: string, token: string, seq: number): Promise<boolean> {
    const res = await this.redis.eval(FENCE, 2, `${this.p}:runner:${id}`, this.key(id), token, String(seq));
    return res === 1;
  }

  /** Whether some job holds the upgrade's runner token (a step is running). */
  async runnerHeld(id: string): Promise<boolean> {
    return (await this.redis.exists(`${this.p}:runner:${id}`)) === 1;
  }

  async releaseRunner(id: string, token: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      `${this.p}:runner:${id}`,
      token,
    );
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
