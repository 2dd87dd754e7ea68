// The edge between the record and the cluster: abort and rollback preempt a slow running step (the
// stand-in's install honours its AbortSignal like the real adapters); a worker cut off from Redis stops
// acting once its lease lapses; nothing ends `stopped` for "busy".
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import { type ClusterStandin, standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  BOB,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
const engines: Engine[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.restore();
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A logger whose lines the test can wait for (the worker says when its step was superseded). */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function slowInstall(tag: string, ms = 60_000) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix);
  await cluster.setDelay('installer.install', ms);
  const engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  engines.push(engine);
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  const id = req.value.id;
  const until = (p: (r: UpgradeRecord) => boolean, timeoutMs = 15_000) =>
    waitUntil(async () => {
      const r = await engine.service.get(id);
      return r && p(r) ? r : null;
    }, timeoutMs);
  // The install has started (its call is logged) and is still running.
  await waitUntil(async () => (await cluster.calls()).some((c) => c.method === 'installer.install'));
  return { prefix, cluster, engine, id, until };
}

const installs = async (c: ClusterStandin) =>
  (await c.calls()).filter((x) => x.method === 'installer.install').map((x) => x.outcome);

describe('abort stops where it is', () => {
  it('abort during a slow install: aborting until the install is cancelled, then aborted; the cluster is refused meanwhile and free after', async () => {
    const { cluster, engine, id, until } = await slowInstall('abort');
    const clicked = Date.now();
    const res = await engine.service.abort(id, BOB);
    expect(res.ok && res.value.state).toBe('aborting');
    // A new upgrade asked at once is refused, saying the cluster waits for the running step.
    const early = await engine.service.request({ command: cmd, requester: ALICE });
    if (early.ok) {
      // Only possible when the install had already stopped: then it must be cancelled by now.
      expect(await installs(cluster)).toEqual(['started', 'cancelled']);
    } else {
      expect(early.error.code).toBe('cluster_busy');
      expect(early.error.message).toMatch(/being aborted: it waits for its running step to stop/);
    }
    const aborted = await until((r) => r.state === 'aborted');
    expect(Date.now() - clicked).toBeLessThan(5_000);
    expect(await installs(cluster)).toEqual(['started', 'cancelled']);
    // The cancelled install changed nothing: no canary control plane.
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    expect(aborted.audit.map((a) => a.action)).toContain('aborted');
    if (!early.ok) {
      const later = await engine.service.request({ command: cmd, requester: ALICE });
      expect(later.ok).toBe(true);
    }
  }, 30_000);
});

describe('rollback preempts', () => {
  it('rollback during a slow install cancels it, uninstalls what it may have left and ends rolled_back, never stopped', async () => {
    const { cluster, engine, id, until } = await slowInstall('rb');
    const clicked = Date.now();
    const res = await engine.service.rollback({ id, actor: BOB, reason: "INC-1 can't reach db" });
    expect(res.ok && res.value.state).toBe('rolling_back');
    const seen = new Set<string>();
    const end = await until((r) => {
      seen.add(r.state);
      return ['rolled_back', 'stopped'].includes(r.state);
    });
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    expect(seen.has('stopped')).toBe(false);
    expect(Date.now() - clicked).toBeLessThan(5_000);
    expect(await installs(cluster)).toEqual(['started', 'cancelled']);
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    expect(end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail)).toEqual([
      'restore_tags',
      'uninstall_canary',
    ]);
  }, 30_000);
});

