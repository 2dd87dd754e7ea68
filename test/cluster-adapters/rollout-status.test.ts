// kubectl rollout status, case by case (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go).
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  daemonSetStatus,
  deploymentStatus,
  onDeleteStatus,
  rolloutStatus,
  statefulSetStatus,
} from '../../src/cluster/kube/rollout-status.js';

const dep = (gen: number, spec: { replicas?: number }, status: V1Deployment['status']): V1Deployment => ({
  metadata: { name: 'cart', generation: gen },
  spec: spec as V1Deployment['spec'],
  status,
});

describe('Deployment', () => {
  it.each([
    [
      'spec not observed yet',
      dep(2, { replicas: 2 }, { observedGeneration: 1 }),
      false,
      'Waiting for deployment spec update to be observed...',
    ],
    [
      'updated < replicas',
      dep(2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 }),
      false,
      'Waiting for deployment "cart" rollout to finish: 1 out of 3 new replicas have been updated...',
    ],
    [
      'old replicas pending termination',
      dep(2, { replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, replicas: 3 }),
      false,
      'Waiting for deployment "cart" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      'updated not yet available',
      dep(
        2,
        { replicas: 2 },
        { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 },
      ),
      false,
      'Waiting for deployment "cart" rollout to finish: 1 of 2 updated replicas are available...',
    ],
    [
      'done',
      dep(
        2,
        { replicas: 2 },
        { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 },
      ),
      true,
      'deployment "cart" successfully rolled out',
    ],
    [
      'observed newer than generation is fine',
      dep(
        2,
        { replicas: 1 },
        { observedGeneration: 3, updatedReplicas: 1, replicas: 1, availableReplicas: 1 },
      ),
      true,
      'deployment "cart" successfully rolled out',
    ],
    [
      'scaled to zero',
      dep(2, { replicas: 0 }, { observedGeneration: 2 }),
      true,
      'deployment "cart" successfully rolled out',
    ],
    [
      'no status at all',
      dep(1, { replicas: 1 }, undefined),
      false,
      'Waiting for deployment spec update to be observed...',
    ],
  ])('%s', (_n, d, done, message) => {
    const s = deploymentStatus(d);
    expect(s).toEqual({ done, message });
  });

  it('ProgressDeadlineExceeded is an error, checked before the counts', () => {
    const s = deploymentStatus(
      dep(
        2,
        { replicas: 2 },
        {
          observedGeneration: 2,
          updatedReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        },
      ),
    );
    expect(s.done).toBe(false);
    expect(s.error).toBe('deployment "cart" exceeded its progress deadline');
  });

  it('ProgressDeadlineExceeded of an older generation is not judged yet', () => {
    const s = deploymentStatus(
      dep(
        3,
        { replicas: 2 },
        {
          observedGeneration: 2,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        },
      ),
    );
    expect(s.error).toBeUndefined();
  });
});

const ds = (gen: number, type: string, status: V1DaemonSet['status']): V1DaemonSet => ({
  metadata: { name: 'agent', generation: gen },
  spec: { updateStrategy: { type } } as V1DaemonSet['spec'],
  status,
});
const dsStatus = (o: Partial<NonNullable<V1DaemonSet['status']>>) =>
  ({
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    desiredNumberScheduled: 0,
    ...o,
  }) as V1DaemonSet['status'];

describe('DaemonSet', () => {
  it.each([
    [
      'not observed',
      ds(2, 'RollingUpdate', dsStatus({ observedGeneration: 1 })),
      false,
      'Waiting for daemon set spec update to be observed...',
    ],
    [
      'updating',
      ds(
        2,
        'RollingUpdate',
        dsStatus({ observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 1 }),
      ),
      false,
      'Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...',
    ],
    [
      'not available',
      ds(
        2,
        'RollingUpdate',
        dsStatus({
          observedGeneration: 2,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 1,
        }),
      ),
      false,
      'Waiting for daemon set "agent" rollout to finish: 1 of 2 updated pods are available...',
    ],
    [
      'done',
      ds(
        2,
        'RollingUpdate',
        dsStatus({
          observedGeneration: 2,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 2,
        }),
      ),
      true,
      'daemon set "agent" successfully rolled out',
    ],
  ])('%s', (_n, d, done, message) => {
    expect(daemonSetStatus(d)).toEqual({ done, message });
  });

  it('OnDelete: kubectl refuses; the wave waits for pods replaced by hand', () => {
    const d = ds(
      2,
      'OnDelete',
      dsStatus({
        observedGeneration: 2,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 1,
        numberAvailable: 2,
      }),
    );
    expect(daemonSetStatus(d).error).toBe('rollout status is only available for RollingUpdate strategy type');
    expect(rolloutStatus({ kind: 'DaemonSet', obj: d })).toMatchObject({ done: false });
    const replaced = ds(
      2,
      'OnDelete',
      dsStatus({
        observedGeneration: 2,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: 2,
      }),
    );
    expect(rolloutStatus({ kind: 'DaemonSet', obj: replaced })).toMatchObject({ done: true });
  });
});

