/** MeshInspector over the Kubernetes API: control planes, tags, namespaces, workloads, sidecars. */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { CANARY_MARKER } from '../../domain/upgrade/plan.js';
import type {
  ControlPlane,
  MeshInspector,
  NamespaceInfo,
  PodSidecar,
  RevisionTag,
  Workload,
  WorkloadRef,
} from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import { versionFromImage } from '../istioctl/version.js';
import { type KubeClient, keepItems, type RequestOptions } from './client.js';
import { isInjectedGateway } from './gateways.js';
import { deploymentStatus } from './rollout-status.js';
import { checkRevision, isLivePod, podFields, podSidecar } from './sidecar.js';
import { limiter } from './watch.js';
import { CLUSTER_WIDE_FROM, listAcrossCluster } from './workloads.js';

export interface InjectorWebhook {
  name: string;
  /** `istio.io/rev` label of the webhook (`default` when absent). */
  revision: string;
  /** `istio.io/tag` label for tag webhooks, null for a revision's own injector. */
  tag: string | null;
}

export interface IstiodPod {
  name: string;
  revision: string;
  ip: string | null;
  ready: boolean;
}

const PAGE = 500;

export class KubeMeshInspector implements MeshInspector {
  private readonly limit = limiter(8);
  constructor(
    private readonly client: KubeClient,
    private readonly istioNamespace = 'istio-system',
  ) {}

  async controlPlanes(signal?: AbortSignal): Promise<ControlPlane[]> {
    const l = await this.client.request(
      `list istiod Deployments in ${this.istioNamespace}`,
      (o) =>
        this.client.apps.listNamespacedDeployment(
          { namespace: this.istioNamespace, labelSelector: 'app=istiod' },
          o,
        ),
      { signal },
    );
    return l.items
      .filter((d: V1Deployment) => !d.metadata?.deletionTimestamp)
      .map((d: V1Deployment) => {
        const c =
          d.spec?.template?.spec?.containers?.find((x) => x.name === 'discovery') ??
          d.spec?.template?.spec?.containers?.[0];
        return {
          revision: d.metadata?.labels?.['istio.io/rev'] || 'default',
          version: versionFromImage(c?.image) ?? 'unknown',
          ready: deploymentStatus(d).done && (d.status?.availableReplicas ?? 0) > 0,
        };
      });
  }

  /** Mutating webhooks of Istio: each revision's injector and the tag webhooks. */
  async injectors(signal?: AbortSignal): Promise<InjectorWebhook[]> {
    const l = await this.client.request(
      'list MutatingWebhookConfigurations',
      (o) =>
        this.client.admission.listMutatingWebhookConfiguration({ labelSelector: 'app=sidecar-injector' }, o),
      { signal },
    );
    return l.items.map((w) => ({
      name: w.metadata?.name ?? '',
      revision: w.metadata?.labels?.['istio.io/rev'] || 'default',
      tag: w.metadata?.labels?.['istio.io/tag'] ?? null,
    }));
  }

  async tags(signal?: AbortSignal): Promise<RevisionTag[]> {
    const l = await this.client.request(
      'list tag MutatingWebhookConfigurations',
      (o) => this.client.admission.listMutatingWebhookConfiguration({ labelSelector: 'istio.io/tag' }, o),
      { signal },
    );
    const seen = new Map<string, RevisionTag>();
    for (const w of l.items) {
      const tag = w.metadata?.labels?.['istio.io/tag'];
      if (tag) seen.set(tag, { tag, revision: w.metadata?.labels?.['istio.io/rev'] || 'default' });
    }
    return [...seen.values()].sort((a, b) => a.tag.localeCompare(b.tag));
  }

  async namespaces(signal?: AbortSignal): Promise<NamespaceInfo[]> {
    const l = await this.client.request('list Namespaces', (o) => this.client.core.listNamespace({}, o), {
      signal,
    });
    return l.items.map((n) => {
      const marked = (m: Record<string, string> | undefined) =>
        m?.[CANARY_MARKER]?.trim().toLowerCase() === 'true';
      const canary = marked(n.metadata?.labels) || marked(n.metadata?.annotations);
      return {
        name: n.metadata?.name ?? '',
        injection: n.metadata?.labels?.['istio-injection'] ?? null,
        rev: n.metadata?.labels?.['istio.io/rev'] ?? null,
        ...(canary ? { canary } : {}),
      };
    });
  }

