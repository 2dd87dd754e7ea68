/**
 * The series of a wave's chart (ADR 16): each metric of the spec per namespace over the chart's window,
 * with Prometheus' query_range — the same PromQL templates the checks use, their rate window the
 * spec's interval (or the step, when wider, so no traffic falls between two points). A query giving no
 * series is an empty line; one giving several (a template that does not aggregate) keeps the first and
 * says nothing more: the table already judged it. Any Prometheus error rejects (the chart is left out).
 */
import type { MetricSeries } from '../domain/upgrade/chart.js';
import type { WaveSeriesRequest } from '../engine/ports.js';
import type { PrometheusClient } from './prometheus.js';
import { fill } from './verdict.js';

/** Range queries in flight at once. */
const CONCURRENCY = 4;

export async function readSeries(
  prom: PrometheusClient,
  req: WaveSeriesRequest,
  signal?: AbortSignal,
): Promise<MetricSeries[]> {
  const { spec, window } = req;
  const rateWindow = Math.max(spec.intervalMs, window.stepMs);
  const jobs = req.namespaces.flatMap((namespace) => spec.metrics.map((m) => ({ namespace, m })));
  const out: MetricSeries[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        const { namespace, m } = jobs[i]!;
        const res = await prom
          .queryRange(
            fill(m.query, { namespace, workload: null }, rateWindow),
            { start: new Date(window.start), end: new Date(window.end), stepMs: window.stepMs },
            signal,
          )
          .catch((e: unknown) => {
            next = jobs.length; // the others stop after their query in flight
            throw e;
          });
        out[i] = {
          target: namespace,
          metric: m.name,
          unit: m.unit,
          points: (res[0]?.values ?? []).map(([t, v]) => [
            Math.round(t * 1000),
            Number.isFinite(v) ? v : null,
          ]),
        };
      }
    }),
  );
  return out;
}
