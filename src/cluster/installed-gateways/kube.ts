/**
 * InstalledGateways over the Kubernetes API: the gateways an `istioctl install` owns (the default
 * profile's ingress gateway), found by the labels the installer puts on every object it renders:
 * `operator.istio.io/component: IngressGateways|EgressGateways` and `istio.io/rev: <revision>`.
 *
 * The canary's install relabels them with its revision (an in-place upgrade) and `istioctl uninstall
 * --revision R` deletes every object labelled R (operator uninstall/prune.go). `snapshot` keeps them as
 * they are before the canary install; `restore` puts them back (old image, old labels), so the
 * canary's uninstall no longer owns them, and waits for the Deployments to roll out.
 */
import {
  AutoscalingV2Api,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { InstalledGateways, WorkloadRef } from '../../engine/ports.js';
import type { Logger } from '../../log.js';
import { type KubeClient, mergePatch, type RequestOptions } from '../kube/client.js';
import type { KubeRestarter } from '../kube/restart.js';

export const COMPONENT_SELECTOR = 'operator.istio.io/component in (IngressGateways,EgressGateways)';
const REV = 'istio.io/rev';

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: unknown;
}

/** One kind of object the installer renders for a gateway, and how to list, read, patch and create it. */
interface Kind {
  kind: string;
  apiVersion: string;
  list(ns: string, o: RequestOptions): Promise<{ items: Obj[] }>;
  read(ns: string, name: string, o: RequestOptions): Promise<Obj>;
  patch(ns: string, name: string, body: object, o: RequestOptions): Promise<unknown>;
  create(ns: string, body: Obj, o: RequestOptions): Promise<unknown>;
}

/** The revision an object's labels say owns it (`default` for an install without a revision). */
export const ownerRevision = (o: Obj): string => o.metadata?.labels?.[REV] || 'default';

/** What is kept of an object: what a re-creation needs, nothing the apiserver owns (pure). */
export function keep(kind: string, apiVersion: string, o: Obj): Obj {
  const { metadata, status: _s, ...rest } = o as Obj & { status?: unknown };
  return {
    ...rest,
    apiVersion,
    kind,
    metadata: {
      name: metadata?.name ?? '',
      namespace: metadata?.namespace ?? '',
      labels: { ...(metadata?.labels ?? {}) },
      annotations: { ...(metadata?.annotations ?? {}) },
    },
  };
}

/** A merge patch turning `cur`'s labels and annotations into `want`'s (keys `want` lacks are removed). */
export function metadataPatch(
  cur: Obj,
  want: Obj,
): { metadata: Record<string, Record<string, string | null>> } {
  const diff = (a: Record<string, string> = {}, b: Record<string, string> = {}) => {
    const out: Record<string, string | null> = { ...b };
    for (const k of Object.keys(a)) if (!(k in b)) out[k] = null;
    return out;
  };
  return {
    metadata: {
      labels: diff(cur.metadata?.labels, want.metadata?.labels),
      annotations: diff(cur.metadata?.annotations, want.metadata?.annotations),
    },
  };
}

/** The gateway Deployments among an install's objects. */
const deployments = (owned: { kind: Kind; obj: Obj }[]): WorkloadRef[] =>
  owned
    .filter((x) => x.kind.kind === 'Deployment')
    .map((x) => ({
      kind: 'Deployment',
      namespace: x.obj.metadata?.namespace ?? '',
      name: x.obj.metadata?.name ?? '',
    }));

