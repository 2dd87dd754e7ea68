/**
 * The layout of a wave's chart (ADR 16): one panel per metric of the spec (success rate, p99), one line
 * per namespace, the baseline window shaded, the wave's start marked, the analysis window shaded in
 * the verdict's colour, the absolute thresholds dashed. Pure: data in, positions out; svg.ts writes
 * them as SVG and png.ts rasterises that. Tests read this layout (which line, which points), not pixels.
 */
import type { MetricSpec } from '../../domain/upgrade/analysis.js';
import type { MetricSeries, WaveChartData } from '../../domain/upgrade/chart.js';

export const WIDTH = 1000;
const LEFT = 72;
const RIGHT = 28;
const TOP = 86;
const PANEL_H = 190;
const PANEL_GAP = 62;
const LEGEND_ROW = 20;
const LEGEND_COLS = 4;

/** Tableau 10: distinct on white, and for most colour-blind readers. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
export const VERDICT_FILL = { passed: '#e3f4e1', failed: '#fbe0e0', inconclusive: '#f1efe4' } as const;

export type Point = [x: number, y: number];
export interface LineSpec {
  target: string;
  color: string;
  /** Runs of points with values; a null value (NaN, no data) breaks the line. */
  segments: Point[][];
}
export interface PanelSpec {
  metric: string;
  unit: MetricSpec['unit'];
  title: string;
  box: { x: number; y: number; w: number; h: number };
  /** The value range drawn, bottom to top. */
  domain: [number, number];
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
  bands: { kind: 'baseline' | 'analysis'; x0: number; x1: number; label: string; fill: string }[];
  waveStartX: number;
  thresholds: { y: number; label: string }[];
  lines: LineSpec[];
  /** No value at all on this panel (said on it). */
  empty: boolean;
}
export interface ChartSpec {
  width: number;
  height: number;
  title: string;
  subtitle: string;
  panels: PanelSpec[];
  legend: { target: string; color: string; x: number; y: number }[];
  note?: { text: string; y: number };
}

const hhmmss = (t: number) => new Date(t).toISOString().slice(11, 19);

/** A round step for about `n` ticks over `span` (1, 2, 2.5, 5 × 10^k). */
function niceStep(span: number, n: number): number {
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

function valueDomain(series: MetricSeries[], unit: MetricSpec['unit'], bounds: number[]): [number, number] {
  const vs = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null);
  if (vs.length === 0) return unit === '%' ? [0, 100] : [0, 100];
  let lo = Math.min(...vs, ...bounds);
  let hi = Math.max(...vs, ...bounds);
  if (unit === 'ms') lo = Math.min(lo, 0);
  if (hi - lo < 1e-9) {
    lo -= unit === '%' ? 1 : Math.max(1, Math.abs(lo) * 0.1);
    hi += unit === '%' ? 1 : Math.max(1, Math.abs(hi) * 0.1);
  }
  const pad = (hi - lo) * 0.08;
  lo = unit === 'ms' && lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  hi += pad;
  if (unit === '%') lo = Math.max(0, lo);
  return [lo, hi];
}

function fmtValue(v: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
  return v.toFixed(decimals);
}

/** Time ticks relative to the wave's start (`−10m`, `0`, `+2m`), at a round step. */
function timeTicks(start: number, end: number, waveStart: number, x: (t: number) => number) {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);
  const step = steps.find((s) => (end - start) / s <= 8) ?? 3 * 3600_000;
  const ticks: { x: number; label: string }[] = [];
  for (let k = Math.ceil((start - waveStart) / step); waveStart + k * step <= end; k++) {
    const d = k * step;
    const mag = Math.abs(d) / 1000;
    const text = step >= 60_000 ? `${mag / 60}m` : `${mag}s`;
    ticks.push({ x: x(waveStart + d), label: d === 0 ? '0' : `${d < 0 ? '−' : '+'}${text}` });
  }
  return ticks;
}

export function chartLayout(d: WaveChartData): ChartSpec {
  const w = WIDTH - LEFT - RIGHT;
  const { start, end } = d.window;
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, start), end) - start) / (end - start || 1)) * w;
  const targets = [...new Set(d.series.map((s) => s.target))];
  const color = (t: string) => PALETTE[targets.indexOf(t) % PALETTE.length]!;
  const panels = d.metrics.map((m, i): PanelSpec => {
    const box = { x: LEFT, y: TOP + i * (PANEL_H + PANEL_GAP), w, h: PANEL_H };
    const series = d.series.filter((s) => s.metric === m.name);
    const bounds = [m.min, m.max].filter((b): b is number => b !== undefined);
    const [lo, hi] = valueDomain(series, m.unit, bounds);
    const y = (v: number) => box.y + box.h - ((v - lo) / (hi - lo)) * box.h;
    const step = niceStep(hi - lo, 4);
    const yTicks: PanelSpec['yTicks'] = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step)
      yTicks.push({ y: y(v), label: fmtValue(v, step) });
    const lines = series.map((s): LineSpec => {
      const segments: Point[][] = [];
      let run: Point[] = [];
      for (const [t, v] of s.points) {
        if (v === null) {
          if (run.length) segments.push(run);
          run = [];
        } else run.push([x(t), y(v)]);
      }
      if (run.length) segments.push(run);
      return { target: s.target, color: color(s.target), segments };
    });
    const sign = (b: number | undefined, s: string) =>
      b === undefined ? [] : [{ y: y(b), label: `${s} ${b}` }];
    return {
      metric: m.name,
      unit: m.unit,
      title: `${m.name} (${m.unit})`,
      box,
      domain: [lo, hi],
      yTicks,
      xTicks: timeTicks(start, end, d.waveStart, x),
      bands: [
        {
          kind: 'baseline',
          x0: x(d.baseline.start),
          x1: x(d.baseline.end),
          label: 'baseline',
          fill: '#e6edf7',
        },
        {
          kind: 'analysis',
          x0: x(d.analysis.start),
          x1: x(d.analysis.end),
          label: `analysis: ${d.verdict}`,
          fill: VERDICT_FILL[d.verdict],
        },
      ],
      waveStartX: x(d.waveStart),
      thresholds: [...sign(m.min, '≥'), ...sign(m.max, '≤')],
      lines,
      empty: lines.every((l) => l.segments.length === 0),
    };
  });
  const legendTop = TOP + panels.length * (PANEL_H + PANEL_GAP) - 18;
  const legend = targets.map((t, i) => ({
    target: t,
    color: color(t),
    x: LEFT + (i % LEGEND_COLS) * (w / LEGEND_COLS),
    y: legendTop + Math.floor(i / LEGEND_COLS) * LEGEND_ROW,
  }));
  const rows = Math.max(1, Math.ceil(targets.length / LEGEND_COLS));
  const noteY = legendTop + rows * LEGEND_ROW;
  const note = d.omitted.length
    ? {
        text: `+${d.omitted.length} more namespace(s) not drawn: ${d.omitted.slice(0, 6).join(', ')}${d.omitted.length > 6 ? ', …' : ''}`,
        y: noteY,
      }
    : undefined;
  return {
    width: WIDTH,
    height: noteY + (note ? LEGEND_ROW : 0) + 8,
    title: `${d.upgrade} · wave ${d.wave} of ${d.waves} · traffic analysis ${d.verdict}`,
    subtitle: `cluster ${d.cluster} · spec ${d.spec} · ${hhmmss(start)}–${hhmmss(end)} UTC, a point every ${d.window.stepMs / 1000} s · time from the wave's start`,
    panels,
    legend,
    ...(note ? { note } : {}),
  };
}
