/** Per-kind access to Deployments, StatefulSets and DaemonSets (list, patch, watch path). */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadRef } from '../../engine/ports.js';
import {
  type KubeClient,
  keepItems,
  mergePatch,
  noBody,
  type RawItem,
  type RequestOptions,
} from './client.js';
import type { AnyWorkload } from './rollout-status.js';
import type { Listed } from './watch.js';

export type WorkloadObject = V1Deployment | V1StatefulSet | V1DaemonSet;

const PLURAL: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

export const keyOf = (r: WorkloadRef): string => `${r.kind}/${r.namespace}/${r.name}`;
export const refName = (r: WorkloadRef): string => `${r.kind} ${r.namespace}/${r.name}`;

/** The collection path of a kind in one namespace, or across the cluster (`null`). */
export function watchPath(kind: WorkloadKind, namespace: string | null): string {
  return namespace === null
    ? `/apis/apps/v1/${PLURAL[kind]}`
    : `/apis/apps/v1/namespaces/${namespace}/${PLURAL[kind]}`;
}

/**
 * From how many namespaces a read lists (and a wait watches) a kind across the cluster, in pages,
 * rather than once per namespace: a wave of 50 namespaces then costs a few pages a kind instead of 50
 * requests (the scale benchmark's requests per workload). Below it, per-namespace reads stay cheaper.
 */
export const CLUSTER_WIDE_FROM = 10;
const PAGE = 500;

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/**
 * Every object of `kind` in `namespaces` (all when absent), read across the cluster in pages
 * (`limit`/`continue`, one request each), cut to what a wave reads (slimWorkload): only those of
 * `namespaces` are kept from each page, before they are typed, and as `keep` makes them.
 */
export async function listAcrossCluster(
  client: KubeClient,
  kind: WorkloadKind,
  signal?: AbortSignal,
  namespaces?: ReadonlySet<string>,
): Promise<Listed<WorkloadObject>>;
export async function listAcrossCluster<T>(
  client: KubeClient,
  kind: WorkloadKind,
  signal: AbortSignal | undefined,
  namespaces: ReadonlySet<string> | undefined,
  keep: (obj: WorkloadObject) => T,
): Promise<Listed<T>>;
export async function listAcrossCluster<T>(
  client: KubeClient,
  kind: WorkloadKind,
  signal?: AbortSignal,
  namespaces?: ReadonlySet<string>,
  keep: (obj: WorkloadObject) => T = (obj) => obj as T,
): Promise<Listed<T>> {
  const items: T[] = [];
  let cont: string | undefined;
  let resourceVersion: string | undefined;
  do {
    const page = { limit: PAGE, ...(cont ? { _continue: cont } : {}) };
    const got: Listed<WorkloadObject> & { metadata?: { _continue?: string } } = await client.request(
      `list ${kind}s`,
      (opts) => {
        const o = keepItems(opts, (item) =>
          !namespaces || namespaces.has(item.metadata?.namespace ?? '') ? slimWorkload(item) : undefined,
        );
        switch (kind) {
          case 'Deployment':
            return client.apps.listDeploymentForAllNamespaces(page, o);
          case 'StatefulSet':
            return client.apps.listStatefulSetForAllNamespaces(page, o);
          case 'DaemonSet':
            return client.apps.listDaemonSetForAllNamespaces(page, o);
        }
      },
      { signal },
    );
    for (const obj of got.items)
      if (!namespaces || namespaces.has(obj.metadata?.namespace ?? '')) items.push(keep(obj));
    // every page is of the first page's snapshot: its resourceVersion is the list's
    resourceVersion ??= got.metadata?.resourceVersion;
    cont = got.metadata?._continue || undefined;
  } while (cont);
  return { items, metadata: { resourceVersion } };
}

/**
 * What a wave reads of a listed workload — its name, generation, resourceVersion, spec without the pod
 * template (but its restartedAt stamp), status — without the template's containers and the
 * managedFields that make up most of the object. On the JSON of a list's items (keepItems) as on
 * typed objects: the fields it keeps are spelled the same in both.
 */
export function slimWorkload<T extends RawItem | WorkloadObject>(obj: T): T {
  const m = (obj.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    generation?: number;
    resourceVersion?: string;
  };
  const spec = obj.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined;
  const stamp = spec?.template?.metadata?.annotations?.[RESTARTED_AT];
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      generation: m.generation,
      resourceVersion: m.resourceVersion,
    },
    spec: spec && {
      ...spec,
      template: { metadata: stamp === undefined ? {} : { annotations: { [RESTARTED_AT]: stamp } } },
    },
    status: obj.status,
  } as T;
}

/** One list request (pass it to `client.request`, which gives it `opts`). */
export function listWorkloads(
  client: KubeClient,
  kind: WorkloadKind,
  namespace: string,
  opts?: RequestOptions,
): Promise<Listed<WorkloadObject>> {
  switch (kind) {
    case 'Deployment':
      return client.apps.listNamespacedDeployment({ namespace }, opts);
    case 'StatefulSet':
      return client.apps.listNamespacedStatefulSet({ namespace }, opts);
    case 'DaemonSet':
      return client.apps.listNamespacedDaemonSet({ namespace }, opts);
  }
}

/**
 * A merge patch that sets values (idempotent: a retry sets the same values again). The object the
 * apiserver answers with is not read (a wave sends 500 of them): it is dropped untyped.
 */
export async function patchWorkload(
  client: KubeClient,
  ref: WorkloadRef,
  body: object,
  signal?: AbortSignal,
): Promise<void> {
  const p = { name: ref.name, namespace: ref.namespace, body };
  await client.request(
    `patch ${refName(ref)}`,
    (opts) => {
      const o = noBody(mergePatch(opts));
      switch (ref.kind) {
        case 'Deployment':
          return client.apps.patchNamespacedDeployment(p, o);
        case 'StatefulSet':
          return client.apps.patchNamespacedStatefulSet(p, o);
        case 'DaemonSet':
          return client.apps.patchNamespacedDaemonSet(p, o);
      }
    },
    { signal },
  );
}

export const asAny = (kind: WorkloadKind, obj: WorkloadObject): AnyWorkload => ({ kind, obj }) as AnyWorkload;

/** Groups refs by kind and namespace (one list or watch per group). */
export function groupRefs(
  refs: readonly WorkloadRef[],
): { kind: WorkloadKind; namespace: string; refs: WorkloadRef[] }[] {
  const m = new Map<string, { kind: WorkloadKind; namespace: string; refs: WorkloadRef[] }>();
  for (const r of refs) {
    const k = `${r.kind}/${r.namespace}`;
    let g = m.get(k);
    if (!g) {
      g = { kind: r.kind, namespace: r.namespace, refs: [] };
      m.set(k, g);
    }
    g.refs.push(r);
  }
  return [...m.values()];
}
