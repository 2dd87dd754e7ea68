// The Prometheus client against a REAL Prometheus (scraping the mesh-telemetry stand-in every second)
// and against a scripted HTTP server for the failures a real one rarely shows on demand.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError } from '../../src/analysis/prometheus.js';
import { waitUntil } from '../support/engine-harness.js';
import { MeshTelemetryStandin } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

let prom: RunningPrometheus;
let mesh: MeshTelemetryStandin;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(async () => [{ namespace: 'app-a', name: 'web', revision: '1-23-1' }]);
  const { target } = await mesh.start();
  prom = await startPrometheus([target]);
});
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});

describe('against a real Prometheus', () => {
  it('instant and range queries over the stand-in’s Istio metrics, NaN kept as NaN', async () => {
    const c = new PrometheusClient({ url: prom.url });
    const rate =
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="app-a"}[5s]))';
    // Once the 5 s window holds 5 scrapes, the rate is the stand-in's 20 requests per second.
    const samples =
      'count_over_time(istio_requests_total{destination_workload="web",response_code="200"}[5s])';
    await waitUntil(async () => ((await c.query(samples))[0]?.value ?? 0) >= 5, 15_000, 200);
    const got = await c.query(rate);
    expect(got).toHaveLength(1);
    expect(got[0]!.value).toBeGreaterThan(15);
    expect(got[0]!.value).toBeLessThan(25);
    const byCode = await c.query('sum by (response_code) (istio_requests_total{destination_workload="web"})');
    expect(byCode.map((s) => s.metric.response_code).sort()).toEqual(['200', '503']);
    expect(await c.query('istio_requests_total{destination_workload_namespace="nowhere"}')).toEqual([]);
    const nan = await c.query('0/0');
    expect(nan).toHaveLength(1);
    expect(Number.isNaN(nan[0]!.value)).toBe(true);
    const end = new Date();
    const series = await c.queryRange(rate, { start: new Date(end.getTime() - 5_000), end, stepMs: 1_000 });
    expect(series).toHaveLength(1);
    expect(series[0]!.values.length).toBeGreaterThanOrEqual(2);
    const past = await c.query('vector(time())', { time: new Date(1_700_000_000_000) });
    expect(past[0]!.value).toBe(1_700_000_000);
  });

  it('a bad query is refused at once with Prometheus’ own words', async () => {
    const c = new PrometheusClient({ url: prom.url, retries: 3, backoffMs: 2_000 });
    const t0 = Date.now();
    const e = await c.query('sum(rate(istio_requests_total[5s])').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrometheusError);
    expect((e as PrometheusError).kind).toBe('bad_query');
    expect((e as Error).message).toMatch(/bad_data: .*parse error/);
    expect(Date.now() - t0).toBeLessThan(1_500); // not retried
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
async function scripted(
  handlers: Handler[],
): Promise<{ url: string; server: Server; seen: { auth?: string; body: string }[] }> {
  const seen: { auth?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      const h = handlers[Math.min(seen.length - 1, handlers.length - 1)]!;
      h(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`, server, seen };
}
const okVector = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [1, '42'] }] },
    }),
  );

describe('failures', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('retries 503 and resets, then answers; sends the bearer token from its file', async () => {
    const s = await scripted([
      (_q, res) => res.writeHead(503).end('{"status":"error","errorType":"unavailable","error":"busy"}'),
      (q) => q.socket.destroy(),
      (_q, res) => okVector(res),
    ]);
    servers.push(s.server);
    const dir = await mkdtemp(join(tmpdir(), 'iub-prom-'));
    await writeFile(join(dir, 'token'), 's3cr3t-token\n');
    const c = new PrometheusClient({ url: s.url, bearerTokenFile: join(dir, 'token'), backoffMs: 10 });
    expect((await c.query('up'))[0]!.value).toBe(42);
    expect(s.seen).toHaveLength(3);
    expect(s.seen[2]).toEqual({ auth: 'Bearer s3cr3t-token', body: 'query=up' });
  });

  it('basic auth from a user:password file; a 401 is not retried and its error names no secret', async () => {
    const s = await scripted([(_q, res) => res.writeHead(401).end('unauthorized')]);
    servers.push(s.server);
    const dir = await mkdtemp(join(tmpdir(), 'iub-prom-'));
    await writeFile(join(dir, 'basic'), 'bot:pa55word');
    const c = new PrometheusClient({ url: s.url, basicAuthFile: join(dir, 'basic'), backoffMs: 10 });
    const e = (await c.query('up').catch((x: unknown) => x)) as PrometheusError;
    expect(e.kind).toBe('http');
    expect(e.message).toBe(`${s.url}: HTTP 401`);
    expect(s.seen).toEqual([
      { auth: `Basic ${Buffer.from('bot:pa55word').toString('base64')}`, body: 'query=up' },
    ]);
  });

  it('gives up after its retries on a Prometheus that is down, saying so', async () => {
    const s = await scripted([]);
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
    const c = new PrometheusClient({ url: s.url, retries: 2, backoffMs: 10 });
    const e = (await c.query('up').catch((x: unknown) => x)) as PrometheusError;
    expect(e).toMatchObject({ kind: 'unreachable', transient: true });
    expect(e.message).toBe(`${s.url}: ECONNREFUSED`);
  });

  it('a stalled answer times out per attempt; an abort stops it at once', async () => {
    const s = await scripted([() => undefined]);
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url, timeoutMs: 200, retries: 1, backoffMs: 10 });
    const t0 = Date.now();
    const e = (await c.query('up').catch((x: unknown) => x)) as PrometheusError;
    expect(e.kind).toBe('timeout');
    expect(s.seen).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(2_000);
    const slow = new PrometheusClient({ url: s.url, timeoutMs: 60_000 });
    const ac = new AbortController();
    const p = slow.query('up', { signal: ac.signal }).catch((x: unknown) => x);
    await waitUntil(async () => s.seen.length === 3);
    const t1 = Date.now();
    ac.abort();
    expect(((await p) as PrometheusError).kind).toBe('cancelled');
    expect(Date.now() - t1).toBeLessThan(500);
  });
});