  /** Namespaces with an injected gateway Deployment (`inject.istio.io/templates: gateway`), paged. */
  async gatewayNamespaces(signal?: AbortSignal): Promise<string[]> {
    const out = new Set<string>();
    let cont: string | undefined;
    do {
      const page = { limit: PAGE, ...(cont ? { _continue: cont } : {}) };
      const got = await this.client.request(
        'list Deployments',
        (o) => this.client.apps.listDeploymentForAllNamespaces(page, o),
        { signal },
      );
      for (const d of got.items) if (isInjectedGateway(d)) out.add(d.metadata?.namespace ?? '');
      cont = got.metadata?._continue || undefined;
    } while (cont);
    out.delete('');
    return [...out].sort();
  }

  /**
   * The Deployments, StatefulSets and DaemonSets of `namespaces`, namespace by namespace: three lists
   * per namespace, or from CLUSTER_WIDE_FROM namespaces on three paged lists across the cluster.
   */
  async workloads(namespaces: string[], signal?: AbortSignal): Promise<Workload[]> {
    const list = <R>(what: string, fn: (o: RequestOptions) => Promise<R>) =>
      this.limit(() => this.client.request(what, fn, { signal }));
    if (namespaces.length >= CLUSTER_WIDE_FROM) {
      // each page's objects become Workloads at once: a wave holds 500 small records, not 500 objects
      const want = new Set(namespaces);
      const lists = await Promise.all(
        (['Deployment', 'StatefulSet', 'DaemonSet'] as const).map((k) =>
          this.limit(() => listAcrossCluster(this.client, k, signal, want, (o) => toWorkload(k, o))),
        ),
      );
      const byNs = new Map<string, Workload[]>();
      for (const l of lists)
        for (const w of l.items) {
          const of = byNs.get(w.namespace);
          if (of) of.push(w);
          else byNs.set(w.namespace, [w]);
        }
      return namespaces.flatMap((ns) => byNs.get(ns) ?? []);
    }
    const per = await Promise.all(
      namespaces.map((ns) =>
        Promise.all([
          list(`list Deployments in ${ns}`, (o) =>
            this.client.apps.listNamespacedDeployment({ namespace: ns }, o),
          ),
          list(`list StatefulSets in ${ns}`, (o) =>
            this.client.apps.listNamespacedStatefulSet({ namespace: ns }, o),
          ),
          list(`list DaemonSets in ${ns}`, (o) =>
            this.client.apps.listNamespacedDaemonSet({ namespace: ns }, o),
          ),
        ]).then(([d, s, ds]) => toWorkloads(ns, d.items, s.items, ds.items)),
      ),
    );
    return per.flat();
  }

  /**
   * Live pods only: Succeeded/Failed and terminating pods are ignored (they never move and go away).
   * One list per namespace, or from CLUSTER_WIDE_FROM namespaces one paged list across the cluster.
   */
  async sidecars(namespaces: string[], signal?: AbortSignal): Promise<PodSidecar[]> {
    if (namespaces.length >= CLUSTER_WIDE_FROM) {
      const want = new Set(namespaces);
      return this.pods(null, signal, want);
    }
    const per = await Promise.all(namespaces.map((ns) => this.limit(() => this.pods(ns, signal))));
    return per.flat();
  }

  /** Every live pod of the cluster with its sidecar (one paged list, for the kubernetes proxy-status source). */
  async allSidecars(signal?: AbortSignal): Promise<PodSidecar[]> {
    return this.pods(null, signal);
  }

