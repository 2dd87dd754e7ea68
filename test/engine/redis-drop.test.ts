// Redis connection dropped and restored mid-upgrade: the upgrade continues.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let engine: Engine | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  proxy?.restore();
  await engine?.close();
  await proxy?.close();
});

describe('redis connection loss', () => {
  it('an upgrade survives the connection being cut and restored (twice)', async () => {
    const prefix = uniquePrefix('drop');
    const cluster = await seededCluster('prod', prefix, undefined, 150); // the stand-in talks to Redis directly
    proxy = new TcpProxy(REDIS.host, REDIS.port);
    const port = await proxy.listen();
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), {
      redis: { host: '127.0.0.1', port },
    });
    await engine.startWorker();
    const req = await engine.service.request({
      command: {
        kind: 'upgrade',
        version: '1.24.2',
        strategy: 'labels',
        dryRun: false,
        waves: [['app-a'], ['app-b'], ['app-c']],
      },
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const e = engine;
    // Cut while wave 1 waits for its rollouts, and again while wave 2 is awaiting approval.
    await approveUntilEnd(e.service, id, { stopWhen: (r) => r.step === 'wait_rollouts' });
    const before = proxy.connections;
    const p = proxy;
    // Each outage lasts until the engine has seen it: its connections tried to reconnect and were
    // refused (not a fixed time, which a slow machine could spend before anyone noticed).
    const outage = async () => {
      const refused = p.refused;
      p.cut();
      await waitUntil(async () => p.refused >= refused + 3, 10_000);
      p.restore();
    };
    await outage();
    await approveUntilEnd(e.service, id, {
      stopWhen: (r) => r.state === 'awaiting_approval' && r.approval?.wave === 2,
    });
    await outage();
    const end = await approveUntilEnd(e.service, id, { timeoutMs: 30_000 });
    expect(end.state, JSON.stringify(end.stopped)).toBe('done');
    expect(end.waves.every((w) => w.status === 'done')).toBe(true);
    const restarts = await cluster.restarts();
    expect(restarts).toHaveLength(6);
    expect(new Set(restarts.map((r) => r.workload)).size).toBe(6);
    expect(before).toBeGreaterThan(0);
    await waitUntil(async () => proxy!.connections > 0);
  }, 45_000);
});
