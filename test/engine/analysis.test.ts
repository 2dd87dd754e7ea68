// Health-gated waves through the engine (issue 13): the stand-in cluster, the REAL Prometheus adapter
// over a REAL Prometheus scraping the mesh-telemetry stand-in (which reads the stand-in cluster's pod
// revisions), real Redis and workers. A healthy wave passes; 30 % 5xx on the new revision pauses with
// the evidence (and Roll back works from there) or, with onFailure: rollback, rolls back by itself;
// Prometheus down or no series is inconclusive: paused, the reason said.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWaveAnalysis } from '../../src/analysis/index.js';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import { type AnalysisSpec, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import type { UpgradeEvent, WaveAnalysis } from '../../src/engine/ports.js';
import type { ClusterStandin } from '../support/cluster-standin.js';
import { AnalysisStandin, registryWithAnalysis, telemetryOf } from '../support/cluster-standin-analysis.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  meshState,
  openPolicy,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';
import { MeshTelemetryStandin, type TelemetryWorkload } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SPEC: AnalysisSpec = {
  name: 'default',
  intervalMs: 3_000,
  count: 2,
  failureLimit: 0,
  baselineMs: 5_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
};
const cmd: UpgradeCommand = {
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  waves: [['app-a'], ['app-b']],
};

let prom: RunningPrometheus;
let mesh: MeshTelemetryStandin;
/** What the telemetry stand-in serves: the current test's cluster. */
let source: () => Promise<TelemetryWorkload[]> = async () => [];
let engine: Engine | undefined;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(() => source());
  prom = await startPrometheus([(await mesh.start()).target]);
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  mesh.clearFaults();
});

async function setup(spec: Partial<AnalysisSpec> = {}, analysis?: WaveAnalysis) {
  const prefix = uniquePrefix('analysis');
  const cluster = await seededCluster('prod', prefix, meshState(2));
  source = telemetryOf(cluster);
  // The baseline window before wave 1 holds this cluster's healthy traffic.
  const scrapes = mesh.scrapes;
  await waitUntil(async () => mesh.scrapes >= scrapes + 6, 20_000, 100);
  const notifier = new RecordingNotifier();
  const policy = openPolicy(['prod']);
  policy.clusters.prod!.analysis = { ...SPEC, ...spec };
  engine = testEngine(
    prefix,
    registryWithAnalysis(
      cluster,
      analysis ?? createWaveAnalysis({ url: prom.url, timeoutMs: 2_000, retries: 1 }),
    ),
    notifier,
    { policy },
  );
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  return { cluster, notifier, id: req.value.id, service: engine.service };
}

const analyses = (n: RecordingNotifier) =>
  n.events.filter((e): e is Extract<UpgradeEvent, { type: 'wave_analysis' }> => e.type === 'wave_analysis');
const pausedBy = (n: RecordingNotifier) =>
  n.events.find(
    (e): e is Extract<UpgradeEvent, { type: 'state_changed' }> =>
      e.type === 'state_changed' && e.record.state === 'paused',
  );
const until = (service: Engine['service'], id: string, ok: (r: UpgradeRecord) => boolean) =>
  waitUntil(
    async () => {
      const r = await service.get(id);
      return r && ok(r) ? r : null;
    },
    40_000,
    50,
  );

async function faultWave2(cluster: ClusterStandin) {
  // 30 % 5xx, only on pods of the new revision in wave 2's namespace.
  mesh.setFault({ namespace: 'app-b', revision: '1-24-2', errorRate: 0.3 });
  expect(
    (await cluster.state()).workloads.filter((w) => w.namespace === 'app-b').map((w) => w.podRevision),
  ).toEqual(['1-23-1', '1-23-1']);
}

