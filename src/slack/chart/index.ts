/**
 * A wave's chart as a PNG for the thread (issue 13, ADR 16): layout (pure) → SVG (pure) → PNG (resvg,
 * WebAssembly), with the file name, title and comment it is shared under.
 */
import type { WaveChart, WaveChartData } from '../../domain/upgrade/chart.js';
import type { ThreadFile } from '../blocks/files.js';
import { type ChartSpec, chartLayout } from './layout.js';
import { type Png, svgToPng } from './png.js';
import { chartSvg } from './svg.js';

export interface DrawnChart extends Png {
  layout: ChartSpec;
  svg: string;
  name: string;
  title: string;
  comment: string;
}

export const chartFileName = (d: Pick<WaveChartData, 'upgrade' | 'wave'>) =>
  `${d.upgrade}-wave-${d.wave}-traffic.png`;

export async function drawWaveChart(d: WaveChartData): Promise<DrawnChart> {
  const layout = chartLayout(d);
  const svg = chartSvg(layout);
  const png = await svgToPng(svg);
  const metrics = d.metrics.map((m) => m.name).join(' and ');
  return {
    ...png,
    layout,
    svg,
    name: chartFileName(d),
    title: `Wave ${d.wave} of ${d.upgrade}: ${metrics}`,
    comment: `Wave ${d.wave}: ${metrics} per namespace, from the baseline before the wave started to the end of its analysis (${d.verdict}).`,
  };
}

/** The chart as a file for the thread, or why there is none (not read, or not drawn). Never throws. */
export async function chartFile(chart: WaveChart): Promise<{ file: ThreadFile } | { error: string }> {
  if ('error' in chart) return { error: chart.error };
  try {
    const c = await drawWaveChart(chart.data);
    return { file: { name: c.name, title: c.title, content: c.png, comment: c.comment } };
  } catch (e) {
    return { error: `the PNG could not be rendered (${e instanceof Error ? e.message : String(e)})` };
  }
}
