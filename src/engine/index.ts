/**
 * The engine's factory, for the composition root (src/main.ts):
 *
 *   const engine = createEngine({ redis, prefix, clusters, notifier, logger });
 *   // ROLE=bot|all: hand engine.service to the Slack layer
 *   // ROLE=worker|all: const w = await engine.startWorker(); on SIGTERM/SIGINT: await w.close()
 *   await engine.close();
 *
 * The bot process only needs the service; workers can be scaled separately on the same Redis.
 * A process without cluster access (ROLE=bot) passes `clusterAccess: 'via-workers'` and the cluster
 * names only: `request` then asks a worker for the mesh reads (src/engine/cluster-reads.ts), and
 * such an engine cannot start a worker. Every worker with cluster access answers those reads.
 */
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import type { Result } from '../domain/result.js';
import type { PlanOptions } from '../domain/upgrade/plan.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { UpgradeService } from './api.js';
import {
  type ClusterReads,
  DEFAULT_READ_TIMEOUT_MS,
  directReads,
  startReadWorker,
  WorkerReads,
} from './cluster-reads.js';
import { type Clock, type Ids, randomIds, systemClock } from './ids.js';
import type { ClusterNames, ClusterRegistry, Notifier } from './ports.js';
import { StepQueue } from './queue.js';
import type { Runtime } from './runtime.js';
import { createService } from './service.js';
import { UpgradeStore } from './store.js';
import { throttled } from './throttle.js';
import { startWorker, type WorkerOptions } from './worker.js';

export interface EngineCommonOptions {
  /** Connection options (not an ioredis instance: BullMQ pins its own ioredis). */
  redis: RedisOptions;
  /** Key prefix for records, locks and queues (default `iub`). One per environment / test. */
  prefix?: string;
  notifier: Notifier;
  logger: Logger;
  /** Who may do what: the engine enforces it for every entry point (src/domain/policy.ts). */
  policy: Policy;
  /** How long finished records are kept (RECORD_RETENTION; default 90 days). */
  recordRetentionMs?: number;
  clock?: Clock;
  ids?: Ids;
  approvalTtlMs?: number;
  gracePeriodMs?: number;
  waveTimeoutMs?: number;
  plan?: PlanOptions;
  worker?: WorkerOptions;
}

/** This process reaches the clusters itself (ROLE=all, worker): the default. */
export interface DirectClusterAccess {
  clusterAccess?: 'direct';
  clusters: ClusterRegistry;
}

/** This process has no cluster connection (ROLE=bot): workers read the mesh for it over Redis. */
export interface ClusterAccessViaWorkers {
  clusterAccess: 'via-workers';
  /** Names only: validated here, read by a worker. */
  clusters: ClusterNames;
  /** How long a read waits for a worker before `no_worker` (default 10 s). */
  clusterReadTimeoutMs?: number;
}

export type EngineOptions = EngineCommonOptions & (DirectClusterAccess | ClusterAccessViaWorkers);

export interface Engine {
  service: UpgradeService;
  /** The cluster reads of the chat side (`/istio ps`): direct, or via a worker (ROLE=bot). */
  reads: ClusterReads;
  /** For the Slack notifier: stores a message ts under a stable key in `record.messages`, atomically. */
  setMessage(id: string, key: string, ts: string): Promise<Result<UpgradeRecord>>;
  /** Starts a BullMQ worker in this process; `close()` finishes the running steps and stops. */
  startWorker(opts?: WorkerOptions): Promise<{ close(): Promise<void> }>;
  /** Closes the workers started here, the queue and the store connection. */
  close(): Promise<void>;
}

export function createEngine(opts: EngineOptions): Engine {
  const prefix = opts.prefix ?? 'iub';
  const clock = opts.clock ?? systemClock;
  const onError = throttled((f, m) => opts.logger.warn(f, m), 'redis connection error');
  const store = new UpgradeStore({
    redis: opts.redis,
    prefix,
    clock,
    onError,
    ...(opts.recordRetentionMs ? { retentionMs: opts.recordRetentionMs } : {}),
  });
  const queue = new StepQueue(opts.redis, prefix, onError);
  let direct: ClusterRegistry | null = null;
  let viaWorkers: WorkerReads | null = null;
  let clusters: ClusterRegistry;
  let reads: ClusterReads;
  if (opts.clusterAccess === 'via-workers') {
    const names = opts.clusters;
    clusters = { names: () => names.names(), defaultName: () => names.defaultName(), get: () => undefined };
    viaWorkers = new WorkerReads({
      redis: opts.redis,
      prefix,
      timeoutMs: opts.clusterReadTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
      onError,
    });
    reads = viaWorkers;
  } else {
    direct = opts.clusters;
    clusters = direct;
    reads = directReads(direct);
  }
  const rt: Runtime = {
    store,
    queue,
    notifier: opts.notifier,
    logger: opts.logger,
    clock,
    ids: opts.ids ?? randomIds(),
    clusters,
    reads,
    policy: opts.policy,
    approvalTtlMs: opts.approvalTtlMs ?? 24 * 3600_000,
    gracePeriodMs: opts.gracePeriodMs ?? 15 * 60_000,
    waveTimeoutMs: opts.waveTimeoutMs ?? 15 * 60_000,
  };
  const workers: { close(): Promise<void> }[] = [];
  return {
    service: createService(rt, opts.policy, opts.plan),
    reads,
    setMessage: (id, key, ts) => store.setMessage(id, key, ts),
    async startWorker(wo) {
      if (!direct)
        throw new Error(
          "this engine has no cluster access (clusterAccess: 'via-workers'): start workers where the clusters are",
        );
      const w = await startWorker(rt, opts.redis, prefix, { ...opts.worker, ...wo });
      workers.push(w);
      // Every worker with the clusters also answers the mesh reads of bot-only processes.
      const r = await startReadWorker({ clusters: direct, redis: opts.redis, prefix, logger: opts.logger });
      workers.push(r);
      return {
        close: async () => {
          await Promise.all([w.close(), r.close()]);
        },
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await viaWorkers?.close();
      await queue.close();
      await store.close();
    },
  };
}

/** Longest clean shutdown (Kubernetes' default termination grace is 30 s). */
const SHUTDOWN_LIMIT_MS = 25_000;

/** Closes `close` once on SIGTERM/SIGINT (for the composition root or a worker-only process). */
export function closeOnSignals(close: () => Promise<void>, logger: Logger): void {
  let closing = false;
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      if (closing) return;
      closing = true;
      logger.info({ signal: sig }, 'shutting down: finishing running steps');
      // A Redis that cannot be reached (or refuses the password) can hold a clean close forever:
      // steps are idempotent and checkpointed, so leaving after a bound is safe.
      setTimeout(() => {
        logger.error({ afterMs: SHUTDOWN_LIMIT_MS }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      }, SHUTDOWN_LIMIT_MS).unref();
      close().then(
        () => process.exit(0),
        (e) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
}

export type { UpgradeService } from './api.js';
export { type ClusterReads, clusterNames, DEFAULT_READ_TIMEOUT_MS } from './cluster-reads.js';
export type { WorkerOptions } from './worker.js';
