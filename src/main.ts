/**
 * Composition root: reads the configuration, builds the adapters and starts the roles this process
 * runs (ROLE=bot: Slack; ROLE=worker: upgrade steps; ROLE=all: both). The only file that wires things.
 * ROLE=bot builds no cluster adapter (the module is not even loaded, no kubeconfig is read): it knows
 * the cluster names from CLUSTERS and asks the workers over Redis for the mesh and proxy status.
 */
import { Redis } from 'ioredis';
import { analysisFor, withAnalysis } from './analysis/index.js';
import { type Config, formatConfigErrors, loadConfig } from './config/index.js';
import type { UpgradeRecord } from './domain/upgrade/record.js';
import {
  type ClusterAccessViaWorkers,
  clusterNames,
  createEngine,
  type DirectClusterAccess,
} from './engine/index.js';
import { throttled } from './engine/throttle.js';
import { createLogger, type Logger, scrubSecrets } from './log.js';
import { type Check, startHealthServer } from './ops/health.js';
import { countRefusals, createMetrics, fanOut, metricsObserver } from './ops/metrics.js';
import { createSlackApp, NOTIFIER_CLIENT } from './slack/app.js';
import { boltLogger } from './slack/bolt-logger.js';
import { createSlackNotifier } from './slack/notifier.js';
import { createRedisStore } from './slack/redis-store.js';
import { CountingWebClient, countKubeErrors } from './wiring/api-error-metrics.js';
import { proxyStatusQuery } from './wiring/proxy-status-query.js';
import { redisOptionsFromUrl } from './wiring/redis.js';

/** How long a stopping bot lets the thread's pending Slack calls finish before cancelling them. */
const NOTIFIER_DRAIN_MS = 15_000;

export interface Running {
  stop(): Promise<void>;
}

