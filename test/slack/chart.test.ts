// The wave chart: the layout draws the right lines (one per namespace and metric, the gaps where there
// is no value, the wave's start between the baseline and the analysis), the SVG carries them, and the
// PNG resvg renders from it is a real PNG of the layout's size.
import { describe, expect, it } from 'vitest';
import type { MetricSeries, WaveChartData } from '../../src/domain/upgrade/chart.js';
import { chartFile, drawWaveChart } from '../../src/slack/chart/index.js';
import { chartLayout, PALETTE, VERDICT_FILL } from '../../src/slack/chart/layout.js';
import { chartSvg } from '../../src/slack/chart/svg.js';

const T = Date.parse('2026-11-30T02:00:00Z');
const STEP = 5_000;
const start = T - 60_000;
const end = T + 40_000;

function series(target: string, metric: string, unit: '%' | 'ms', f: (t: number) => number | null) {
  const points: MetricSeries['points'] = [];
  for (let t = start; t <= end; t += STEP) points.push([t, f(t)]);
  return { target, metric, unit, points };
}

function data(over: Partial<WaveChartData> = {}): WaveChartData {
  return {
    upgrade: 'up-20261130-0001',
    cluster: 'prod',
    wave: 2,
    waves: 2,
    spec: 'default',
    verdict: 'failed',
    window: { start, end, stepMs: STEP },
    waveStart: T,
    baseline: { start, end: T },
    analysis: { start: T + 20_000, end },
    metrics: [
      { name: 'request-success-rate', unit: '%', min: 99 },
      { name: 'request-duration-p99', unit: 'ms' },
    ],
    series: [
      series('app-b', 'request-success-rate', '%', (t) => (t > T + 10_000 ? 70 : 100)),
      // no requests for 10 s: a gap
      series('app-c', 'request-success-rate', '%', (t) => (t >= T + 15_000 && t <= T + 20_000 ? null : 99.9)),
      series('app-b', 'request-duration-p99', 'ms', () => 24.75),
      series('app-c', 'request-duration-p99', 'ms', (t) => (t > T ? 48 : 30)),
    ],
    omitted: [],
    ...over,
  };
}

const panelOf = (d: WaveChartData, metric: string) => chartLayout(d).panels.find((p) => p.metric === metric)!;

