/**
 * The data of a wave's chart (issue 13, ADR 16): after the analysis is decided and checkpointed, the
 * spec's metrics per namespace over the baseline and the analysis, read with the analysis port's
 * `series` (Prometheus' query_range). Read-only and best effort: a failure or a timeout becomes the
 * reason the thread shows instead of the chart; it never fails, pauses or delays the wave beyond
 * CHART_TIMEOUT_MS. Only the run's own cancellation is passed on.
 */
import type { AnalysisSpec, WaveAnalysisResult } from '../../domain/upgrade/analysis.js';
import { chartFrame, type WaveChart } from '../../domain/upgrade/chart.js';
import type { Wave } from '../../domain/upgrade/record.js';
import type { StepContext } from './context.js';

/** How long reading the series may take (it is a handful of range queries). */
export const CHART_TIMEOUT_MS = 20_000;

/** The chart of `wave`, its reason for being absent, or undefined when the port draws no chart. */
export async function waveChart(
  ctx: StepContext,
  wave: Wave,
  spec: AnalysisSpec,
  result: WaveAnalysisResult,
  timeoutMs = CHART_TIMEOUT_MS,
): Promise<WaveChart | undefined> {
  const port = ctx.ports.analysis;
  if (!port?.series) return undefined;
  const r = ctx.record;
  const { drawn, ...frame } = chartFrame(
    {
      upgrade: r.id,
      cluster: r.cluster,
      wave: wave.index,
      waves: r.waves.length,
      waveStartedAt: wave.startedAt,
      namespaces: wave.namespaces,
    },
    spec,
    result,
  );
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
  try {
    // Raced with the signal too: a port that does not honour it must not hold the step.
    const series = await Promise.race([
      port.series({ spec, namespaces: drawn, window: frame.window }, signal),
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
    return { data: { ...frame, series } };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const why = signal.aborted
      ? `Prometheus did not answer the range queries within ${timeoutMs / 1000} s`
      : e instanceof Error
        ? e.message
        : String(e);
    ctx.logger.warn({ wave: wave.index, err: why }, 'the series of the wave chart could not be read');
    return { error: why };
  }
}