describe('health-gated waves', () => {
  it('a healthy two-wave upgrade: both analyses pass and the upgrade finishes', async () => {
    const { id, service, notifier } = await setup();
    expect((await service.get(id))?.analysis).toMatchObject({ name: 'default', intervalMs: 3_000 });
    const end = await approveUntilEnd(service, id, { timeoutMs: 45_000 });
    expect(end.stopped).toBeUndefined();
    expect(end.state).toBe('done');
    for (const w of end.waves) {
      expect(w.analysis).toMatchObject({ verdict: 'passed', checks: 2, failedChecks: 0 });
      expect(w.analysis!.measurements.map((m) => `${m.target} ${m.metric} ${m.verdict}`)).toEqual([
        `${w.namespaces[0]} request-success-rate pass`,
        `${w.namespaces[0]} request-duration-p99 pass`,
      ]);
    }
    expect(analyses(notifier).map((e) => `${e.wave} ${e.result.verdict}`)).toEqual(['1 passed', '2 passed']);
    const order = end.audit.filter((a) => a.action === 'step_started').map((a) => a.detail?.split(' (')[0]);
    expect(order.indexOf('analyze_wave wave 1')).toBe(order.indexOf('verify_sidecars wave 1') + 1);
    expect(order.indexOf('post_diff wave 1')).toBe(order.indexOf('analyze_wave wave 1') + 1);
  }, 60_000);

  it('30 % 5xx on the new revision in wave 2 pauses with the evidence; Roll back works from there', async () => {
    const { id, service, notifier, cluster } = await setup();
    await faultWave2(cluster);
    const paused = await approveUntilEnd(service, id, {
      timeoutMs: 45_000,
      stopWhen: (r) => r.state === 'paused',
    });
    expect(paused).toMatchObject({ state: 'paused', step: 'analyze_wave', currentWave: 2 });
    expect(paused.waves[0]!.analysis?.verdict).toBe('passed');
    const a = paused.waves[1]!.analysis!;
    expect(a).toMatchObject({ verdict: 'failed', checks: 1, failedChecks: 1 });
    const bad = a.measurements.find((m) => m.verdict === 'fail')!;
    expect(bad).toMatchObject({ target: 'app-b', metric: 'request-success-rate' });
    expect(bad.value).toBeGreaterThan(60);
    expect(bad.value).toBeLessThan(80);
    expect(pausedBy(notifier)).toMatchObject({ by: 'engine' });
    expect(pausedBy(notifier)?.reason).toMatch(
      /^wave 2 analysis failed: 1 check\(s\) failed \(limit 0\): request-success-rate of app-b \d+(\.\d+)? %, wanted ≥ 99$/,
    );
    const rb = await service.rollback({ id, actor: BOB, reason: 'analysis failed' });
    expect(rb.ok).toBe(true);
    const end = await until(service, id, (r) => ['rolled_back', 'stopped'].includes(r.state));
    expect(end.state).toBe('rolled_back');
    const s = await cluster.state();
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  }, 60_000);

  it('onFailure rollback: the same fault rolls back without a click, the evidence as the reason', async () => {
    const { id, service, cluster } = await setup({ onFailure: 'rollback' });
    await faultWave2(cluster);
    const end = await approveUntilEnd(service, id, {
      timeoutMs: 50_000,
      stopWhen: (r) => r.state === 'rolled_back',
    });
    expect(end.state).toBe('rolled_back');
    expect(end.rollback).toMatchObject({ by: 'engine', uninstallCanary: true });
    expect(end.rollback?.reason).toContain('request-success-rate of app-b');
    expect(end.waves.map((w) => w.status)).toEqual(['rolled_back', 'rolled_back']);
    const s = await cluster.state();
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  }, 60_000);

  it('Prometheus down: inconclusive, paused with the reason; never passed', async () => {
    const dead = createWaveAnalysis({ url: 'http://127.0.0.1:9', timeoutMs: 500, retries: 1, backoffMs: 10 });
    const { id, service, notifier } = await setup({ intervalMs: 200 }, dead);
    const paused = await approveUntilEnd(service, id, {
      timeoutMs: 30_000,
      stopWhen: (r) => r.state === 'paused',
    });
    expect(paused).toMatchObject({ step: 'analyze_wave', currentWave: 1 });
    expect(paused.waves[0]!.analysis?.verdict).toBe('inconclusive');
    expect(pausedBy(notifier)?.reason).toContain(
      'wave 1 analysis inconclusive: inconclusive at check 1: request-success-rate of app-a: http://127.0.0.1:9: ECONNREFUSED',
    );
    // resume runs the analysis again (and it stays inconclusive: still no Prometheus)
    const res = await service.resume(id, ALICE);
    expect(res.ok).toBe(true);
    const again = await until(service, id, (r) => r.state === 'paused' && (r.seq ?? 0) > (paused.seq ?? 0));
    expect(again.waves[0]!.analysis?.verdict).toBe('inconclusive');
    expect(analyses(notifier)).toHaveLength(2);
  }, 60_000);

  it('no series for a namespace: inconclusive, paused, the reason said', async () => {
    const { id, service, notifier, cluster } = await setup();
    source = async () => (await telemetryOf(cluster)()).filter((w) => w.namespace !== 'app-a');
    const paused = await approveUntilEnd(service, id, {
      timeoutMs: 30_000,
      stopWhen: (r) => r.state === 'paused',
    });
    expect(paused.waves[0]!.analysis).toMatchObject({ verdict: 'inconclusive', checks: 1 });
    expect(pausedBy(notifier)?.reason).toMatch(/request-success-rate of app-a: (no series|NaN)/);
  }, 60_000);

  it('a rollback during the analysis cancels it at once (the stand-in port honours the signal)', async () => {
    const standin = new AnalysisStandin([], 60_000);
    const { id, service } = await setup({}, standin);
    await approveUntilEnd(service, id, { timeoutMs: 20_000, stopWhen: (r) => r.step === 'analyze_wave' });
    await waitUntil(async () => standin.requests.length === 1);
    expect(standin.requests[0]).toMatchObject({ namespaces: ['app-a'], spec: { name: 'default' } });
    const t0 = Date.now();
    expect((await service.rollback({ id, actor: BOB, reason: 'stop' })).ok).toBe(true);
    const end = await until(service, id, (r) => ['rolled_back', 'stopped'].includes(r.state));
    expect(end.state).toBe('rolled_back');
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 40_000);
});
