/**
 * STAND-IN for the WaveAnalysis port (src/engine/ports.ts) in engine tests that are not about
 * Prometheus: each wave's verdict is scripted (default: passed), answered after `delayMs` unless
 * the signal aborts first (then it rejects like the real adapter). The real adapter over a real
 * Prometheus is exercised in test/engine/analysis.test.ts and test/analysis/.
 * Also: the telemetry source of the mesh-telemetry stand-in for a stand-in cluster, and a registry
 * whose ports carry an analysis.
 */
import type { AnalysisVerdict, WaveAnalysisResult } from '../../src/domain/upgrade/analysis.js';
import type {
  ClusterPorts,
  ClusterRegistry,
  WaveAnalysis,
  WaveAnalysisRequest,
} from '../../src/engine/ports.js';
import { CodedError } from '../../src/errors.js';
import type { ClusterStandin } from './cluster-standin.js';
import type { TelemetryWorkload } from './mesh-telemetry-standin.js';

export class AnalysisStandin implements WaveAnalysis {
  readonly requests: WaveAnalysisRequest[] = [];
  constructor(
    /** Verdict per call, in order; past the end: passed. */
    private readonly verdicts: AnalysisVerdict[] = [],
    private readonly delayMs = 0,
  ) {}

  async analyze(req: WaveAnalysisRequest, opts: { signal?: AbortSignal }): Promise<WaveAnalysisResult> {
    const verdict = this.verdicts[this.requests.length] ?? 'passed';
    this.requests.push(req);
    const at = new Date().toISOString();
    await new Promise<void>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new CodedError('cancelled', 'analysis cancelled'));
      const t = setTimeout(resolve, this.delayMs);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new CodedError('cancelled', 'analysis cancelled'));
      });
    });
    return {
      spec: req.spec.name,
      verdict,
      reason: `stand-in: ${verdict}`,
      checks: 1,
      failedChecks: verdict === 'failed' ? 1 : 0,
      startedAt: at,
      finishedAt: new Date().toISOString(),
      measurements: [],
      queries: 0,
    };
  }
}

/** What the stand-in cluster's workloads would report: their namespace, name and pod revision. */
export function telemetryOf(cluster: ClusterStandin): () => Promise<TelemetryWorkload[]> {
  return async () =>
    (await cluster.state()).workloads.map((w) => ({
      namespace: w.namespace,
      name: w.name,
      revision: w.podRevision,
    }));
}

/** One stand-in cluster's registry whose ports carry `analysis`. */
export function registryWithAnalysis(cluster: ClusterStandin, analysis: WaveAnalysis): ClusterRegistry {
  const ports: ClusterPorts = { ...cluster.ports(), analysis };
  return {
    names: () => [cluster.name],
    defaultName: () => cluster.name,
    get: (n) => (n === cluster.name ? ports : undefined),
  };
}
