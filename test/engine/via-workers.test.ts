// A bot-only engine (ROLE=bot: cluster names, no ports) asks a worker engine (with the stand-in
// cluster) for the mesh reads over real Redis; without a worker it refuses with `no_worker` in time.
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import { READS_QUEUE_NAME, type ReadJobData } from '../../src/engine/cluster-reads.js';
import { clusterNames, type Engine } from '../../src/engine/index.js';
import { proxyStatusQuery } from '../../src/wiring/proxy-status-query.js';
import { ClusterStandin, standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  botEngine,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const cmd = (over: Partial<UpgradeCommand> = {}): UpgradeCommand => ({
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  ...over,
});

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(e: Engine): Engine {
  cleanups.push(() => e.close());
  return e;
}

async function readsQueue(prefix: string) {
  const q = new Queue<ReadJobData>(READS_QUEUE_NAME, { connection: REDIS, prefix });
  cleanups.push(() => q.close());
  return q;
}

/** A worker process's engine: the stand-in `prod` and a `broken` cluster whose reads fail. */
async function workerSide(prefix: string, notifier: RecordingNotifier) {
  const prod = await seededCluster('prod', prefix);
  const broken = new ClusterStandin('broken', `${prefix}:standin:broken`, REDIS); // never seeded
  cleanups.push(() => {
    prod.redis.disconnect();
    broken.redis.disconnect();
  });
  const worker = track(testEngine(prefix, standinRegistry([prod, broken]), notifier));
  await worker.startWorker();
  return { prod, worker };
}

describe('engine without cluster access (ROLE=bot)', () => {
  it('plans through a worker, and the upgrade runs to the end', async () => {
    const prefix = uniquePrefix('via');
    const notifier = new RecordingNotifier();
    const { prod } = await workerSide(prefix, notifier);
    const bot = track(botEngine(prefix, clusterNames(['prod', 'broken']), notifier));

    const req = await bot.service.request({ command: cmd(), requester: ALICE });
    if (!req.ok) throw new Error(`${req.error.code}: ${req.error.message}`);
    expect(req.value).toMatchObject({
      cluster: 'prod',
      from: { version: '1.23.1', revision: '1-23-1' },
      to: { version: '1.24.2', revision: '1-24-2' },
    });
    expect(req.value.waves.map((w) => w.namespaces)).toEqual([['app-a'], ['app-b', 'app-c']]);

    const end = await approveUntilEnd(bot.service, req.value.id);
    expect(end.state).toBe('done');
    const s = await prod.state();
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
    expect(s.workloads.every((w) => w.podRevision === '1-24-2')).toBe(true);

    // the read jobs do not pile up: completed ones are removed, nothing waits
    const q = await readsQueue(prefix);
    expect(await q.getJobCounts('waiting', 'active', 'completed', 'failed')).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
  }, 30_000);

  it('keeps the refusals of the reads: kube_api from the worker, unknown_cluster and skew in the bot', async () => {
    const prefix = uniquePrefix('via-refuse');
    const notifier = new RecordingNotifier();
    await workerSide(prefix, notifier);
    const bot = track(botEngine(prefix, clusterNames(['prod', 'broken']), notifier));

    const broken = await bot.service.request({ command: cmd({ cluster: 'broken' }), requester: ALICE });
    expect(broken).toMatchObject({
      ok: false,
      error: {
        code: 'kube_api',
        message: expect.stringMatching(/^Could not read the mesh of cluster broken: .*not seeded/),
      },
    });
    const ghost = await bot.service.request({ command: cmd({ cluster: 'ghost' }), requester: ALICE });
    expect(ghost).toMatchObject({
      ok: false,
      error: { code: 'unknown_cluster', hint: 'Known clusters: prod, broken.' },
    });
    const skew = await bot.service.request({ command: cmd({ version: '1.26.0' }), requester: ALICE });
    expect(skew).toMatchObject({ ok: false, error: { code: 'skew_too_large' } });
    expect(await bot.service.list()).toEqual([]);
  });

  it('applies its own plan options (maxMinorJump) to what the worker read', async () => {
    const prefix = uniquePrefix('via-jump');
    const notifier = new RecordingNotifier();
    await workerSide(prefix, notifier);
    const bot = track(botEngine(prefix, clusterNames(['prod']), notifier, { plan: { maxMinorJump: 3 } }));
    const req = await bot.service.request({ command: cmd({ version: '1.26.0' }), requester: ALICE });
    expect(req).toMatchObject({ ok: true, value: { to: { version: '1.26.0' } } });
    if (req.ok) await bot.service.abort(req.value.id, ALICE);
  });

  it('reads proxy status through a worker for /istio ps', async () => {
    const prefix = uniquePrefix('via-ps');
    const notifier = new RecordingNotifier();
    const { worker } = await workerSide(prefix, notifier);
    const bot = track(botEngine(prefix, clusterNames(['prod', 'broken']), notifier));

    const viaWorker = await bot.reads.proxyStatus('prod');
    expect(viaWorker).toEqual(await worker.reads.proxyStatus('prod'));
    const snap = await proxyStatusQuery(bot.reads)({ cluster: 'prod' });
    expect(snap.proxies).toHaveLength(3 * 3 + 1); // 3 pods in each of 3 namespaces, 1 gateway
    const one = await proxyStatusQuery(bot.reads)({ cluster: 'prod', namespace: 'app-b' });
    expect(one.proxies.map((p) => p.namespace)).toEqual(['app-b', 'app-b', 'app-b']);
    await expect(proxyStatusQuery(bot.reads)({ cluster: 'broken' })).rejects.toThrow(/not seeded/);
  });

  it('reads control planes through a worker for the App Home, keeping a failure as kube_api', async () => {
    const prefix = uniquePrefix('via-cp');
    const notifier = new RecordingNotifier();
    await workerSide(prefix, notifier);
    const bot = track(botEngine(prefix, clusterNames(['prod', 'broken']), notifier));
    expect(await bot.reads.controlPlanes('prod')).toEqual({
      ok: true,
      value: [{ revision: '1-23-1', version: '1.23.1', ready: true }],
    });
    const broken = await bot.reads.controlPlanes('broken');
    expect(broken.ok ? null : broken.error).toMatchObject({ code: 'kube_api', message: /not seeded/ });
  });

  it('refuses with no_worker within the timeout when no worker runs, and leaves no job behind', async () => {
    const prefix = uniquePrefix('via-none');
    const bot = track(
      botEngine(prefix, clusterNames(['prod']), new RecordingNotifier(), { clusterReadTimeoutMs: 700 }),
    );
    const t0 = Date.now();
    const res = await bot.service.request({ command: cmd(), requester: ALICE });
    const took = Date.now() - t0;
    expect(res).toMatchObject({
      ok: false,
      error: {
        code: 'no_worker',
        message:
          'No worker answered within 0.7 s: is a worker (ROLE=worker or all) running and able to reach cluster prod?',
      },
    });
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(2_000);
    expect(await bot.service.list()).toEqual([]);

    const ps = bot.reads.proxyStatus('prod');
    await expect(ps).resolves.toMatchObject({ ok: false, error: { code: 'no_worker' } });
    await expect(proxyStatusQuery(bot.reads)({ cluster: 'prod' })).rejects.toMatchObject({
      code: 'no_worker',
      message: expect.stringContaining('No worker answered within 0.7 s'),
    });
    const q = await readsQueue(prefix);
    expect(await q.getJobCounts('waiting', 'active')).toMatchObject({ waiting: 0, active: 0 });
  });

  it('does not hang when Redis is gone: no_worker within the timeout', async () => {
    const prefix = uniquePrefix('via-redis');
    const proxy = new TcpProxy(REDIS.host, REDIS.port);
    const port = await proxy.listen();
    cleanups.push(() => proxy.close());
    const bot = track(
      botEngine(prefix, clusterNames(['prod']), new RecordingNotifier(), {
        redis: { ...REDIS, port },
        clusterReadTimeoutMs: 700,
      }),
    );
    proxy.cut();
    const t0 = Date.now();
    const res = await bot.reads.mesh('prod');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(res).toMatchObject({
      ok: false,
      error: {
        code: 'no_worker',
        message: expect.stringMatching(/^Could not ask a worker to read cluster prod within 0.7 s/),
      },
    });
    proxy.restore();
  });

  it('a read waits for a worker that starts while it waits', async () => {
    const prefix = uniquePrefix('via-wait');
    const notifier = new RecordingNotifier();
    const bot = track(botEngine(prefix, clusterNames(['prod']), notifier, { clusterReadTimeoutMs: 8_000 }));
    const asked = bot.reads.mesh('prod');
    // The read is queued and nobody answers it yet (no worker): it is waiting, not done or failed.
    const q = await readsQueue(prefix);
    await expect
      .poll(() => q.getJobCounts('waiting', 'active', 'completed', 'failed'))
      .toMatchObject({
        waiting: 1,
        active: 0,
        completed: 0,
        failed: 0,
      });
    await workerSide(prefix, notifier);
    const res = await asked;
    expect(res).toMatchObject({ ok: true, value: { controlPlanes: [{ revision: '1-23-1' }] } });
  });

  it('a worker that starts late skips reads nobody waits for; a bot engine starts no worker', async () => {
    const prefix = uniquePrefix('via-late');
    const q = await readsQueue(prefix);
    // a read whose waiter gave up without removing it (e.g. the bot was killed)
    await q.add('mesh', { kind: 'mesh', cluster: 'prod', notAfter: Date.now() - 1 }, { jobId: 'mesh-stale' });
    const notifier = new RecordingNotifier();
    await workerSide(prefix, notifier);
    const job = await q.getJob('mesh-stale');
    await expect
      .poll(async () => (await q.getJob('mesh-stale'))?.returnvalue ?? null, { timeout: 5_000 })
      .toMatchObject({ ok: false, error: { code: 'expired' } });
    expect(job).toBeDefined();

    const bot = track(botEngine(prefix, clusterNames(['prod']), notifier));
    await expect(bot.startWorker()).rejects.toThrow(/no cluster access/);
  });
});
