// The chart's series from a REAL Prometheus (query_range) scraping the mesh-telemetry stand-in: one
// line per namespace and metric over the window, the 5xx of the new revision visible after the wave's
// start and not before it; a namespace without traffic is an empty line; Prometheus down rejects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError } from '../../src/analysis/prometheus.js';
import { PrometheusWaveAnalysis } from '../../src/analysis/run.js';
import { type AnalysisSpec, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';
import { waitUntil } from '../support/engine-harness.js';
import { MeshTelemetryStandin, type TelemetryWorkload } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SPEC: AnalysisSpec = {
  name: 'test',
  intervalMs: 2_000,
  count: 2,
  failureLimit: 0,
  baselineMs: 4_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
};
const workloads: TelemetryWorkload[] = ['app-a', 'app-b'].map((namespace) => ({
  namespace,
  name: 'web',
  revision: '1-23-1',
}));
let prom: RunningPrometheus;
let mesh: MeshTelemetryStandin;
let client: PrometheusClient;
let waveStart: number;

const successOf = async (ns: string) =>
  (
    await client.query(
      `sum(rate(istio_requests_total{destination_workload_namespace="${ns}",response_code!~"5.*"}[2s])) / sum(rate(istio_requests_total{destination_workload_namespace="${ns}"}[2s]))`,
    )
  )[0]?.value ?? Number.NaN;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(async () => workloads);
  prom = await startPrometheus([(await mesh.start()).target]);
  client = new PrometheusClient({ url: prom.url });
  // a few seconds of healthy traffic: the baseline
  await waitUntil(async () => mesh.scrapes >= 5, 20_000, 100);
  waveStart = Date.now();
  for (const w of workloads) w.revision = '1-24-2';
  mesh.setFault({ namespace: 'app-b', revision: '1-24-2', errorRate: 0.3 });
  // until the 2 s rate window holds only the fault
  const scrapes = mesh.scrapes;
  await waitUntil(async () => mesh.scrapes >= scrapes + 3 && (await successOf('app-b')) < 0.8, 20_000, 200);
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});

describe('wave chart series (query_range)', () => {
  it('one line per namespace and metric over the window; the 5xx shows after the wave start only', async () => {
    const end = Date.now();
    const window = { start: waveStart - SPEC.baselineMs, end, stepMs: 1000 };
    const series = await new PrometheusWaveAnalysis(client).series({
      spec: SPEC,
      namespaces: ['app-a', 'app-b'],
      window,
    });
    expect(series.map((s) => `${s.target} ${s.metric} ${s.unit}`)).toEqual([
      'app-a request-success-rate %',
      'app-a request-duration-p99 ms',
      'app-b request-success-rate %',
      'app-b request-duration-p99 ms',
    ]);
    for (const s of series) {
      const ts = s.points.map(([t]) => t);
      expect(ts[0]).toBeGreaterThanOrEqual(window.start);
      expect(ts.at(-1)).toBeLessThanOrEqual(end);
      expect(ts.every((t, i) => i === 0 || t - ts[i - 1]! === 1000)).toBe(true);
      expect(s.points.filter(([, v]) => v !== null).length).toBeGreaterThanOrEqual(5);
    }
    const values = (i: number, from: number, to: number) =>
      series[i]!.points.filter(([t, v]) => t >= from && t <= to && v !== null).map(([, v]) => v!);
    // app-a: 100 % all along; p99 of a 20 ms latency inside Istio's 10–25 ms bucket
    expect(values(0, window.start, end).every((v) => v === 100)).toBe(true);
    expect(values(1, window.start, end).every((v) => v > 10 && v <= 25)).toBe(true);
    // app-b: 100 % in the baseline, about 70 % at the end
    const before = values(2, window.start, waveStart - 1000);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((v) => v === 100)).toBe(true);
    const last = values(2, end - 2000, end);
    expect(last.length).toBeGreaterThan(0);
    for (const v of last) {
      expect(v).toBeGreaterThan(55);
      expect(v).toBeLessThan(85);
    }
  });

  it('a namespace with no traffic is an empty line, not an error', async () => {
    const now = Date.now();
    const [s] = await new PrometheusWaveAnalysis(client).series({
      spec: { ...SPEC, metrics: [DEFAULT_METRICS[0]!] },
      namespaces: ['nobody-here'],
      window: { start: now - 5000, end: now, stepMs: 1000 },
    });
    expect(s).toEqual({ target: 'nobody-here', metric: 'request-success-rate', unit: '%', points: [] });
  });

  it('Prometheus down: rejects with what did not answer', async () => {
    const dead = new PrometheusWaveAnalysis(
      new PrometheusClient({ url: 'http://127.0.0.1:9', retries: 0, timeoutMs: 500 }),
    );
    const now = Date.now();
    const err = await dead
      .series({ spec: SPEC, namespaces: ['app-a'], window: { start: now - 5000, end: now, stepMs: 1000 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusError);
    expect((err as Error).message).toBe('http://127.0.0.1:9: ECONNREFUSED');
  });
});