const sts = (
  gen: number,
  spec: { replicas?: number; updateStrategy?: object },
  status: Partial<NonNullable<V1StatefulSet['status']>> | undefined,
): V1StatefulSet => ({
  metadata: { name: 'db', generation: gen },
  spec: { selector: {}, serviceName: 'db', template: {}, ...spec } as V1StatefulSet['spec'],
  status: status as V1StatefulSet['status'],
});
const RU = { type: 'RollingUpdate' };
const RU_P = (partition: number) => ({ type: 'RollingUpdate', rollingUpdate: { partition } });

describe('StatefulSet', () => {
  it.each([
    [
      'observedGeneration 0',
      sts(1, { replicas: 1, updateStrategy: RU }, { observedGeneration: 0 }),
      false,
      'Waiting for statefulset spec update to be observed...',
    ],
    [
      'not observed',
      sts(3, { replicas: 1, updateStrategy: RU }, { observedGeneration: 2 }),
      false,
      'Waiting for statefulset spec update to be observed...',
    ],
    [
      'not ready',
      sts(2, { replicas: 3, updateStrategy: RU }, { observedGeneration: 2, readyReplicas: 1 }),
      false,
      'Waiting for 2 pods to be ready...',
    ],
    [
      'revisions differ',
      sts(
        2,
        { replicas: 2, updateStrategy: RU },
        {
          observedGeneration: 2,
          readyReplicas: 2,
          updatedReplicas: 1,
          updateRevision: 'db-2',
          currentRevision: 'db-1',
        },
      ),
      false,
      'waiting for statefulset rolling update to complete 1 pods at revision db-2...',
    ],
    [
      'done',
      sts(
        2,
        { replicas: 2, updateStrategy: RU },
        {
          observedGeneration: 2,
          readyReplicas: 2,
          currentReplicas: 2,
          updateRevision: 'db-2',
          currentRevision: 'db-2',
        },
      ),
      true,
      'statefulset rolling update complete 2 pods at revision db-2...',
    ],
    [
      'partition: waiting',
      sts(
        2,
        { replicas: 4, updateStrategy: RU_P(2) },
        { observedGeneration: 2, readyReplicas: 4, updatedReplicas: 1 },
      ),
      false,
      'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    ],
    [
      'partition: done',
      sts(
        2,
        { replicas: 4, updateStrategy: RU_P(2) },
        { observedGeneration: 2, readyReplicas: 4, updatedReplicas: 2 },
      ),
      true,
      'partitioned roll out complete: 2 new pods have been updated...',
    ],
    [
      'partition 0 (API default): all updated',
      sts(
        2,
        { replicas: 2, updateStrategy: RU_P(0) },
        { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2 },
      ),
      true,
      'partitioned roll out complete: 2 new pods have been updated...',
    ],
    [
      'partition 0: waiting',
      sts(
        2,
        { replicas: 2, updateStrategy: RU_P(0) },
        { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1 },
      ),
      false,
      'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    ],
  ])('%s', (_n, s, done, message) => {
    expect(statefulSetStatus(s)).toEqual({ done, message });
  });

  it('OnDelete', () => {
    const s = sts(
      2,
      { replicas: 2, updateStrategy: { type: 'OnDelete' } },
      { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1 },
    );
    expect(statefulSetStatus(s).error).toBe(
      'rollout status is only available for RollingUpdate strategy type',
    );
    expect(onDeleteStatus(s, 'StatefulSet')).toMatchObject({ done: false });
    expect(rolloutStatus({ kind: 'StatefulSet', obj: s }).message).toContain('delete the old pods');
  });
});
