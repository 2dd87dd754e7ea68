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
  /** How people read the value: `%` (a rate ×100), `ms`, `s`, or `count` (events). */
  unit: '%' | 'ms' | 's' | 'count';
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
  /** The control-plane gate of the first wave: the new istiod's own signals (absent: none). */
  controlPlane?: ControlPlaneGate;
}

/**
 * The new istiod's own signals during the first wave (issue 13): its metrics (istio
 * pilot/pkg/xds/monitoring.go and pkg/xds/monitoring.go) must not grow beyond the spec. Placeholders
 * in the metrics: `{{istiod}}` (the selector, with `{{revision}}` filled), `{{revision}}`,
 * `{{interval}}` (the check's window) and `{{since}}` (from the wave's start to the check).
 */
export interface ControlPlaneGate {
  /** PromQL label matchers that select the canary istiod's series. Default: the pod labels of
   * Istio's sample Prometheus (`kubernetes-pods` job, labelmap of pod labels): `app="istiod"`,
   * `istio_io_rev="{{revision}}"`. */
  selector: string;
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

export const ISTIOD_SELECTOR = 'app="istiod",istio_io_rev="{{revision}}"';

/** `sum(M{istiod})`, or 0 when the istiod is scraped (`up == 1`) but has not exported M: istiod's
 * OpenTelemetry exporter shows a counter only after its first increment, so a healthy istiod has no
 * `pilot_total_xds_rejects` series at all. An istiod that is not scraped gives no series: no data. */
const counter = (metric: string) => `sum(${metric}{{{istiod}}}) or (sum(up{{{istiod}}} == 1) * 0)`;

/** The control-plane gate's defaults: no xDS rejected by proxies and no push-context error beyond
 * what the new istiod had when the wave started; proxies converge (p99 since the wave started)
 * within 5 s. NaN (no push in the window) counts as 0 when the istiod is scraped. */
export const DEFAULT_CONTROL_PLANE: ControlPlaneGate = {
  selector: ISTIOD_SELECTOR,
  metrics: [
    {
      name: 'xds-rejects',
      query: counter('pilot_total_xds_rejects'),
      unit: 'count',
      maxVsBaseline: { factor: 1, plus: 0 },
    },
    {
      name: 'push-context-errors',
      query: counter('pilot_xds_push_context_errors'),
      unit: 'count',
      maxVsBaseline: { factor: 1, plus: 0 },
    },
    {
      name: 'proxy-convergence-p99',
      query:
        '(histogram_quantile(0.99, sum(rate(pilot_proxy_convergence_time_bucket{{{istiod}}}[{{since}}])) by (le)) >= 0) or (sum(up{{{istiod}}} == 1) * 0)',
      unit: 's',
      max: 5,
    },
  ],
};

export const DEFAULT_ANALYSIS: Omit<AnalysisSpec, 'name'> = {
  intervalMs: 60_000,
  count: 5,
  failureLimit: 1,
  baselineMs: 10 * 60_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
  controlPlane: DEFAULT_CONTROL_PLANE,
};
