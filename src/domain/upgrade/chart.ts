/**
 * The chart of a wave's traffic analysis (issue 13, ADR 16): what is drawn (each metric of the spec
 * per namespace over time, read with Prometheus' query_range) and over which window (the baseline
 * before the wave started through the end of the analysis). Plain JSON; pure. The Slack layer draws
 * it; the engine asks the analysis port for the series. Never kept on the record (too big): it rides
 * on the `wave_analysis` event only.
 */
import type { AnalysisSpec, MetricSpec, WaveAnalysisResult } from './analysis.js';

/** Namespaces drawn at most (lines on one panel a person can still tell apart). */
export const CHART_MAX_TARGETS = 10;
/** Points per line at most: the window is cut into steps of whole seconds to stay under it. */
export const CHART_MAX_POINTS = 240;

/** [start, end] in ms since the epoch, read every `stepMs`. */
export interface ChartWindow {
  start: number;
  end: number;
  stepMs: number;
}

/** One metric of one target over the window; `null` where there is no value (NaN, ±Inf, a gap). */
export interface MetricSeries {
  target: string;
  metric: string;
  unit: MetricSpec['unit'];
  points: [time: number, value: number | null][];
}

export interface WaveChartData {
  upgrade: string;
  cluster: string;
  wave: number;
  waves: number;
  spec: string;
  verdict: WaveAnalysisResult['verdict'];
  window: ChartWindow;
  /** The approval of the wave: the line marked "wave start". */
  waveStart: number;
  baseline: { start: number; end: number };
  analysis: { start: number; end: number };
  /** The metrics in the spec's order, with their absolute bounds (drawn as threshold lines). */
  metrics: Pick<MetricSpec, 'name' | 'unit' | 'min' | 'max'>[];
  series: MetricSeries[];
  /** Namespaces of the wave not drawn (more than CHART_MAX_TARGETS). */
  omitted: string[];
}

/** What the engine hands the notifier: the data, or why there is none (the table is posted alone). */
export type WaveChart = { data: WaveChartData } | { error: string };

/**
 * The window of a wave's chart: from `baselineMs` before the wave started to the end of the analysis,
 * in steps of whole seconds (at least 1 s) so that no line has more than CHART_MAX_POINTS points.
 */
export function chartWindow(baselineMs: number, waveStart: number, analysisEnd: number): ChartWindow {
  const start = waveStart - baselineMs;
  const end = Math.max(analysisEnd, waveStart + 1000);
  const stepMs = Math.max(1000, Math.ceil((end - start) / CHART_MAX_POINTS / 1000) * 1000);
  return { start, end, stepMs };
}

/**
 * The namespaces to draw: those with a measurement that did not pass first (the evidence), then the
 * rest in the wave's order, at most CHART_MAX_TARGETS; the others are named as omitted.
 */
export function chartTargets(
  namespaces: string[],
  result: Pick<WaveAnalysisResult, 'measurements'>,
): { drawn: string[]; omitted: string[] } {
  const bad = new Set(
    result.measurements.filter((m) => m.verdict !== 'pass').map((m) => m.target.split('/')[0]!),
  );
  const ordered = [...namespaces.filter((n) => bad.has(n)), ...namespaces.filter((n) => !bad.has(n))];
  return { drawn: ordered.slice(0, CHART_MAX_TARGETS), omitted: ordered.slice(CHART_MAX_TARGETS) };
}

/** Everything of the chart but the series, from the spec, the wave and its analysis. */
export function chartFrame(
  o: {
    upgrade: string;
    cluster: string;
    wave: number;
    waves: number;
    waveStartedAt: string | undefined;
    namespaces: string[];
  },
  spec: Pick<AnalysisSpec, 'baselineMs' | 'metrics'>,
  result: WaveAnalysisResult,
): Omit<WaveChartData, 'series'> & { drawn: string[] } {
  const analysisStart = Date.parse(result.startedAt);
  const analysisEnd = Date.parse(result.finishedAt);
  const waveStart = o.waveStartedAt ? Date.parse(o.waveStartedAt) : analysisStart;
  const { drawn, omitted } = chartTargets(o.namespaces, result);
  return {
    upgrade: o.upgrade,
    cluster: o.cluster,
    wave: o.wave,
    waves: o.waves,
    spec: result.spec,
    verdict: result.verdict,
    window: chartWindow(spec.baselineMs, waveStart, analysisEnd),
    waveStart,
    baseline: { start: waveStart - spec.baselineMs, end: waveStart },
    analysis: { start: analysisStart, end: analysisEnd },
    metrics: spec.metrics.map(({ name, unit, min, max }) => ({
      name,
      unit,
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
    })),
    drawn,
    omitted,
  };
}
