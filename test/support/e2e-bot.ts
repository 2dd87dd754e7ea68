/**
 * Test glue for the end-to-end scenarios (test/e2e/scenarios*.e2e.ts): the bot as src/main.ts wires
 * it, on the e2e cluster. REAL cluster adapters (`createClusterRegistry`, a kubeconfig context, the
 * harness's istioctl wrappers as ISTIOCTL_DIR), the REAL engine on Redis (a unique prefix), the REAL
 * Slack notifier with its Redis store, talking to the Slack emulator. Shared by the test process and
 * by the separate worker process of test/support/e2e-worker-entry.ts.
 */

import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { createWaveAnalysis, withAnalysis } from '../../src/analysis/index.js';
import { type AdaptersRegistry, createClusterRegistry } from '../../src/cluster/registry.js';
import type { Policy } from '../../src/domain/policy.js';
import { createEngine, type Engine, type WorkerOptions } from '../../src/engine/index.js';
import { createLogger } from '../../src/log.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createRedisStore } from '../../src/slack/redis-store.js';
import type { NotifierStore } from '../../src/slack/store.js';
import { clusterEnv } from './cluster-harness.js';
import { REDIS } from './engine-harness.js';
import { TEST_POLICY } from './slack-harness.js';

/** The cluster name the scenarios' policy knows (TEST_POLICY in slack-harness: `prod` → C0OPS). */
export const E2E_CLUSTER = 'prod';
/** The canary skew the test cluster needs: 1.25.3 ↔ 1.31-dev is 6 minors (CANARY_MAX_MINOR_JUMP). */
export const E2E_MAX_MINOR_JUMP = 6;
/** Short BullMQ timings: a killed worker's job is picked up again in about a second. */
export const E2E_WORKER: WorkerOptions = {
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
  watchMs: 100,
  reconcileMs: 1000,
};

export interface E2EBotOptions {
  prefix: string;
  kubeconfig: string;
  context: string;
  slackApiUrl: string;
  slackToken: string;
  logLevel?: string;
  /** Concurrent API requests per wave (the registry's `concurrency`, default 16). */
  concurrency?: number;
  /** Where the engine and the notifier store reach Redis (default: the suite's Redis, REDIS). */
  redis?: { host: string; port: number };
  /** istioctl binaries as `<dir>/istioctl-<version>` (default: the harness's wrappers). */
  istioctlDir?: string;
  /** Where the bot logs (default: nowhere unless E2E_LOG_LEVEL); for tests that watch a worker. */
  logDestination?: DestinationStream;
  /** The Helm canary path's helm binary and chart repository (the registry's `helm`). */
  helm?: { bin: string; repo: string };
  /** The policy (default TEST_POLICY). */
  policy?: Policy;
  /** The cluster's Prometheus (PROMETHEUS_URL): its ports get the REAL analysis, as main.ts wires it. */
  prometheusUrl?: string;
}

export interface E2EBot {
  engine: Engine;
  notifier: SlackNotifier;
  store: NotifierStore;
  registry: AdaptersRegistry;
  redis: Redis;
  close(): Promise<void>;
}

export function buildE2EBot(o: E2EBotOptions): E2EBot {
  const logger = createLogger({
    level: o.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'silent',
    ...(o.logDestination ? { destination: o.logDestination } : {}),
  });
  const redisAt = o.redis ?? REDIS;
  const registry = createClusterRegistry({
    clusters: [{ name: E2E_CLUSTER, context: o.context, kubeconfig: o.kubeconfig }],
    defaultCluster: E2E_CLUSTER,
    // the harness's layout: $stateDir/bin/istioctl-<version> (real istioctl; `ps` by the stand-in)
    istioctlDir: o.istioctlDir ?? join(clusterEnv().stateDir, 'bin'),
    istioctlTimeoutMs: 300_000,
    proxyStatusSource: 'istioctl',
    watchTimeoutSeconds: 60,
    ...(o.helm ? { helm: o.helm } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    logger,
  });
  const prom = o.prometheusUrl;
  const clusters = prom
    ? withAnalysis(registry, () =>
        createWaveAnalysis({ url: prom, timeoutMs: 2_000, retries: 1, backoffMs: 50 }),
      )
    : registry;
  const redis = new Redis({ ...redisAt, maxRetriesPerRequest: 3 });
  // a Redis that goes away (scenarios 8.3, 8.5) is logged, not an unhandled error event
  redis.on('error', (e) => logger.warn({ err: e }, 'notifier store: redis connection error'));
  const store = createRedisStore(redis, o.prefix);
  const client = new webApi.WebClient(o.slackToken, {
    slackApiUrl: o.slackApiUrl,
    retryConfig: { retries: 4, factor: 1, minTimeout: 20, maxTimeout: 50 },
    logger: boltLogger(logger),
  });
  let engine: Engine | undefined;
  const notifier = createSlackNotifier({
    client,
    store,
    logger,
    fourEyes: true,
    incidentChannels: (o.policy ?? TEST_POLICY).incidentChannels,
    setMessage: (id, key, ts) => engine!.setMessage(id, key, ts),
  });
  engine = createEngine({
    redis: redisAt,
    prefix: o.prefix,
    clusters,
    notifier,
    logger,
    gracePeriodMs: 500,
    waveTimeoutMs: 180_000,
    approvalTtlMs: 3_600_000,
    // ambient meshes (ADR 20): the same skew override for ztunnel and istio-cni, node waves cordoned
    plan: { maxMinorJump: E2E_MAX_MINOR_JUMP, ambient: { maxMinorSkew: E2E_MAX_MINOR_JUMP, cordon: true } },
    worker: E2E_WORKER,
    policy: o.policy ?? TEST_POLICY,
  });
  const e = engine;
  return {
    engine: e,
    notifier,
    store,
    registry,
    redis,
    async close() {
      await notifier.idle();
      await e.close();
      redis.disconnect();
    },
  };
}
