// The control-plane gate of the first wave against a REAL Prometheus scraping the mesh-telemetry
// stand-in's istiods (istio's metric names and types, scraped with the pod labels of Istio's sample
// Prometheus): a healthy canary passes with its own rows; xDS rejects or push-context errors that
// grow during the wave, or a slow convergence, fail; an istiod that is not scraped is inconclusive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../src/analysis/prometheus.js';
import { PrometheusWaveAnalysis } from '../../src/analysis/run.js';
import {
  type AnalysisSpec,
  DEFAULT_CONTROL_PLANE,
  DEFAULT_METRICS,
} from '../../src/domain/upgrade/analysis.js';
import type { WaveAnalysisRequest } from '../../src/engine/ports.js';
import { analysisRows } from '../../src/slack/blocks/analysis.js';
import { waitUntil } from '../support/engine-harness.js';
import { istiodScrapeGroups, MeshTelemetryStandin } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SPEC: AnalysisSpec = {
  name: 'test',
  intervalMs: 2_000,
  count: 1,
  failureLimit: 0,
  baselineMs: 5_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
  controlPlane: DEFAULT_CONTROL_PLANE,
};
// one canary revision per case, so the cases run side by side on one Prometheus
const RUNNING = ['1-24-2', '1-24-3', '1-24-4', '1-24-5'];
let prom: RunningPrometheus;
let mesh: MeshTelemetryStandin;
let client: PrometheusClient;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(async () => [{ namespace: 'app-a', name: 'web', revision: '1-24-2' }], {
    istiods: async () => RUNNING,
  });
  mesh.setIstiodFault({ revision: '1-24-3', xdsRejectsPerSec: 2 });
  mesh.setIstiodFault({ revision: '1-24-4', convergenceSeconds: 8 });
  mesh.setIstiodFault({ revision: '1-24-5', pushContextErrorsPerSec: 1 });
  const { target } = await mesh.start();
  // 1-25-0 is scraped but not running (its pod answers 404): up == 0
  prom = await startPrometheus([target], 1, istiodScrapeGroups(target, [...RUNNING, '1-25-0']));
  client = new PrometheusClient({ url: prom.url });
  await waitUntil(
    async () =>
      ((await client.query('min(count_over_time(up{app="istiod"}[10s]))'))[0]?.value ?? 0) >= 4 &&
      ((await client.query('count_over_time(istio_requests_total{response_code="200"}[10s])'))[0]?.value ??
        0) >= 4,
    30_000,
    200,
  );
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});

const req = (revision: string): WaveAnalysisRequest => ({
  spec: SPEC,
  namespaces: ['app-a'],
  workloads: [],
  baselineEnd: new Date(Date.now() - 1_000).toISOString(),
  controlPlane: { revision },
});

describe('the control-plane gate over a real Prometheus', () => {
  it('healthy passes with rows of its own; growing rejects or errors, or slow convergence fail; not scraped is inconclusive', async () => {
    const analysis = new PrometheusWaveAnalysis(client);
    const [healthy, rejects, slow, ctxErrors, missing] = await Promise.all(
      ['1-24-2', '1-24-3', '1-24-4', '1-24-5', '1-25-0'].map((rev) => analysis.analyze(req(rev), {})),
    );
    expect(healthy).toMatchObject({ verdict: 'passed', checks: 1 });
    const cp = healthy!.measurements.filter((m) => m.target === 'istiod 1-24-2');
    expect(cp.map((m) => `${m.metric} ${m.verdict}`)).toEqual([
      'xds-rejects pass',
      'push-context-errors pass',
      'proxy-convergence-p99 pass',
    ]);
    // never incremented, so istio exports no counter: 0 because the istiod is scraped and up
    expect(cp[0]).toMatchObject({ baseline: 0, value: 0, limit: '≤ 1 × 0 + 0 = 0' });
    expect(cp[2]!.value).toBeGreaterThan(0.09); // 0.05 s pushes: bucket (0, 0.1]
    expect(cp[2]!.value).toBeLessThanOrEqual(0.1);
    expect(analysisRows(healthy!)).toContainEqual(
      expect.stringMatching(
        /^istiod 1-24-2 +xds-rejects 0 → 0 ok {2}push-context-errors 0 → 0 ok {2}proxy-convergence-p99 – → 0\.1s ok$/,
      ),
    );

    expect(rejects).toMatchObject({ verdict: 'failed' });
    expect(rejects!.reason).toMatch(
      /^1 check\(s\) failed \(limit 0\): xds-rejects of istiod 1-24-3 \d+(\.\d+)? \(baseline \d+(\.\d+)?\), wanted ≤ 1 × /,
    );
    expect(slow).toMatchObject({ verdict: 'failed' });
    expect(slow!.reason).toMatch(/proxy-convergence-p99 of istiod 1-24-4 [5-9]\.\d+ s, wanted ≤ 5/);
    expect(ctxErrors).toMatchObject({ verdict: 'failed' });
    expect(ctxErrors!.reason).toContain('push-context-errors of istiod 1-24-5');

    expect(missing).toMatchObject({ verdict: 'inconclusive' });
    expect(missing!.reason).toBe(
      'inconclusive at check 1: xds-rejects of istiod 1-25-0: no series; push-context-errors of istiod 1-25-0: no series; proxy-convergence-p99 of istiod 1-25-0: no series',
    );
  }, 30_000);

  it('without a control-plane revision (waves after the first) the gate is not measured', async () => {
    const res = await new PrometheusWaveAnalysis(client).analyze(
      { ...req('1-24-3'), controlPlane: undefined } as WaveAnalysisRequest,
      {},
    );
    expect(res.verdict).toBe('passed');
    expect(res.measurements.map((m) => m.target)).toEqual(['app-a', 'app-a']);
  }, 20_000);
});
