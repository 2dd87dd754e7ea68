/** Per-kind access to Deployments, StatefulSets and DaemonSets (list, patch, watch path). */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadRef } from '../../engine/ports.js';
import { type KubeClient, mergePatch, type RequestOptions } from './client.js';
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

export function watchPath(kind: WorkloadKind, namespace: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/${PLURAL[kind]}`;
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

/** A merge patch that sets values (idempotent: a retry sets the same values again). */
export function patchWorkload(
  client: KubeClient,
  ref: WorkloadRef,
  body: object,
  signal?: AbortSignal,
): Promise<WorkloadObject> {
  const p = { name: ref.name, namespace: ref.namespace, body };
  return client.request(
    `patch ${refName(ref)}`,
    (o) => {
      switch (ref.kind) {
        case 'Deployment':
          return client.apps.patchNamespacedDeployment(p, mergePatch(o));
        case 'StatefulSet':
          return client.apps.patchNamespacedStatefulSet(p, mergePatch(o));
        case 'DaemonSet':
          return client.apps.patchNamespacedDaemonSet(p, mergePatch(o));
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
