/**
 * Health-gated waves (issue 13): what a traffic analysis asks for (the spec, from the policy, copied
 * into the record when the upgrade is requested) and what it found (kept on each wave). Plain JSON.
 * The defaults are Flagger's metrics over Istio's standard telemetry (pkg/metrics/observers/istio.go).
 */

/** One metric: a PromQL template and its thresholds. Placeholders: `{{namespace}}`, `{{workload}}`
 * (a regex for `destination_workload=~`), `{{interval}}` (the rate window, e.g. `1m`). */
export interface MetricSpec {
  name: string;
  query: string;
  /** How people read the value: `%` (a rate ×100) or `ms`. */
  unit: '%' | 'ms';
  /** Absolute bounds on the value. */
  min?: number;
  max?: number;
  /** Relative to the baseline (the window before the wave started): value ≤ baseline × factor + plus. */
  maxVsBaseline?: { factor: number; plus: number };
  /** Relative to the baseline: value ≥ baseline × factor − minus. */
  minVsBaseline?: { factor: number; minus: number };
}

export interface AnalysisSpec {
  /** The spec's name in the policy (`default` when unnamed). */
  name: string;
  /** Time between checks, and the rate window of each (ms). */
  intervalMs: number;
  /** Checks to pass. */
  count: number;
  /** Failed checks tolerated; one more fails the wave. */
  failureLimit: number;
  /** The baseline window ending when the wave started (ms). */
  baselineMs: number;
  /** Also judge every workload of the wave on its own (`{{workload}}` = its name). */
  perWorkload: boolean;
  /** What a failed analysis does. Inconclusive (no data, NaN, Prometheus unreachable) always pauses. */
  onFailure: 'pause' | 'rollback';
  metrics: MetricSpec[];
}

export type MeasureVerdict = 'pass' | 'fail' | 'no_data';

/** One metric for one target (a namespace, or `namespace/workload`) at one check. */
export interface Measurement {
  target: string;
  metric: string;
  unit: MetricSpec['unit'];
  baseline: number | null;
  value: number | null;
  /** The bounds it was held to, in words (`≥ 99`, `≤ 1.2 × 20 + 50 = 74`). */
  limit: string;
  verdict: MeasureVerdict;
  /** Why there is no value or no baseline (Prometheus error, empty result, NaN). */
  reason?: string;
}

export type AnalysisVerdict = 'passed' | 'failed' | 'inconclusive';

export interface WaveAnalysisResult {
  spec: string;
  verdict: AnalysisVerdict;
  /** One line people read: what failed or why it is inconclusive. */
  reason: string;
  checks: number;
  failedChecks: number;
  startedAt: string;
  finishedAt: string;
  /** The measurements of the deciding check (the last one, or the failing / inconclusive one). */
  measurements: Measurement[];
  /** Prometheus queries made. */
  queries: number;
}

/** Measurements kept on a record (per wave); more are summarised in the reason. */
export const MEASUREMENTS_KEPT = 60;

/** Flagger's request-success-rate, in percent. */
export const SUCCESS_RATE_QUERY =
  'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload=~"{{workload}}",response_code!~"5.*"}[{{interval}}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload=~"{{workload}}"}[{{interval}}])) * 100';

/** Flagger's request-duration: p99 in milliseconds. */
export const P99_QUERY =
  'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload=~"{{workload}}"}[{{interval}}])) by (le))';

/** The defaults: success ≥ 99 %; p99 ≤ 1.2 × baseline + 50 ms. */
export const DEFAULT_METRICS: MetricSpec[] = [
  { name: 'request-success-rate', query: SUCCESS_RATE_QUERY, unit: '%', min: 99 },
  {
    name: 'request-duration-p99',
    query: P99_QUERY,
    unit: 'ms',
    maxVsBaseline: { factor: 1.2, plus: 50 },
  },
];

export const DEFAULT_ANALYSIS: Omit<AnalysisSpec, 'name'> = {
  intervalMs: 60_000,
  count: 5,
  failureLimit: 1,
  baselineMs: 10 * 60_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
};