describe('wave chart layout', () => {
  it('one panel per metric, one line per namespace, every point placed in time order', () => {
    const l = chartLayout(data());
    expect(l.title).toBe('up-20261130-0001 · wave 2 of 2 · traffic analysis failed');
    expect(l.panels.map((p) => p.title)).toEqual(['request-success-rate (%)', 'request-duration-p99 (ms)']);
    for (const p of l.panels) {
      expect(p.lines.map((x) => x.target)).toEqual(['app-b', 'app-c']);
      expect(p.lines.map((x) => x.color)).toEqual([PALETTE[0], PALETTE[1]]);
      for (const line of p.lines)
        for (const seg of line.segments) {
          const xs = seg.map(([x]) => x);
          expect(xs).toEqual([...xs].sort((a, b) => a - b));
          for (const [x, y] of seg) {
            expect(x).toBeGreaterThanOrEqual(p.box.x);
            expect(x).toBeLessThanOrEqual(p.box.x + p.box.w);
            expect(y).toBeGreaterThanOrEqual(p.box.y);
            expect(y).toBeLessThanOrEqual(p.box.y + p.box.h);
          }
        }
    }
    expect(l.legend.map((x) => x.target)).toEqual(['app-b', 'app-c']);
  });

  it('the drop to 70 % is drawn below the ≥ 99 threshold, the healthy baseline above it', () => {
    const p = panelOf(data(), 'request-success-rate');
    const [b] = p.lines;
    const seg = b!.segments[0]!;
    expect(seg).toHaveLength(21); // 100 s at 5 s
    const threshold = p.thresholds.find((t) => t.label === '≥ 99')!;
    // SVG y grows downwards: above the threshold is a smaller y
    expect(seg[0]![1]).toBeLessThan(threshold.y);
    expect(seg.at(-1)![1]).toBeGreaterThan(threshold.y);
    expect(p.domain[0]).toBeLessThan(70);
    expect(p.domain[1]).toBeGreaterThanOrEqual(100);
  });

  it('a value missing (NaN, no requests) breaks the line instead of joining across it', () => {
    const p = panelOf(data(), 'request-success-rate');
    const c = p.lines[1]!;
    expect(c.segments.map((s) => s.length)).toEqual([15, 4]); // 21 points, 2 missing
  });

  it('marks the wave start where the baseline ends, and the analysis after it in the verdict colour', () => {
    const p = panelOf(data(), 'request-duration-p99');
    const baseline = p.bands.find((b) => b.kind === 'baseline')!;
    const analysis = p.bands.find((b) => b.kind === 'analysis')!;
    expect(baseline.x0).toBe(p.box.x);
    expect(baseline.x1).toBeCloseTo(p.waveStartX, 6);
    expect(p.waveStartX).toBeCloseTo(p.box.x + p.box.w * 0.6, 6); // 60 s of 100 s
    expect(analysis.x0).toBeGreaterThan(p.waveStartX);
    expect(analysis.x1).toBeCloseTo(p.box.x + p.box.w, 6);
    expect(analysis).toMatchObject({ label: 'analysis: failed', fill: VERDICT_FILL.failed });
    expect(p.xTicks.find((t) => t.label === '0')?.x).toBeCloseTo(p.waveStartX, 6);
    expect(p.xTicks.map((t) => t.label)).toEqual(['−60s', '−45s', '−30s', '−15s', '0', '+15s', '+30s']);
    expect(p.thresholds).toEqual([]); // p99 has only a relative bound
  });

  it('a panel with no value at all says so; omitted namespaces are named', () => {
    const d = data({
      series: [series('app-b', 'request-success-rate', '%', () => null)],
      omitted: ['n1', 'n2'],
    });
    const l = chartLayout(d);
    expect(l.panels.map((p) => p.empty)).toEqual([true, true]);
    expect(l.note?.text).toBe('+2 more namespace(s) not drawn: n1, n2');
    expect(chartSvg(l)).toContain('no data in this window');
  });
});

describe('wave chart SVG and PNG', () => {
  it('the SVG draws each namespace of each metric as its own line, escaped', () => {
    const svg = chartSvg(chartLayout(data()));
    const lines = [...svg.matchAll(/<polyline data-target="([^"]+)" data-metric="([^"]+)"/g)].map(
      (m) => `${m[2]} ${m[1]}`,
    );
    expect(lines).toEqual([
      'request-success-rate app-b',
      'request-success-rate app-c',
      'request-success-rate app-c',
      'request-duration-p99 app-b',
      'request-duration-p99 app-c',
    ]);
    expect(svg.match(/data-marker="wave-start"/g)).toHaveLength(2);
    expect(svg.match(/data-band="baseline"/g)).toHaveLength(2);
    expect(chartSvg(chartLayout(data({ upgrade: 'a<b>&"c' })))).toContain('a&lt;b&gt;&amp;&quot;c');
  });

  it('renders a PNG of the layout’s size', async () => {
    const c = await drawWaveChart(data());
    expect([...c.png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(c.png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect([c.png.readUInt32BE(16), c.png.readUInt32BE(20)]).toEqual([c.layout.width, c.layout.height]);
    expect([c.width, c.height]).toEqual([1000, c.layout.height]);
    expect(c.png.length).toBeGreaterThan(10_000); // lines, text and bands, not a blank page
    expect(c.name).toBe('up-20261130-0001-wave-2-traffic.png');
  });

  it('as a thread file: the PNG; without data: the reason, never a throw', async () => {
    const ok = await chartFile({ data: data() });
    expect('file' in ok && Buffer.isBuffer(ok.file.content)).toBe(true);
    expect(await chartFile({ error: 'http://prom:9090: ECONNREFUSED' })).toEqual({
      error: 'http://prom:9090: ECONNREFUSED',
    });
    const broken = await chartFile({ data: data({ metrics: undefined as never }) });
    expect(broken).toMatchObject({ error: expect.stringMatching(/^the PNG could not be rendered/) });
  });
});
