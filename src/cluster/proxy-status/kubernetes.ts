/**
 * proxy-status from the Kubernetes API only: every live pod with a sidecar of a requested revision,
 * attributed to a running istiod pod of that revision (the injecting one), as a
 * `NAME CLUSTER ISTIOD VERSION` table. It knows which revision each proxy was injected by, not whether
 * it is connected or synced (synced: unknown in the diff).
 */
import type { ProxyStatusSource } from '../../engine/ports.js';
import type { KubeMeshInspector } from '../kube/inspector.js';
import { placeholderIstiod, renderTable } from './render.js';

export class KubernetesProxyStatus implements ProxyStatusSource {
  constructor(
    private readonly inspector: KubeMeshInspector,
    private readonly clusterId = 'Kubernetes',
  ) {}

  async capture(revisions: string[], signal?: AbortSignal): Promise<string[]> {
    const [pods, istiods] = await Promise.all([
      this.inspector.allSidecars(signal),
      this.inspector.istiodPods(undefined, signal),
    ]);
    const wanted = new Set(revisions);
    const istiodOf = (rev: string) =>
      istiods.find((p) => p.revision === rev && p.ready)?.name ??
      istiods.find((p) => p.revision === rev)?.name ??
      placeholderIstiod(rev);
    const rows = pods
      .filter((p) => p.revision !== null && wanted.has(p.revision))
      .map((p) => ({
        name: `${p.pod}.${p.namespace}`,
        cluster: this.clusterId,
        istiod: istiodOf(p.revision!),
        version: p.proxyVersion ?? 'unknown',
      }));
    return [renderTable(rows, false)];
  }
}
