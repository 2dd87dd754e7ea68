// The chart of a wave's analysis through the engine (ADR 16): the series are read over the baseline
// and the analysis of the wave's namespaces and ride on the wave_analysis event; a chart whose series
// cannot be read (an error, or no answer in time) is only a reason on the event — the wave passes,
// the upgrade finishes. Stand-in analysis (the real one over a real Prometheus: test/analysis/).
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import { type AnalysisSpec, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';
import type { MetricSeries } from '../../src/domain/upgrade/chart.js';
import type { Engine } from '../../src/engine/index.js';
import type { UpgradeEvent, WaveSeriesRequest } from '../../src/engine/ports.js';
import { waveChart } from '../../src/engine/steps/chart.js';
import type { StepContext } from '../../src/engine/steps/context.js';
import { AnalysisStandin, registryWithAnalysis } from '../support/cluster-standin-analysis.js';
import {
  ALICE,
  approveUntilEnd,
  meshState,
  openPolicy,
  RecordingNotifier,
  seededCluster,
  silentLogger,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';
import { record } from '../support/slack-fixtures.js';

const SPEC: AnalysisSpec = {
  name: 'default',
  intervalMs: 2_000,
  count: 2,
  failureLimit: 0,
  baselineMs: 30_000,
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

/** The stand-in analysis, with series scripted by `series`. */
class ChartingStandin extends AnalysisStandin {
  readonly seriesAsked: WaveSeriesRequest[] = [];
  constructor(private readonly answer: (req: WaveSeriesRequest) => Promise<MetricSeries[]>) {
    super();
  }
  series(req: WaveSeriesRequest): Promise<MetricSeries[]> {
    this.seriesAsked.push(req);
    return this.answer(req);
  }
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function run(analysis: ChartingStandin) {
  const prefix = uniquePrefix('chart');
  const cluster = await seededCluster('prod', prefix, meshState(2));
  const notifier = new RecordingNotifier();
  const policy = openPolicy(['prod']);
  policy.clusters.prod!.analysis = SPEC;
  engine = testEngine(prefix, registryWithAnalysis(cluster, analysis), notifier, { policy });
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  const end = await approveUntilEnd(engine.service, req.value.id, { timeoutMs: 30_000 });
  const analyses = notifier.events.filter(
    (e): e is Extract<UpgradeEvent, { type: 'wave_analysis' }> => e.type === 'wave_analysis',
  );
  return { end, analyses };
}

describe('wave chart through the engine', () => {
  it('each wave’s event carries the series of its namespaces over the baseline and the analysis', async () => {
    const standin = new ChartingStandin(async (req) =>
      req.namespaces.map((ns) => ({
        target: ns,
        metric: 'request-success-rate',
        unit: '%' as const,
        points: [[req.window.start, 100]],
      })),
    );
    const { end, analyses } = await run(standin);
    expect(end.state).toBe('done');
    expect(standin.seriesAsked.map((q) => q.namespaces)).toEqual([['app-a'], ['app-b']]);
    expect(analyses).toHaveLength(2); // one per wave: the loop below must not check nothing
    for (const [i, e] of analyses.entries()) {
      const w = end.waves[i]!;
      const chart = e.chart && 'data' in e.chart ? e.chart.data : undefined;
      expect(chart).toBeDefined();
      const waveStart = Date.parse(w.startedAt!);
      expect(chart).toMatchObject({
        upgrade: end.id,
        wave: w.index,
        waves: 2,
        verdict: 'passed',
        waveStart,
        baseline: { start: waveStart - 30_000, end: waveStart },
        analysis: { start: Date.parse(w.analysis!.startedAt), end: Date.parse(w.analysis!.finishedAt) },
        series: [{ target: w.namespaces[0], points: [[waveStart - 30_000, 100]] }],
      });
      expect(standin.seriesAsked[i]!.window).toEqual(chart!.window);
    }
    // nothing of the chart is kept on the record
    expect(JSON.stringify(end)).not.toContain('"series"');
  }, 40_000);

  it('series that cannot be read: the reason rides on the event, and the waves pass all the same', async () => {
    const standin = new ChartingStandin(async () => {
      throw new Error('http://prometheus:9090: ECONNREFUSED');
    });
    const { end, analyses } = await run(standin);
    expect(end.state).toBe('done');
    expect(end.waves.map((w) => w.analysis?.verdict)).toEqual(['passed', 'passed']);
    expect(analyses.map((e) => e.chart)).toEqual([
      { error: 'http://prometheus:9090: ECONNREFUSED' },
      { error: 'http://prometheus:9090: ECONNREFUSED' },
    ]);
  }, 40_000);
});

describe('waveChart', () => {
  const r = record({
    waves: [{ index: 1, namespaces: ['app-a'], status: 'running', startedAt: new Date().toISOString() }],
  });
  const result = {
    spec: 'default',
    verdict: 'passed' as const,
    reason: 'ok',
    checks: 2,
    failedChecks: 0,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    measurements: [],
    queries: 4,
  };
  const ctx = (analysis: ChartingStandin | AnalysisStandin, signal = new AbortController().signal) =>
    ({ record: r, ports: { analysis }, signal, logger: silentLogger() }) as unknown as StepContext;

  it('series that never come are given up after the timeout: a reason, no wait beyond it', async () => {
    const hang = new ChartingStandin(() => new Promise<MetricSeries[]>(() => {}));
    const t0 = Date.now();
    const chart = await waveChart(ctx(hang), r.waves[0]!, SPEC, result, 300);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(chart).toEqual({ error: 'Prometheus did not answer the range queries within 0.3 s' });
  });

  it('an analysis without series draws no chart; a cancelled run is passed on', async () => {
    expect(await waveChart(ctx(new AnalysisStandin()), r.waves[0]!, SPEC, result)).toBeUndefined();
    const ac = new AbortController();
    const slow = new ChartingStandin(
      () => new Promise<MetricSeries[]>((_, reject) => setTimeout(() => reject(new Error('cancelled')), 50)),
    );
    const p = waveChart(ctx(slow, ac.signal), r.waves[0]!, SPEC, result);
    ac.abort();
    await expect(p).rejects.toThrow(); // not a chart reason: the run is over
  });
});
