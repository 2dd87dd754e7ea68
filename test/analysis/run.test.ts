// The WaveAnalysis adapter against a REAL Prometheus scraping the mesh-telemetry stand-in: a healthy
// namespace passes; 5xx or latency on the new revision fails; no series or Prometheus down is
// inconclusive, never a pass; a cancelled analysis stops at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../src/analysis/prometheus.js';
import { PrometheusWaveAnalysis } from '../../src/analysis/run.js';
import { type AnalysisSpec, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';
import type { WaveAnalysisRequest } from '../../src/engine/ports.js';
import { waitUntil } from '../support/engine-harness.js';
import { MeshTelemetryStandin, type TelemetryWorkload } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SPEC: AnalysisSpec = {
  name: 'test',
  intervalMs: 3_000,
  count: 2,
  failureLimit: 0,
  baselineMs: 5_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
};
const workloads: TelemetryWorkload[] = ['app-a', 'app-b', 'app-c'].flatMap((namespace) => [
  { namespace, name: 'web', revision: '1-23-1' },
  { namespace, name: 'db', revision: '1-23-1' },
]);
let prom: RunningPrometheus;
let mesh: MeshTelemetryStandin;
let baselineEnd: string;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(async () => workloads);
  const { target } = await mesh.start();
  prom = await startPrometheus([target]);
  const c = new PrometheusClient({ url: prom.url });
  // The baseline window (5 s) holds five scrapes before the "wave" starts.
  await waitUntil(
    async () =>
      ((
        await c.query(
          'count_over_time(istio_requests_total{destination_workload_namespace="app-a",destination_workload="web",response_code="200"}[5s])',
        )
      )[0]?.value ?? 0) >= 5,
    20_000,
    200,
  );
  baselineEnd = new Date().toISOString();
  // The wave: every workload of app-a and app-b now runs 1-24-2; the new revision of app-b answers
  // 30 % with 503, of app-c (still on 1-23-1) nothing changes.
  for (const w of workloads) if (w.namespace !== 'app-c') w.revision = '1-24-2';
  mesh.setFault({ namespace: 'app-b', revision: '1-24-2', errorRate: 0.3 });
  mesh.setFault({ namespace: 'app-c', revision: '1-24-2', latencyMs: 900 });
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});

const req = (namespaces: string[], over: Partial<AnalysisSpec> = {}): WaveAnalysisRequest => ({
  spec: { ...SPEC, ...over },
  namespaces,
  workloads: namespaces.flatMap((namespace) => [
    { kind: 'Deployment' as const, namespace, name: 'web' },
    { kind: 'StatefulSet' as const, namespace, name: 'db' },
  ]),
  baselineEnd,
});

describe('wave analysis over a real Prometheus', () => {
  it('healthy passes, 30 % 5xx on the new revision fails, no series is inconclusive', async () => {
    const analysis = new PrometheusWaveAnalysis(new PrometheusClient({ url: prom.url }));
    const checks: string[] = [];
    const [healthy, faulty, empty] = await Promise.all([
      analysis.analyze(req(['app-a', 'app-c'], { perWorkload: true }), {
        onCheck: (c) => checks.push(`${c.check}/${c.count} ${c.verdict}`),
      }),
      analysis.analyze(req(['app-a', 'app-b']), {}),
      analysis.analyze(req(['app-z']), {}),
    ]);
    expect(healthy).toMatchObject({ verdict: 'passed', checks: 2, failedChecks: 0, spec: 'test' });
    expect(checks).toEqual(['1/2 pass', '2/2 pass']);
    // 2 namespaces + 4 workloads, 2 metrics each; baselines for p99 only (6), 12 per check.
    expect(healthy.measurements).toHaveLength(12);
    expect(healthy.queries).toBe(6 + 2 * 12);
    const p99 = healthy.measurements.find(
      (m) => m.target === 'app-a/web' && m.metric === 'request-duration-p99',
    )!;
    expect(p99.baseline).toBeCloseTo(24.85, 1); // every request 20 ms: bucket (10, 25]
    expect(p99.value).toBeCloseTo(24.85, 1);
    const success = healthy.measurements.find(
      (m) => m.target === 'app-c' && m.metric === 'request-success-rate',
    )!;
    expect(success).toMatchObject({ value: 100, verdict: 'pass', limit: '≥ 99' });

    expect(faulty).toMatchObject({ verdict: 'failed', checks: 1, failedChecks: 1 });
    const bad = faulty.measurements.filter((m) => m.verdict === 'fail');
    expect(bad.map((m) => `${m.target} ${m.metric}`)).toEqual(['app-b request-success-rate']);
    expect(bad[0]!.value).toBeGreaterThan(65);
    expect(bad[0]!.value).toBeLessThan(75);
    expect(faulty.reason).toMatch(
      /^1 check\(s\) failed \(limit 0\): request-success-rate of app-b \d+(\.\d\d)? %, wanted ≥ 99$/,
    );

    expect(empty).toMatchObject({ verdict: 'inconclusive', checks: 1 });
    expect(empty.reason).toBe(
      'inconclusive at check 1: request-success-rate of app-z: no series; request-duration-p99 of app-z: no series',
    );
  }, 30_000);

  it('latency on the new revision fails against its baseline', async () => {
    for (const w of workloads) if (w.namespace === 'app-c') w.revision = '1-24-2';
    const res = await new PrometheusWaveAnalysis(new PrometheusClient({ url: prom.url })).analyze(
      { ...req(['app-c'], { count: 1 }), baselineEnd: new Date().toISOString() },
      {},
    );
    expect(res.verdict).toBe('failed');
    expect(res.reason).toMatch(
      /request-duration-p99 of app-c \d+ ms \(baseline 2\d\.\d\d ms\), wanted ≤ 1\.2 × 2\d\.\d\d \+ 50 = \d+/,
    );
  }, 20_000);

  it('Prometheus down: inconclusive with the reason, never a pass', async () => {
    const dead = new PrometheusClient({ url: 'http://127.0.0.1:9', retries: 1, backoffMs: 10 });
    const res = await new PrometheusWaveAnalysis(dead).analyze(req(['app-a'], { intervalMs: 100 }), {});
    expect(res.verdict).toBe('inconclusive');
    expect(res.reason).toContain('request-success-rate of app-a: http://127.0.0.1:9: ECONNREFUSED');
  });

  it('a cancelled analysis rejects at once, in the wait or in a query', async () => {
    const ac = new AbortController();
    const analysis = new PrometheusWaveAnalysis(new PrometheusClient({ url: prom.url }));
    const p = analysis
      .analyze(req(['app-a'], { intervalMs: 60_000 }), { signal: ac.signal })
      .catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    expect(await p).toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