export class KubeInstalledGateways implements InstalledGateways {
  private readonly kinds: Kind[];
  constructor(
    private readonly client: KubeClient,
    private readonly restarter: KubeRestarter,
    private readonly o: { istioNamespace: string; timeoutMs?: number; logger?: Logger | undefined },
  ) {
    const { core, apps } = client;
    const rbac = client.kc.makeApiClient(RbacAuthorizationV1Api);
    const policy = client.kc.makeApiClient(PolicyV1Api);
    const hpa = client.kc.makeApiClient(AutoscalingV2Api);
    const sel = COMPONENT_SELECTOR;
    const m = mergePatch;
    const k = (kind: string, apiVersion: string, f: Omit<Kind, 'kind' | 'apiVersion'>): Kind => ({
      kind,
      apiVersion,
      ...f,
    });
    // Each entry mirrors the others; the generated clients have no common interface.
    this.kinds = [
      k('Deployment', 'apps/v1', {
        list: (ns, o) => apps.listNamespacedDeployment({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => apps.readNamespacedDeployment({ name, namespace: ns }, o),
        patch: (ns, name, body, o) => apps.patchNamespacedDeployment({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) =>
          apps.createNamespacedDeployment({ namespace: ns, body: body as V1Deployment }, o),
      }),
      k('Service', 'v1', {
        list: (ns, o) => core.listNamespacedService({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => core.readNamespacedService({ name, namespace: ns }, o),
        patch: (ns, name, body, o) => core.patchNamespacedService({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) => core.createNamespacedService({ namespace: ns, body: body as never }, o),
      }),
      k('ServiceAccount', 'v1', {
        list: (ns, o) => core.listNamespacedServiceAccount({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => core.readNamespacedServiceAccount({ name, namespace: ns }, o),
        patch: (ns, name, body, o) => core.patchNamespacedServiceAccount({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) =>
          core.createNamespacedServiceAccount({ namespace: ns, body: body as never }, o),
      }),
      k('Role', 'rbac.authorization.k8s.io/v1', {
        list: (ns, o) => rbac.listNamespacedRole({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => rbac.readNamespacedRole({ name, namespace: ns }, o),
        patch: (ns, name, body, o) => rbac.patchNamespacedRole({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) => rbac.createNamespacedRole({ namespace: ns, body: body as never }, o),
      }),
      k('RoleBinding', 'rbac.authorization.k8s.io/v1', {
        list: (ns, o) => rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => rbac.readNamespacedRoleBinding({ name, namespace: ns }, o),
        patch: (ns, name, body, o) => rbac.patchNamespacedRoleBinding({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) => rbac.createNamespacedRoleBinding({ namespace: ns, body: body as never }, o),
      }),
      k('PodDisruptionBudget', 'policy/v1', {
        list: (ns, o) => policy.listNamespacedPodDisruptionBudget({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => policy.readNamespacedPodDisruptionBudget({ name, namespace: ns }, o),
        patch: (ns, name, body, o) =>
          policy.patchNamespacedPodDisruptionBudget({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) =>
          policy.createNamespacedPodDisruptionBudget({ namespace: ns, body: body as never }, o),
      }),
      k('HorizontalPodAutoscaler', 'autoscaling/v2', {
        list: (ns, o) => hpa.listNamespacedHorizontalPodAutoscaler({ namespace: ns, labelSelector: sel }, o),
        read: (ns, name, o) => hpa.readNamespacedHorizontalPodAutoscaler({ name, namespace: ns }, o),
        patch: (ns, name, body, o) =>
          hpa.patchNamespacedHorizontalPodAutoscaler({ name, namespace: ns, body }, m(o)),
        create: (ns, body, o) =>
          hpa.createNamespacedHorizontalPodAutoscaler({ namespace: ns, body: body as never }, o),
      }),
    ];
  }

  private async owned(revision: string, signal?: AbortSignal): Promise<{ kind: Kind; obj: Obj }[]> {
    const ns = this.o.istioNamespace;
    const lists = await Promise.all(
      this.kinds.map((kind) =>
        this.client
          .request(`list install-owned gateway ${kind.kind}s in ${ns}`, (o) => kind.list(ns, o), { signal })
          .then((l) => l.items.filter((x) => ownerRevision(x) === revision).map((obj) => ({ kind, obj }))),
      ),
    );
    return lists.flat();
  }

  async ownedBy(revision: string, signal?: AbortSignal): Promise<WorkloadRef[]> {
    return deployments(await this.owned(revision, signal));
  }

  async snapshot(revision: string, signal?: AbortSignal): Promise<{ data: string; gateways: WorkloadRef[] }> {
    const owned = await this.owned(revision, signal);
    const objects = owned.map((x) => keep(x.kind.kind, x.kind.apiVersion, x.obj));
    return { data: JSON.stringify({ revision, objects }), gateways: deployments(owned) };
  }

  async restore(snapshot: string, signal?: AbortSignal): Promise<WorkloadRef[]> {
    const { objects } = JSON.parse(snapshot) as { revision: string; objects: Obj[] };
    // ServiceAccounts and RBAC first, the Deployment last: its new pods need them.
    const order = (o: Obj) => (o.kind === 'Deployment' ? 2 : o.kind === 'Service' ? 1 : 0);
    const refs: WorkloadRef[] = [];
    for (const want of [...objects].sort((a, b) => order(a) - order(b))) {
      const kind = this.kinds.find((k) => k.kind === want.kind);
      if (!kind) continue;
      const ns = want.metadata?.namespace ?? this.o.istioNamespace;
      const name = want.metadata?.name ?? '';
      const what = `${kind.kind} ${ns}/${name}`;
      const cur = await this.client.requestOrNull(`read ${what}`, (o) => kind.read(ns, name, o), { signal });
      if (!cur) {
        await this.client.request(`create ${what}`, (o) => kind.create(ns, want, o), {
          signal,
          idempotent: false,
        });
      } else if (kind.kind === 'Deployment') {
        // The old template (image, revision labels) rolls the gateway back; replicas stay as they are
        // now (an HPA may own them).
        const spec = { ...(want.spec as object), replicas: (cur.spec as { replicas?: number })?.replicas };
        await this.client.request(
          `restore ${what}`,
          (o) => kind.patch(ns, name, { ...metadataPatch(cur, want), spec }, o),
          { signal },
        );
      } else {
        await this.client.request(
          `relabel ${what}`,
          (o) => kind.patch(ns, name, metadataPatch(cur, want), o),
          {
            signal,
          },
        );
      }
      if (kind.kind === 'Deployment') refs.push({ kind: 'Deployment', namespace: ns, name });
    }
    if (refs.length > 0)
      await this.restarter.waitForRollouts(refs, {
        timeoutMs: this.o.timeoutMs ?? 600_000,
        ...(signal ? { signal } : {}),
      });
    this.o.logger?.info({ gateways: refs.length }, 'install-owned gateways restored');
    return refs;
  }
}
