/**
 * The traffic analysis port of a cluster's waves (issue 13, ADR 11): part of src/engine/ports.ts,
 * in a file of its own. Real adapter: src/analysis.
 */
import type { AnalysisSpec, WaveAnalysisResult } from '../domain/upgrade/analysis.js';
import type { ChartWindow, MetricSeries } from '../domain/upgrade/chart.js';
import type { WorkloadRef } from './ports.js';

export interface WaveAnalysisRequest {
  spec: AnalysisSpec;
  namespaces: string[];
  /** The wave's workloads, judged one by one when `spec.perWorkload`. */
  workloads: WorkloadRef[];
  /** The baseline window ends here (ISO): when the wave started. */
  baselineEnd: string;
  /** The first wave: the new istiod's own signals are judged too (the spec's control-plane gate). */
  controlPlane?: { revision: string };
}

/** A check of an analysis as it happens (for live progress). */
export interface AnalysisCheck {
  check: number;
  count: number;
  verdict: 'pass' | 'fail' | 'inconclusive';
  failedChecks: number;
}

/**
 * Judges a wave by the mesh's traffic (Istio's standard metrics in the cluster's Prometheus): `count`
 * checks `intervalMs` apart against the spec's thresholds and the baseline before the wave. Read-only.
 * Prometheus being down or a query giving no data makes the result `inconclusive` (never a pass), it
 * does not throw; only a cancelled call rejects. Real adapter: src/analysis.
 */
export interface WaveAnalysis {
  analyze(
    req: WaveAnalysisRequest,
    opts: { signal?: AbortSignal; onCheck?: (c: AnalysisCheck) => void },
  ): Promise<WaveAnalysisResult>;
  /**
   * Each metric of the spec per namespace over `window` (Prometheus' query_range), for the wave's
   * chart. Read-only; rejects when the series cannot be read (the chart is then left out, never the
   * wave). Absent: this analysis draws no chart.
   */
  series?(req: WaveSeriesRequest, signal?: AbortSignal): Promise<MetricSeries[]>;
}

export interface WaveSeriesRequest {
  spec: AnalysisSpec;
  namespaces: string[];
  window: ChartWindow;
}
