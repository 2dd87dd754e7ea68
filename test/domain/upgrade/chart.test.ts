// The chart's window and which namespaces it draws (pure).
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../../src/domain/upgrade/analysis.js';
import {
  CHART_MAX_POINTS,
  CHART_MAX_TARGETS,
  chartFrame,
  chartTargets,
  chartWindow,
} from '../../../src/domain/upgrade/chart.js';

const T = Date.parse('2026-11-30T02:00:00Z');
const meas = (target: string, verdict: Measurement['verdict']): Measurement => ({
  target,
  metric: 'request-success-rate',
  unit: '%',
  baseline: null,
  value: 99,
  limit: '≥ 99',
  verdict,
});

describe('chartWindow', () => {
  it.each([
    // baseline, analysis ends after the wave start, → start, end, step
    { baselineMs: 600_000, endAfter: 400_000, start: T - 600_000, end: T + 400_000, stepMs: 5_000 },
    { baselineMs: 10_000, endAfter: 8_000, start: T - 10_000, end: T + 8_000, stepMs: 1_000 },
    { baselineMs: 3_600_000, endAfter: 3_600_000, start: T - 3_600_000, end: T + 3_600_000, stepMs: 30_000 },
    // an analysis that ended at the wave's start still has a window after it
    { baselineMs: 5_000, endAfter: 0, start: T - 5_000, end: T + 1_000, stepMs: 1_000 },
  ])('baseline $baselineMs ms, analysis to +$endAfter ms: step $stepMs ms', (c) => {
    const w = chartWindow(c.baselineMs, T, T + c.endAfter);
    expect(w).toEqual({ start: c.start, end: c.end, stepMs: c.stepMs });
    expect((w.end - w.start) / w.stepMs).toBeLessThanOrEqual(CHART_MAX_POINTS);
    expect(w.stepMs % 1000).toBe(0);
  });
});

describe('chartTargets', () => {
  it('draws the namespaces with evidence first, then the rest in wave order, at most the limit', () => {
    const ns = Array.from({ length: 14 }, (_, i) => `ns-${i}`);
    const { drawn, omitted } = chartTargets(ns, {
      measurements: [meas('ns-12', 'fail'), meas('ns-13/api', 'no_data'), meas('ns-0', 'pass')],
    });
    expect(drawn).toHaveLength(CHART_MAX_TARGETS);
    expect(drawn.slice(0, 3)).toEqual(['ns-12', 'ns-13', 'ns-0']);
    expect(omitted).toEqual(['ns-8', 'ns-9', 'ns-10', 'ns-11']);
  });

  it('a small wave is drawn whole', () => {
    expect(chartTargets(['a', 'b'], { measurements: [] })).toEqual({ drawn: ['a', 'b'], omitted: [] });
  });
});

describe('chartFrame', () => {
  it('marks the wave start at its approval, the baseline before it and the analysis as it ran', () => {
    const f = chartFrame(
      {
        upgrade: 'up-1',
        cluster: 'prod',
        wave: 2,
        waves: 3,
        waveStartedAt: new Date(T).toISOString(),
        namespaces: ['app-b'],
      },
      {
        baselineMs: 60_000,
        metrics: [
          { name: 'sr', query: 'q', unit: '%', min: 99 },
          { name: 'p99', query: 'q', unit: 'ms', maxVsBaseline: { factor: 1.2, plus: 50 } },
        ],
      },
      {
        spec: 'default',
        verdict: 'failed',
        reason: 'x',
        checks: 1,
        failedChecks: 1,
        startedAt: new Date(T + 20_000).toISOString(),
        finishedAt: new Date(T + 30_000).toISOString(),
        measurements: [],
        queries: 4,
      },
    );
    expect(f).toMatchObject({
      waveStart: T,
      baseline: { start: T - 60_000, end: T },
      analysis: { start: T + 20_000, end: T + 30_000 },
      window: { start: T - 60_000, end: T + 30_000, stepMs: 1_000 },
      metrics: [
        { name: 'sr', unit: '%', min: 99 },
        { name: 'p99', unit: 'ms' },
      ],
      drawn: ['app-b'],
      omitted: [],
    });
    expect(f.metrics[1]).not.toHaveProperty('max');
  });
});