export async function run(config: Config, logger: Logger): Promise<Running> {
  const redisOptions = redisOptionsFromUrl(config.REDIS_URL);
  const redis = new Redis({ ...redisOptions, maxRetriesPerRequest: 3, lazyConnect: false });
  redis.on(
    'error',
    throttled((f, m) => logger.warn(f, m), 'Redis connection error'),
  );
  // ROLE=bot: names only (configuration, not a connection); workers read the clusters for it.
  const registry =
    config.ROLE === 'bot'
      ? undefined
      : (await import('./cluster/registry.js')).createClusterRegistry({
          clusters: config.CLUSTERS,
          defaultCluster: config.DEFAULT_CLUSTER,
          istioctlDir: config.ISTIOCTL_DIR,
          istioctlCacheDir: config.ISTIOCTL_CACHE_DIR,
          istioNamespace: config.ISTIO_NAMESPACE,
          downloadUrl: config.ISTIOCTL_DOWNLOAD_URL,
          istioctlTimeoutMs: config.ISTIOCTL_TIMEOUT,
          kubeRequestTimeoutMs: config.KUBE_REQUEST_TIMEOUT,
          kubeRetryBudgetMs: config.KUBE_RETRY_BUDGET,
          proxyStatusSource: config.PROXY_STATUS_SOURCE,
          helm: { bin: config.HELM_PATH, repo: config.ISTIO_HELM_REPO },
          logger,
        });
  // Each cluster's traffic analysis over its Prometheus (issue 13), when one is configured.
  const adapters =
    registry &&
    withAnalysis(registry, (name) =>
      analysisFor(
        {
          url: config.PROMETHEUS_URL,
          urls: config.PROMETHEUS_URLS,
          bearerTokenFile: config.PROMETHEUS_BEARER_TOKEN_FILE,
          basicAuthFile: config.PROMETHEUS_BASIC_AUTH_FILE,
          caFile: config.PROMETHEUS_CA_FILE,
          timeoutMs: config.PROMETHEUS_TIMEOUT,
        },
        name,
      ),
    );
  const access: DirectClusterAccess | ClusterAccessViaWorkers = adapters
    ? { clusterAccess: 'direct', clusters: adapters }
    : {
        clusterAccess: 'via-workers',
        clusters: clusterNames(
          config.CLUSTERS.map((c) => c.name),
          config.DEFAULT_CLUSTER,
        ),
      };
  let listUpgrades: () => Promise<UpgradeRecord[]> = async () => [];
  const m = createMetrics(() => listUpgrades());
  if (adapters) countKubeErrors(adapters, m.kubeErrors);
  const slackStore = createRedisStore(redis, config.REDIS_PREFIX);
  // The worker waits for each notification: bound Slack's retries (the default runs for ~30 min).
  const client = new CountingWebClient(
    config.SLACK_BOT_TOKEN,
    {
      ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
      ...NOTIFIER_CLIENT,
      logger: boltLogger(logger),
    },
    m.slackErrors,
  );
  let setMessage: (id: string, key: string, ts: string) => Promise<unknown> = async () => undefined;
  // At shutdown the thread's pending Slack calls get a while to finish, then are cancelled (before the
  // 25 s forced exit), so a Slack that never answers cannot hold the process until it is killed.
  const notifierStop = new AbortController();
  const slackNotifier = createSlackNotifier({
    signal: notifierStop.signal,
    client,
    store: slackStore,
    logger,
    fourEyes: config.policy.fourEyes,
    incidentChannels: config.policy.incidentChannels,
    setMessage: (id, key, ts) => setMessage(id, key, ts),
    // the plan says when each wave can start, from the cluster's change windows and freezes
    calendarOf: (cluster) => config.policy.clusters[cluster],
  });
  const engine = createEngine({
    redis: redisOptions,
    prefix: config.REDIS_PREFIX,
    ...access,
    notifier: fanOut(slackNotifier, metricsObserver(m)),
    logger,
    approvalTtlMs: config.APPROVAL_TTL,
    gracePeriodMs: config.GRACE_PERIOD,
    waveTimeoutMs: config.WAVE_TIMEOUT,
    plan: {
      maxMinorJump: config.CANARY_MAX_MINOR_JUMP,
      ambient: { maxMinorSkew: config.AMBIENT_MAX_MINOR_SKEW, cordon: config.AMBIENT_CORDON },
    },
    policy: config.policy,
    recordRetentionMs: config.RECORD_RETENTION,
  });
  setMessage = (id, key, ts) => engine.setMessage(id, key, ts);
  listUpgrades = () => engine.service.list({ limit: 500 });
  const stops: (() => Promise<void>)[] = [];
  const checks: Record<string, Check> = { redis: async () => void (await redis.ping()) };

  if (access.clusterAccess === 'direct') {
    const clusters = access.clusters;
    const worker = await engine.startWorker();
    stops.push(() => worker.close());
    // A broken kubeconfig makes the worker unready (and says why), it does not stop the process.
    checks.cluster = async () => void (await clusters.get(config.DEFAULT_CLUSTER)?.inspector.controlPlanes());
    logger.info({ clusters: clusters.names() }, 'worker started');
  }
  if (config.ROLE !== 'worker') {
    const slack = createSlackApp({
      config,
      service: countRefusals(engine.service, m),
      logger,
      store: slackStore,
      // ROLE=all reads the cluster itself; ROLE=bot asks a worker (refused with no_worker if none answers).
      proxyStatus: proxyStatusQuery(engine.reads),
      // The App Home's control planes: read the same way (direct, or a worker's answer).
      home: { controlPlanes: (cluster, signal) => engine.reads.controlPlanes(cluster, signal) },
    });
    await slack.start();
    stops.unshift(() => slack.stop());
  }
  const health = await startHealthServer({ port: config.HEALTH_PORT, checks, registry: m.registry });
  logger.info({ role: config.ROLE, healthPort: health.port }, 'istio-upgrade-bot started');

  return {
    async stop() {
      for (const s of stops) await s().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
      const cancel = setTimeout(() => notifierStop.abort(), NOTIFIER_DRAIN_MS);
      await slackNotifier.idle();
      clearTimeout(cancel);
      await engine.close();
      await health.close();
      redis.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`${formatConfigErrors(loaded.error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: loaded.value.LOG_LEVEL });
  const running = await run(loaded.value, logger);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing running steps');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    void running.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `istio-upgrade-bot failed to start: ${scrubSecrets(err instanceof Error ? err.message : String(err))}\n`,
    );
    process.exit(1);
  });
}
