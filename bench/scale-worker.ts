// The bot's worker process for bench/scale.bench.ts, wired as src/main.ts wires ROLE=worker: the REAL
// cluster registry (through the counting proxy's kubeconfig), the REAL engine on Redis with the
// production worker timings, the REAL Slack notifier with its Redis store, talking to the Slack
// emulator. Its own process, so its peak RSS (VmHWM) is the bot's alone.
//   node --import tsx bench/scale-worker.ts   with SCALE_PREFIX, SCALE_KUBECONFIG, SCALE_CONTEXT,
//   SCALE_SLACK_API_URL, SCALE_SLACK_TOKEN, SCALE_ISTIOCTL_DIR, SCALE_WAVE_TIMEOUT_MS (SCALE_MEM_LOG)
// Prints `ready` once the worker runs; closes on SIGTERM.
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { createClusterRegistry } from '../src/cluster/registry.js';
import { closeOnSignals, createEngine, type Engine } from '../src/engine/index.js';
import { createLogger } from '../src/log.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { createSlackNotifier } from '../src/slack/notifier.js';
import { createRedisStore } from '../src/slack/redis-store.js';
import { E2E_CLUSTER, E2E_MAX_MINOR_JUMP } from '../test/support/e2e-bot.js';
import { REDIS } from '../test/support/engine-harness.js';
import { TEST_POLICY } from '../test/support/slack-harness.js';

const need = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};
const prefix = need('SCALE_PREFIX');
const logger = createLogger({ level: process.env.SCALE_LOG_LEVEL ?? 'warn' });
const registry = createClusterRegistry({
  clusters: [{ name: E2E_CLUSTER, context: need('SCALE_CONTEXT'), kubeconfig: need('SCALE_KUBECONFIG') }],
  defaultCluster: E2E_CLUSTER,
  istioctlDir: need('SCALE_ISTIOCTL_DIR'),
  istioctlTimeoutMs: 600_000,
  proxyStatusSource: 'istioctl',
  logger,
});
const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 3 });
redis.on('error', (e) => logger.warn({ err: e }, 'notifier store: redis connection error'));
const store = createRedisStore(redis, prefix);
const client = new webApi.WebClient(need('SCALE_SLACK_TOKEN'), {
  slackApiUrl: need('SCALE_SLACK_API_URL'),
  logger: boltLogger(logger),
});
let engine: Engine | undefined;
const notifier = createSlackNotifier({
  client,
  store,
  logger,
  fourEyes: true,
  setMessage: (id, key, ts) => engine!.setMessage(id, key, ts),
});
engine = createEngine({
  redis: REDIS,
  prefix,
  clusters: registry,
  notifier,
  logger,
  policy: TEST_POLICY,
  gracePeriodMs: 1_000,
  waveTimeoutMs: Number(process.env.SCALE_WAVE_TIMEOUT_MS ?? 1_800_000),
  plan: { maxMinorJump: E2E_MAX_MINOR_JUMP },
});
const e = engine;
// SCALE_MEM_LOG=<file>: the worker's memory every 250 ms (where a wave's peak comes from)
const memLog = process.env.SCALE_MEM_LOG;
if (memLog) {
  const { appendFileSync } = await import('node:fs');
  const t0 = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (x: number) => (x / 1048576).toFixed(1);
    appendFileSync(
      memLog,
      `${new Date().toISOString()} +${((Date.now() - t0) / 1000).toFixed(1)}s rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`,
    );
  }, 250).unref();
}
await e.startWorker();
closeOnSignals(async () => {
  await notifier.idle();
  await e.close();
  redis.disconnect();
}, logger);
process.stdout.write('ready\n');
