/** Per-kind access to Deployments, StatefulSets and DaemonSets (list, patch, watch path). */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadRef } from '../../engine/ports.js';
import { type KubeClient, MERGE_PATCH } from './client.js';
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

export function listWorkloads(
  client: KubeClient,
  kind: WorkloadKind,
  namespace: string,
): Promise<Listed<WorkloadObject>> {
  switch (kind) {
    case 'Deployment':
      return client.apps.listNamespacedDeployment({ namespace });
    case 'StatefulSet':
      return client.apps.listNamespacedStatefulSet({ namespace });
    case 'DaemonSet':
      return client.apps.listNamespacedDaemonSet({ namespace });
  }
}

export function patchWorkload(client: KubeClient, ref: WorkloadRef, body: object): Promise<WorkloadObject> {
  const p = { name: ref.name, namespace: ref.namespace, body };
  return client.call(`patch ${refName(ref)}`, () => {
    switch (ref.kind) {
      case 'Deployment':
        return client.apps.patchNamespacedDeployment(p, MERGE_PATCH);
      case 'StatefulSet':
        return client.apps.patchNamespacedStatefulSet(p, MERGE_PATCH);
      case 'DaemonSet':
        return client.apps.patchNamespacedDaemonSet(p, MERGE_PATCH);
    }
  });
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
