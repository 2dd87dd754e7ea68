/**
 * The composition root's entry to the traffic analysis (issue 13): a WaveAnalysis per cluster over
 * its Prometheus (PROMETHEUS_URLS[cluster], else PROMETHEUS_URL), added to the cluster's ports.
 */
import type { ClusterPorts, ClusterRegistry, WaveAnalysis } from '../engine/ports.js';
import { PrometheusClient, type PrometheusOptions } from './prometheus.js';
import { PrometheusWaveAnalysis } from './run.js';

export { PrometheusClient, PrometheusError } from './prometheus.js';
export { PrometheusWaveAnalysis } from './run.js';

export interface AnalysisConfig {
  /** Default Prometheus for every cluster. */
  url?: string | undefined;
  /** Per-cluster override. */
  urls: Record<string, string>;
  bearerTokenFile?: string | undefined;
  basicAuthFile?: string | undefined;
  caFile?: string | undefined;
  timeoutMs: number;
}

export function createWaveAnalysis(o: PrometheusOptions): WaveAnalysis {
  return new PrometheusWaveAnalysis(new PrometheusClient(o));
}

/** The analysis of `cluster`, or undefined when no Prometheus is configured for it. */
export function analysisFor(c: AnalysisConfig, cluster: string): WaveAnalysis | undefined {
  const url = c.urls[cluster] ?? c.url;
  if (!url) return undefined;
  return createWaveAnalysis({
    url,
    bearerTokenFile: c.bearerTokenFile,
    basicAuthFile: c.basicAuthFile,
    caFile: c.caFile,
    timeoutMs: c.timeoutMs,
  });
}

/** The same registry whose ports carry each cluster's analysis (made once per cluster, on first use). */
export function withAnalysis<R extends ClusterRegistry>(
  registry: R,
  analysis: (cluster: string) => WaveAnalysis | undefined,
): R {
  const made = new Map<string, WaveAnalysis | undefined>();
  const get = (name: string) => {
    const ports: ClusterPorts | undefined = registry.get(name);
    if (!ports || ports.analysis) return ports;
    if (!made.has(name)) made.set(name, analysis(name));
    const a = made.get(name);
    if (a) ports.analysis = a;
    return ports;
  };
  return Object.assign(Object.create(Object.getPrototypeOf(registry) as object), registry, { get }) as R;
}
