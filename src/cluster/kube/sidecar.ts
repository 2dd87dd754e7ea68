/**
 * Which revision a pod's sidecar uses, from the Kubernetes API only (pure, table-tested):
 * the `sidecar.istio.io/status` annotation's `revision` (the injecting istiod's revision, never a tag),
 * the `istio-proxy` container's image (in `containers`, or in `initContainers` for native sidecars),
 * and the owning workload from owner references.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { PodSidecar, WorkloadRef } from '../../engine/ports.js';
import { versionFromImage } from '../istioctl/version.js';
import type { RawItem } from './client.js';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
export const PROXY_IMAGE_ANNOTATION = 'sidecar.istio.io/proxyImage';
export const REV_ANNOTATION = 'istio.io/rev';
export const PROXY_CONTAINER = 'istio-proxy';

/** Pods that count: not Succeeded/Failed (sail-operator#2100) and not being deleted. */
export function isLivePod(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function statusRevision(raw: string | undefined): string | null | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as { revision?: unknown };
    return typeof v.revision === 'string' && v.revision !== '' ? v.revision : null;
  } catch {
    return null;
  }
}

export function workloadOfPod(pod: V1Pod): WorkloadRef | null {
  const ns = pod.metadata?.namespace ?? '';
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return null;
  switch (owner.kind) {
    case 'ReplicaSet': {
      const hash = pod.metadata?.labels?.['pod-template-hash'];
      if (hash && owner.name.endsWith(`-${hash}`)) {
        return { kind: 'Deployment', namespace: ns, name: owner.name.slice(0, -(hash.length + 1)) };
      }
      return null;
    }
    case 'StatefulSet':
      return { kind: 'StatefulSet', namespace: ns, name: owner.name };
    case 'DaemonSet':
      return { kind: 'DaemonSet', namespace: ns, name: owner.name };
    default:
      return null;
  }
}

/**
 * What isLivePod and podSidecar read of a pod, on the JSON of a list's items (keepItems): metadata
 * without managedFields, the containers' names and images, the phase. A KWOK or real pod is several
 * KB, most of it the spec and managedFields.
 */
export function podFields(pod: RawItem): RawItem {
  const m = pod.metadata ?? {};
  const few = (cs: unknown) =>
    Array.isArray(cs)
      ? (cs as { name?: string; image?: string }[]).map((c) => ({ name: c.name, image: c.image }))
      : undefined;
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      labels: m.labels,
      annotations: m.annotations,
      ownerReferences: m.ownerReferences,
      deletionTimestamp: m.deletionTimestamp,
    },
    spec: { containers: few(pod.spec?.containers) ?? [], initContainers: few(pod.spec?.initContainers) },
    status: { phase: pod.status?.phase },
  };
}

export function podSidecar(pod: V1Pod): PodSidecar {
  const ann = pod.metadata?.annotations ?? {};
  const proxy =
    pod.spec?.containers?.find((c) => c.name === PROXY_CONTAINER) ??
    pod.spec?.initContainers?.find((c) => c.name === PROXY_CONTAINER);
  const fromStatus = statusRevision(ann[STATUS_ANNOTATION]);
  let revision: string | null = null;
  if (fromStatus !== undefined || proxy) {
    // injected: the status annotation's revision; `istio.io/rev` annotation (1.18+) as a fallback;
    // injected without any revision (before 1.11) means the default revision.
    revision = fromStatus ?? ann[REV_ANNOTATION] ?? 'default';
  }
  return {
    pod: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    workload: workloadOfPod(pod),
    revision,
    proxyVersion: proxy ? versionFromImage(ann[PROXY_IMAGE_ANNOTATION] ?? proxy.image) : null,
  };
}

export interface RevisionCheck {
  /** Pods with a sidecar of another revision. */
  wrong: PodSidecar[];
  /** Pods without a sidecar (opted out, or injection did not happen). */
  uninjected: PodSidecar[];
  checked: number;
}

export function checkRevision(sidecars: PodSidecar[], revision: string): RevisionCheck {
  const wrong: PodSidecar[] = [];
  const uninjected: PodSidecar[] = [];
  for (const s of sidecars) {
    if (s.revision === null) uninjected.push(s);
    else if (s.revision !== revision) wrong.push(s);
  }
  return { wrong, uninjected, checked: sidecars.length };
}
