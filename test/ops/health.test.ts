import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { type HealthServer, startHealthServer } from '../../src/ops/health.js';
import { createMetrics, fanOut, metricsObserver } from '../../src/ops/metrics.js';

const servers: HealthServer[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const c of clients.splice(0)) c.disconnect();
});

const redisCheck = (port: number) => {
  const c = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined); // the readiness answer carries the error
  clients.push(c);
  return async () => {
    if (c.status !== 'ready') await c.connect().catch(() => undefined);
    await c.ping();
  };
};

async function start(checks: Record<string, () => Promise<void>>, list?: () => Promise<UpgradeRecord[]>) {
  const metrics = createMetrics(list);
  const s = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    checks,
    registry: metrics.registry,
    checkTimeoutMs: 300,
  });
  servers.push(s);
  return { url: `http://127.0.0.1:${s.port}`, metrics };
}

describe('health server', () => {
  it('is ready when Redis answers', async () => {
    const { url } = await start({ redis: redisCheck(6379) });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const r = await fetch(`${url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ redis: 'ok' });
  });

  it('is not ready when Redis is unreachable or a check hangs, and says which', async () => {
    const { url } = await start({ redis: redisCheck(1), cluster: () => new Promise(() => undefined) });
    const r = await fetch(`${url}/readyz`);
    expect(r.status).toBe(503);
    const body = (await r.json()) as Record<string, string>;
    expect(body.redis).not.toBe('ok');
    expect(body.cluster).toBe('no answer within 300 ms');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('serves metrics: upgrades by state, wave durations and approvals', async () => {
    const rec = (state: string, cluster: string) => ({ state, cluster }) as UpgradeRecord;
    const { url, metrics } = await start({}, async () => [
      rec('running', 'prod'),
      rec('done', 'prod'),
      rec('done', 'prod'),
    ]);
    const started = new Date(Date.now() - 42_000).toISOString();
    const record = {
      cluster: 'prod',
      waves: [{ index: 1, namespaces: ['a'], status: 'done', startedAt: started }],
      decisions: [{ step: 'await_wave_approval', by: 'U1', at: started, outcome: 'approved' }],
    } as unknown as UpgradeRecord;
    const failing = { notify: async () => Promise.reject(new Error('observer down')) };
    const seen: string[] = [];
    const n = fanOut({ notify: async (e) => void seen.push(e.type) }, metricsObserver(metrics), failing);
    await n.notify({ type: 'wave_diff', key: 'k1', record, wave: 1, diff: {} });
    await n.notify({ type: 'approval_decided', key: 'k2', record });
    expect(seen).toEqual(['wave_diff', 'approval_decided']);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('istio_upgrade_bot_upgrades{state="done",cluster="prod"} 2');
    expect(text).toContain('istio_upgrade_bot_upgrades{state="running",cluster="prod"} 1');
    expect(text).toMatch(/istio_upgrade_bot_wave_duration_seconds_bucket\{le="60",cluster="prod"\} 1/);
    expect(text).toMatch(/istio_upgrade_bot_wave_duration_seconds_bucket\{le="30",cluster="prod"\} 0/);
    expect(text).toContain('istio_upgrade_bot_approvals_total{outcome="approved"} 1');
  });

  it('answers unknown paths with where to look', async () => {
    const { url } = await start({});
    const r = await fetch(`${url}/nope`);
    expect(r.status).toBe(404);
    expect(await r.text()).toMatch(/\/healthz/);
  });
});
