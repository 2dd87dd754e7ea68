// The control-plane gate through the engine (issue 13): the stand-in cluster, the REAL analysis adapter
// over a REAL Prometheus scraping the mesh-telemetry stand-in — its workloads and the istiods the
// stand-in cluster runs (the canary's appears when it is installed) — real Redis and workers. Wave 1's
// analysis carries the new istiod's rows; xDS rejects growing on the canary pause the upgrade at wave 1
// with the reason; later waves are judged on traffic alone.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWaveAnalysis } from '../../src/analysis/index.js';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import {
  type AnalysisSpec,
  DEFAULT_CONTROL_PLANE,
  DEFAULT_METRICS,
} from '../../src/domain/upgrade/analysis.js';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterStandin } from '../support/cluster-standin.js';
import { registryWithAnalysis, telemetryOf } from '../support/cluster-standin-analysis.js';
import {
  approveUntilEnd,
  meshState,
  openPolicy,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';
import {
  istiodScrapeGroups,
  MeshTelemetryStandin,
  type TelemetryWorkload,
} from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const SPEC: AnalysisSpec = {
  name: 'default',
  intervalMs: 3_000,
  count: 1,
  failureLimit: 0,
  baselineMs: 5_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
  controlPlane: DEFAULT_CONTROL_PLANE,
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
let cluster: ClusterStandin | undefined;
let source: () => Promise<TelemetryWorkload[]> = async () => [];
let engine: Engine | undefined;

beforeAll(async () => {
  mesh = new MeshTelemetryStandin(() => source(), {
    istiods: async () => (cluster ? (await cluster.state()).controlPlanes.map((c) => c.revision) : []),
  });
  const { target } = await mesh.start();
  prom = await startPrometheus([target], 1, istiodScrapeGroups(target, ['1-23-1', '1-24-2']));
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await mesh?.close();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  cluster = undefined;
});

async function setup() {
  const prefix = uniquePrefix('cpgate');
  cluster = await seededCluster('prod', prefix, meshState(2));
  source = telemetryOf(cluster);
  const scrapes = mesh.scrapes;
  await waitUntil(async () => mesh.scrapes >= scrapes + 6, 20_000, 100);
  const policy = openPolicy(['prod']);
  policy.clusters.prod!.analysis = SPEC;
  engine = testEngine(
    prefix,
    registryWithAnalysis(cluster, createWaveAnalysis({ url: prom.url, timeoutMs: 2_000, retries: 1 })),
    new RecordingNotifier(),
    { policy },
  );
  await engine.startWorker();
  const req = await engine.service.request({
    command: cmd,
    requester: { user: 'U0ALICE', channel: 'C0OPS' },
  });
  if (!req.ok) throw new Error(req.error.message);
  return { id: req.value.id, service: engine.service };
}

describe('the control-plane gate in the engine', () => {
  it('a healthy canary: wave 1 carries the new istiod’s rows, wave 2 only traffic; the upgrade finishes', async () => {
    mesh.setIstiodFault({ revision: '1-24-2' });
    const { id, service } = await setup();
    const end = await approveUntilEnd(service, id, { timeoutMs: 45_000 });
    expect(end.state).toBe('done');
    const targets = (w: number) => [...new Set(end.waves[w]!.analysis!.measurements.map((m) => m.target))];
    expect(targets(0)).toEqual(['app-a', 'istiod 1-24-2']);
    expect(targets(1)).toEqual(['app-b']);
    expect(
      end.waves[0]!.analysis!.measurements.filter((m) => m.target === 'istiod 1-24-2').map((m) => m.verdict),
    ).toEqual(['pass', 'pass', 'pass']);
  }, 60_000);

  it('xDS rejects growing on the canary pause the upgrade at wave 1 with the reason', async () => {
    mesh.setIstiodFault({ revision: '1-24-2', xdsRejectsPerSec: 3 });
    const { id, service } = await setup();
    const paused = await approveUntilEnd(service, id, {
      timeoutMs: 45_000,
      stopWhen: (r) => r.state === 'paused',
    });
    expect(paused).toMatchObject({ state: 'paused', step: 'analyze_wave', currentWave: 1 });
    expect(paused.waves[0]!.analysis).toMatchObject({ verdict: 'failed' });
    expect(paused.waves[0]!.analysis!.reason).toMatch(
      /xds-rejects of istiod 1-24-2 \d+(\.\d+)? \(baseline \d+(\.\d+)?\), wanted ≤ 1 × /,
    );
    // the old revision's istiod is not judged
    expect(paused.waves[0]!.analysis!.measurements.some((m) => m.target === 'istiod 1-23-1')).toBe(false);
  }, 60_000);
});
