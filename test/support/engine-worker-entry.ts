/**
 * A worker process for the crash test (test glue): `node --import tsx test/support/engine-worker-entry.ts`
 * with IUB_PREFIX (keys of the test), IUB_TICK_MS (stand-in rollout tick), IUB_WAIT_FOR_GO (below). The stand-in cluster's
 * state lives in Redis under the prefix, so it outlives this process. Prints `ready` when the worker runs.
 */
import { closeOnSignals, createEngine } from '../../src/engine/index.js';
import { ClusterStandin, standinRegistry } from './cluster-standin.js';
import { openPolicy, REDIS, silentLogger } from './engine-harness.js';

const prefix = process.env.IUB_PREFIX;
if (!prefix) throw new Error('IUB_PREFIX is required');
const tick = Number(process.env.IUB_TICK_MS ?? 20);
const cluster = new ClusterStandin('prod', `${prefix}:standin:prod`, REDIS, tick);
const logger = silentLogger();
const engine = createEngine({
  redis: REDIS,
  prefix,
  clusters: standinRegistry([cluster]),
  policy: openPolicy(['prod']),
  notifier: { notify: async () => {} },
  logger,
  gracePeriodMs: 30,
  waveTimeoutMs: 20_000,
  approvalTtlMs: 120_000,
});
// IUB_WAIT_FOR_GO: load everything, say `loaded`, and start only when `go` arrives on stdin (lets a
// test have a replacement worker warm before it kills the first one).
if (process.env.IUB_WAIT_FOR_GO) {
  process.stdout.write('loaded\n');
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (b: Buffer) => {
      if (b.toString().includes('go')) resolve();
    });
  });
}
await engine.startWorker({ lockDurationMs: 1000, stalledIntervalMs: 400, watchMs: 50, reconcileMs: 500 });
closeOnSignals(async () => {
  await engine.close();
  cluster.redis.disconnect();
}, logger);
process.stdout.write('ready\n');
