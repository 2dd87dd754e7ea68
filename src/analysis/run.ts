/**
 * The WaveAnalysis port over Prometheus: `count` checks `intervalMs` apart (the first one interval
 * after the start, so its rate window holds only traffic after the rollouts), each judging every
 * metric of every target (the wave's namespaces, and its workloads when `perWorkload`) against the
 * spec and the baseline (the same query over `baselineMs`, evaluated when the wave started, queried
 * once). It stops early once decided: more failed checks than `failureLimit`, or one inconclusive
 * check. A Prometheus error is a reading with no value (inconclusive), never a throw; only the
 * caller's signal ends it with a rejection.
 */
import type { Measurement, MetricSpec, WaveAnalysisResult } from '../domain/upgrade/analysis.js';
import { MEASUREMENTS_KEPT } from '../domain/upgrade/analysis.js';
import type { MetricSeries } from '../domain/upgrade/chart.js';
import type { AnalysisCheck, WaveAnalysis, WaveAnalysisRequest, WaveSeriesRequest } from '../engine/ports.js';
import { type PrometheusClient, PrometheusError, sleep } from './prometheus.js';
import { readSeries } from './series.js';
import {
  checkVerdict,
  decide,
  fill,
  fillIstiod,
  istiodTarget,
  judge,
  type Reading,
  readingOf,
  reasonOf,
  type Target,
  targetName,
} from './verdict.js';

/** One metric of one target: its query for the baseline (at the wave's start) or for a check. */
interface Probe {
  target: string;
  m: MetricSpec;
  query(baseline: boolean): string;
  /** The baseline when the query gave none (the canary's istiod not yet scraped when the wave started:
   * its counters were 0 when it was born; never more lenient than a measured one). */
  baselineIfNone?: number;
}

export interface PrometheusWaveAnalysisOptions {
  /** Queries in flight at once (default 8). */
  concurrency?: number;
  now?: () => number;
}

export class PrometheusWaveAnalysis implements WaveAnalysis {
  constructor(
    private readonly prom: PrometheusClient,
    private readonly o: PrometheusWaveAnalysisOptions = {},
  ) {}

  async analyze(
    req: WaveAnalysisRequest,
    opts: { signal?: AbortSignal; onCheck?: (c: AnalysisCheck) => void },
  ): Promise<WaveAnalysisResult> {
    const now = this.o.now ?? Date.now;
    const { spec } = req;
    const startedAt = new Date(now()).toISOString();
    const targets: Target[] = req.namespaces.map((namespace) => ({ namespace, workload: null }));
    if (spec.perWorkload)
      for (const w of req.workloads.filter((x) => req.namespaces.includes(x.namespace)))
        targets.push({ namespace: w.namespace, workload: w.name });
    let queries = 0;
    const read = async (promql: string, time?: Date): Promise<Reading> => {
      queries++;
      try {
        const res = await this.prom.query(promql, { ...(time ? { time } : {}), signal: opts.signal });
        return readingOf(res.map((s) => s.value));
      } catch (e) {
        if (opts.signal?.aborted || (e instanceof PrometheusError && e.kind === 'cancelled')) throw e;
        return { value: null, reason: e instanceof Error ? e.message : String(e) };
      }
    };
    // What is measured: every metric of every target, then the control-plane gate's (first wave).
    const probes: Probe[] = targets.flatMap((t) =>
      spec.metrics.map((m) => ({
        target: targetName(t),
        m,
        query: (baseline: boolean) => fill(m.query, t, baseline ? spec.baselineMs : spec.intervalMs),
      })),
    );
    const cp = req.controlPlane && spec.controlPlane;
    if (cp && req.controlPlane) {
      const rev = req.controlPlane.revision;
      const waveStart = Date.parse(req.baselineEnd);
      for (const m of cp.metrics)
        probes.push({
          target: istiodTarget(rev),
          m,
          baselineIfNone: 0,
          query: (baseline) =>
            fillIstiod(m.query, cp.selector, rev, {
              intervalMs: baseline ? spec.baselineMs : spec.intervalMs,
              sinceMs: baseline ? spec.baselineMs : Math.max(spec.intervalMs, now() - waveStart),
            }),
        });
    }
    const baselineAt = new Date(req.baselineEnd);
    const baselines = await this.pool(probes, async (p): Promise<Reading | null> => {
      if (!p.m.maxVsBaseline && !p.m.minVsBaseline) return null;
      const b = await read(p.query(true), baselineAt);
      return b.value === null && p.baselineIfNone !== undefined ? { value: p.baselineIfNone } : b;
    });
    let failed = 0;
    let measurements: Measurement[] = [];
    for (let check = 1; ; check++) {
      await sleep(spec.intervalMs, opts.signal);
      const readings = await this.pool(probes, (p) => read(p.query(false)));
      measurements = probes.map((p, i) => judge(p.m, p.target, baselines[i]!, readings[i]!));
      const v = checkVerdict(measurements);
      if (v === 'fail') failed++;
      opts.onCheck?.({ check, count: spec.count, verdict: v, failedChecks: failed });
      const outcome = decide(spec, check, failed, v);
      if (outcome === 'continue') continue;
      return {
        spec: spec.name,
        verdict: outcome,
        reason: reasonOf(outcome, spec, check, failed, measurements),
        checks: check,
        failedChecks: failed,
        startedAt,
        finishedAt: new Date(now()).toISOString(),
        measurements: keep(measurements),
        queries,
      };
    }
  }

  /** The chart's series (series.ts): query_range per namespace and metric. */
  series(req: WaveSeriesRequest, signal?: AbortSignal): Promise<MetricSeries[]> {
    return readSeries(this.prom, req, signal);
  }

  /** Runs `fn` over `items` with at most `concurrency` at once, results in order. */
  private async pool<T, R>(items: T[], fn: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const n = Math.max(1, Math.min(this.o.concurrency ?? 8, items.length));
    await Promise.all(
      Array.from({ length: n }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await fn(items[i]!);
        }
      }),
    );
    return out;
  }
}

/** The measurements kept on the record: those that did not pass first, bounded. */
function keep(ms: Measurement[]): Measurement[] {
  if (ms.length <= MEASUREMENTS_KEPT) return ms;
  const bad = ms.filter((m) => m.verdict !== 'pass');
  return [...bad, ...ms.filter((m) => m.verdict === 'pass')].slice(0, MEASUREMENTS_KEPT);
}