  /**
   * Throws CodedError(verify_failed) naming pods whose sidecar is not on `revision`. With `workloads`,
   * only their pods must be on it; other pods (Jobs, bare pods) that are not are returned as `others`.
   */
  async verifyRevision(
    namespaces: string[],
    revision: string,
    workloads?: WorkloadRef[],
    signal?: AbortSignal,
  ): Promise<{ checked: number; uninjected: PodSidecar[]; others: PodSidecar[] }> {
    const pods = await this.sidecars(namespaces, signal);
    const inWave = workloads ? new Set(workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`)) : null;
    const mine = (p: PodSidecar) =>
      !inWave ||
      (p.workload !== null && inWave.has(`${p.workload.kind}/${p.workload.namespace}/${p.workload.name}`));
    const r = checkRevision(pods.filter(mine), revision);
    const others = checkRevision(
      pods.filter((p) => !mine(p)),
      revision,
    ).wrong;
    if (r.wrong.length > 0) {
      const lines = r.wrong.slice(0, 10).map((p) => `• ${p.namespace}/${p.pod}: ${p.revision}`);
      if (r.wrong.length > 10) lines.push(`• … and ${r.wrong.length - 10} more`);
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `${r.wrong.length} of ${r.checked} pod(s) in ${namespaces.join(', ')} do not run revision ${revision}:\n${lines.join('\n')}`,
        { wrong: r.wrong, revision },
      );
    }
    return { checked: r.checked, uninjected: r.uninjected, others };
  }

  async istiodPods(revision?: string, signal?: AbortSignal): Promise<IstiodPod[]> {
    const l = await this.client.request(
      `list istiod Pods in ${this.istioNamespace}`,
      (o) =>
        this.client.core.listNamespacedPod(
          { namespace: this.istioNamespace, labelSelector: 'app=istiod' },
          o,
        ),
      { signal },
    );
    return l.items
      .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
      .map((p) => ({
        name: p.metadata?.name ?? '',
        revision: p.metadata?.labels?.['istio.io/rev'] || 'default',
        ip: p.status?.podIP ?? null,
        ready: !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      }))
      .filter((p) => revision === undefined || p.revision === revision);
  }

  /**
   * The live pods of `namespace`, or of the cluster (`null`) — of `keep`'s namespaces only — in pages,
   * each page's pods turned into PodSidecars at once (a page of full pods is megabytes; they die young).
   */
  private async pods(
    namespace: string | null,
    signal?: AbortSignal,
    keep?: ReadonlySet<string>,
  ): Promise<PodSidecar[]> {
    const out: PodSidecar[] = [];
    let cont: string | undefined;
    do {
      const what = namespace ? `list Pods in ${namespace}` : 'list Pods';
      const page = { limit: PAGE, ...(cont ? { _continue: cont } : {}) };
      const got = await this.client.request(
        what,
        (opts) => {
          // cut to what podSidecar reads, other namespaces' pods dropped, before the client types them
          const o = keepItems(opts, (p) =>
            !keep || keep.has(p.metadata?.namespace ?? '') ? podFields(p) : undefined,
          );
          return namespace
            ? this.client.core.listNamespacedPod({ namespace, ...page }, o)
            : this.client.core.listPodForAllNamespaces(page, o);
        },
        { signal },
      );
      for (const p of got.items)
        if ((!keep || keep.has(p.metadata?.namespace ?? '')) && isLivePod(p)) out.push(podSidecar(p));
      cont = got.metadata?._continue || undefined;
    } while (cont);
    return out;
  }
}

function toWorkload(kind: Workload['kind'], x: V1Deployment | V1StatefulSet | V1DaemonSet): Workload {
  const name = x.metadata?.name ?? '';
  const namespace = x.metadata?.namespace ?? '';
  return kind === 'Deployment'
    ? { kind, namespace, name, paused: !!(x as V1Deployment).spec?.paused, onDelete: false }
    : {
        kind,
        namespace,
        name,
        paused: false,
        onDelete: (x as V1StatefulSet | V1DaemonSet).spec?.updateStrategy?.type === 'OnDelete',
      };
}

function toWorkloads(ns: string, d: V1Deployment[], s: V1StatefulSet[], ds: V1DaemonSet[]): Workload[] {
  return [
    ...d.map((x) => toWorkload('Deployment', x)),
    ...s.map((x) => toWorkload('StatefulSet', x)),
    ...ds.map((x) => toWorkload('DaemonSet', x)),
  ].map((w) => ({ ...w, namespace: ns }));
}
