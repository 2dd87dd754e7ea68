/**
 * The traffic side of the health-gated scenarios (issue 13) on the e2e cluster: the mesh-telemetry
 * STAND-IN fed from the test cluster's API (each Deployment of the given namespaces, with the sidecar
 * revision its newest running pod carries — `sidecar.istio.io/status`, as the injector set it), a REAL
 * Prometheus scraping it every second, and a loopback TCP proxy in front of Prometheus that the bot
 * talks to, so a scenario can take Prometheus away (and give it back with its data) mid-upgrade.
 */
import { MeshTelemetryStandin, type TelemetryWorkload } from '../support/mesh-telemetry-standin.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { api } from './support-scenarios.js';

/** What the sidecars of these namespaces' workloads would report: per `app`, its newest running pod's revision. */
export function telemetryFromCluster(namespaces: () => string[]): () => Promise<TelemetryWorkload[]> {
  return async () => {
    const out: TelemetryWorkload[] = [];
    for (const namespace of namespaces()) {
      const pods = (await api().core.listNamespacedPod({ namespace })).items.filter(
        (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.metadata?.labels?.app,
      );
      const newest = new Map<string, { at: number; revision: string | null }>();
      for (const p of pods) {
        const app = p.metadata!.labels!.app!;
        const at = new Date(p.metadata?.creationTimestamp ?? 0).getTime();
        const status = p.metadata?.annotations?.['sidecar.istio.io/status'];
        const revision = status ? ((JSON.parse(status) as { revision?: string }).revision ?? null) : null;
        if ((newest.get(app)?.at ?? -1) < at) newest.set(app, { at, revision });
      }
      for (const [name, { revision }] of newest) out.push({ namespace, name, revision });
    }
    return out;
  };
}

export interface Traffic {
  mesh: MeshTelemetryStandin;
  prometheus: RunningPrometheus;
  /** In front of Prometheus: the URL the bot is given. */
  proxy: TcpProxy;
  url: string;
  close(): Promise<void>;
}

export async function startTraffic(namespaces: () => string[]): Promise<Traffic> {
  const mesh = new MeshTelemetryStandin(telemetryFromCluster(namespaces));
  const { target } = await mesh.start();
  const prometheus = await startPrometheus([target]);
  const proxy = new TcpProxy('127.0.0.1', prometheus.port);
  const port = await proxy.listen();
  return {
    mesh,
    prometheus,
    proxy,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await proxy.close();
      await prometheus.stop();
      await mesh.close();
    },
  };
}
