/**
 * When is a rollout done? Exactly as `kubectl rollout status` decides
 * (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go), as pure predicates with the same
 * messages. One documented difference: kubectl refuses OnDelete StatefulSets/DaemonSets ("rollout
 * status is only available for RollingUpdate strategy type"); `onDeleteStatus` instead waits until a
 * person has replaced every pod (updated == desired and ready), which restart.ts asks them to do.
 */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

export interface RolloutStatus {
  done: boolean;
  message: string;
  /** kubectl returns an error: ProgressDeadlineExceeded, or a strategy it cannot follow. */
  error?: string;
}

const num = (v: number | undefined | null) => v ?? 0;

export function deploymentStatus(d: V1Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const gen = num(d.metadata?.generation);
  const st = d.status ?? {};
  if (gen <= num(st.observedGeneration)) {
    const cond = st.conditions?.find((c) => c.type === 'Progressing');
    if (cond && cond.reason === 'ProgressDeadlineExceeded') {
      return { done: false, message: '', error: `deployment "${name}" exceeded its progress deadline` };
    }
    const replicas = d.spec?.replicas;
    if (replicas !== undefined && num(st.updatedReplicas) < replicas) {
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${num(st.updatedReplicas)} out of ${replicas} new replicas have been updated...`,
      };
    }
    if (num(st.replicas) > num(st.updatedReplicas)) {
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${num(st.replicas) - num(st.updatedReplicas)} old replicas are pending termination...`,
      };
    }
    if (num(st.availableReplicas) < num(st.updatedReplicas)) {
      return {
        done: false,
        message: `Waiting for deployment "${name}" rollout to finish: ${num(st.availableReplicas)} of ${num(st.updatedReplicas)} updated replicas are available...`,
      };
    }
    return { done: true, message: `deployment "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for deployment spec update to be observed...' };
}

export function daemonSetStatus(ds: V1DaemonSet): RolloutStatus {
  const name = ds.metadata?.name ?? '';
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return {
      done: true,
      message: '',
      error: 'rollout status is only available for RollingUpdate strategy type',
    };
  }
  const st = ds.status;
  if (num(ds.metadata?.generation) <= num(st?.observedGeneration)) {
    if (num(st?.updatedNumberScheduled) < num(st?.desiredNumberScheduled)) {
      return {
        done: false,
        message: `Waiting for daemon set "${name}" rollout to finish: ${num(st?.updatedNumberScheduled)} out of ${num(st?.desiredNumberScheduled)} new pods have been updated...`,
      };
    }
    if (num(st?.numberAvailable) < num(st?.desiredNumberScheduled)) {
      return {
        done: false,
        message: `Waiting for daemon set "${name}" rollout to finish: ${num(st?.numberAvailable)} of ${num(st?.desiredNumberScheduled)} updated pods are available...`,
      };
    }
    return { done: true, message: `daemon set "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
}

export function statefulSetStatus(sts: V1StatefulSet): RolloutStatus {
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return {
      done: true,
      message: '',
      error: 'rollout status is only available for RollingUpdate strategy type',
    };
  }
  const st = sts.status;
  const observed = num(st?.observedGeneration);
  if (observed === 0 || num(sts.metadata?.generation) > observed) {
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = sts.spec?.replicas;
  if (replicas !== undefined && num(st?.readyReplicas) < replicas) {
    return { done: false, message: `Waiting for ${replicas - num(st?.readyReplicas)} pods to be ready...` };
  }
  if (strategy?.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (
      replicas !== undefined &&
      partition !== undefined &&
      num(st?.updatedReplicas) < replicas - partition
    ) {
      return {
        done: false,
        message: `Waiting for partitioned roll out to finish: ${num(st?.updatedReplicas)} out of ${replicas - partition} new pods have been updated...`,
      };
    }
    return {
      done: true,
      message: `partitioned roll out complete: ${num(st?.updatedReplicas)} new pods have been updated...`,
    };
  }
  if (st?.updateRevision !== st?.currentRevision) {
    return {
      done: false,
      message: `waiting for statefulset rolling update to complete ${num(st?.updatedReplicas)} pods at revision ${st?.updateRevision}...`,
    };
  }
  return {
    done: true,
    message: `statefulset rolling update complete ${num(st?.currentReplicas)} pods at revision ${st?.currentRevision}...`,
  };
}

/** OnDelete StatefulSet/DaemonSet: done once every pod runs the current template and is ready. */
export function onDeleteStatus(
  obj: V1StatefulSet | V1DaemonSet,
  kind: 'StatefulSet' | 'DaemonSet',
): RolloutStatus {
  const name = obj.metadata?.name ?? '';
  const observed = num(obj.status?.observedGeneration);
  if (observed === 0 || num(obj.metadata?.generation) > observed) {
    return { done: false, message: `Waiting for ${kind.toLowerCase()} spec update to be observed...` };
  }
  if (kind === 'StatefulSet') {
    const s = obj as V1StatefulSet;
    const want = num(s.spec?.replicas ?? 1);
    if (num(s.status?.updatedReplicas) < want || num(s.status?.readyReplicas) < want) {
      return {
        done: false,
        message: `statefulset "${name}" uses OnDelete: ${num(s.status?.updatedReplicas)} of ${want} pods replaced; delete the old pods to replace them`,
      };
    }
  } else {
    const d = obj as V1DaemonSet;
    const want = num(d.status?.desiredNumberScheduled);
    if (num(d.status?.updatedNumberScheduled) < want || num(d.status?.numberAvailable) < want) {
      return {
        done: false,
        message: `daemon set "${name}" uses OnDelete: ${num(d.status?.updatedNumberScheduled)} of ${want} pods replaced; delete the old pods to replace them`,
      };
    }
  }
  return { done: true, message: `${kind.toLowerCase()} "${name}" pods all replaced` };
}

export type AnyWorkload =
  | { kind: 'Deployment'; obj: V1Deployment }
  | { kind: 'StatefulSet'; obj: V1StatefulSet }
  | { kind: 'DaemonSet'; obj: V1DaemonSet };

export function isOnDelete(w: AnyWorkload): boolean {
  return w.kind !== 'Deployment' && w.obj.spec?.updateStrategy?.type === 'OnDelete';
}

/** The status the wave waits on: kubectl's, except OnDelete (see the file comment). */
export function rolloutStatus(w: AnyWorkload): RolloutStatus {
  switch (w.kind) {
    case 'Deployment':
      return deploymentStatus(w.obj);
    case 'StatefulSet':
      return isOnDelete(w) ? onDeleteStatus(w.obj, 'StatefulSet') : statefulSetStatus(w.obj);
    case 'DaemonSet':
      return isOnDelete(w) ? onDeleteStatus(w.obj, 'DaemonSet') : daemonSetStatus(w.obj);
  }
}