describe('fencing', () => {
  it('a worker cut off from Redis mid-step cancels its step when its lease lapses; another worker rolls back; the cut worker changes nothing after', async () => {
    const prefix = uniquePrefix('fence');
    const cluster = await seededCluster('prod', prefix); // the cluster stays reachable for both workers
    await cluster.setDelay('installer.install', 60_000);
    const proxy = new TcpProxy(REDIS.host, REDIS.port);
    proxies.push(proxy);
    const port = await proxy.listen();
    const lease = 1_500; // FAST_WORKER's lease
    const cut = capturingLogger();
    const cutWorker = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), {
      redis: { host: '127.0.0.1', port },
      logger: cut.logger,
    });
    engines.push(cutWorker);
    await cutWorker.startWorker();
    const req = await cutWorker.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    await waitUntil(async () => (await installs(cluster)).includes('started'));
    const connections = proxy.connections;
    proxy.cut();
    const cutAt = Date.now();
    // The cut worker notices it cannot renew its lease and cancels its own install.
    await waitUntil(async () => (await installs(cluster)).includes('cancelled'), 10_000);
    expect(Date.now() - cutAt).toBeLessThan(lease + 2_000);
    // Another worker, with Redis, rolls back.
    const other = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    engines.push(other);
    await other.startWorker();
    const rb = await other.service.rollback({ id, actor: BOB, reason: 'partition drill' });
    expect(rb.ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await other.service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    // The cut worker's step ended as superseded (it said so), having installed nothing.
    await waitUntil(async () =>
      cut.lines.some((l) => l.msg === 'step superseded' && l.step === 'install_control_plane'),
    );
    expect(cut.lines.some((l) => l.msg === 'step cancelled: this worker no longer holds the run')).toBe(true);
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    proxy.restore();
    // Back on Redis (every connection it had), the cut worker reads the record as it now is.
    await waitUntil(async () => proxy.connections >= connections, 20_000);
    expect((await cutWorker.service.get(id))?.state).toBe('rolled_back');
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  }, 40_000);
});

describe('the fence before every cluster change', () => {
  it('a worker that never noticed it lost the run (no watch) is stopped by the fence before its next change', async () => {
    const prefix = uniquePrefix('fence2');
    const cluster = await seededCluster('prod', prefix);
    const blind = capturingLogger();
    // This worker's watch never runs (watchMs 1 h): only the fence can stop it.
    const a = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), {
      logger: blind.logger,
      worker: { lockDurationMs: 1_500, stalledIntervalMs: 700, watchMs: 3_600_000, reconcileMs: 1_000 },
    });
    engines.push(a);
    await a.startWorker({ concurrency: 1 });
    const req = await a.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const waiting = await waitUntil(async () => {
      const r = await a.service.get(id);
      return r?.state === 'awaiting_approval' ? r : null;
    });
    // restart_workloads reads the workloads (slow, not fenced), then restarts them (fenced).
    await cluster.setDelay('inspector.workloads', 4_000);
    await a.service.approve({ id, nonce: waiting.approval!.nonce, actor: ALICE });
    await waitUntil(async () => (await cluster.calls()).some((c) => c.method === 'inspector.workloads'));
    await cluster.setDelay('inspector.workloads', 0);
    // Meanwhile the upgrade is rolled back by another worker (once the blind worker's lease lapsed).
    const b = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    engines.push(b);
    await b.startWorker();
    expect((await b.service.rollback({ id, actor: BOB, reason: 'drill' })).ok).toBe(true);
    await waitUntil(async () =>
      blind.lines.some((l) => l.msg === 'step superseded' && l.step === 'restart_workloads'),
    );
    const end = await waitUntil(async () => {
      const r = await b.service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    // The blind worker's restart never reached the cluster: no workload was restarted at all.
    expect(await cluster.restarts()).toEqual([]);
    expect(blind.lines.some((l) => String(l.why ?? '').startsWith('fence'))).toBe(true);
  }, 40_000);
});

describe('a step stopped by its own lease while still current', () => {
  it('runs again (the job is retried, not completed): the upgrade does not hang', async () => {
    const { prefix, cluster, id, until } = await slowInstall('relapse', 60_000);
    await cluster.setDelay('installer.install', 0);
    // The lease is lost without anyone taking the run over (a Redis that lost the key, or was too
    // slow to renew it): the worker cancels its install.
    const redis = new Redis(REDIS);
    await redis.del(`${prefix}:runner:${id}`);
    await redis.quit();
    await waitUntil(async () => (await installs(cluster)).includes('cancelled'));
    const r = await until((x) => x.state === 'awaiting_approval' || x.state === 'stopped', 20_000);
    expect(r.state, JSON.stringify(r.stopped)).toBe('awaiting_approval');
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1', '1-24-2']);
  }, 30_000);
});
