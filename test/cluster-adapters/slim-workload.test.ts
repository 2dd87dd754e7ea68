// A wave keeps only what the restart and the rollout wait read of each listed workload (issue 15: the
// worker's peak RSS): the same rollout answer, the same restartedAt stamp, a fraction of the object.
import { describe, expect, it } from 'vitest';
import { isOnDelete, rolloutStatus } from '../../src/cluster/kube/rollout-status.js';
import { asAny, RESTARTED_AT, slimWorkload, type WorkloadObject } from '../../src/cluster/kube/workloads.js';
import type { WorkloadKind } from '../../src/engine/ports.js';

/** A listed object as the apiserver returns it: managedFields, a pod template with containers. */
function listed(
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  stamp?: string,
): WorkloadObject {
  return {
    metadata: {
      name: 'cart',
      namespace: 'shop',
      generation: 3,
      resourceVersion: '4711',
      labels: { app: 'cart' },
      managedFields: Array.from({ length: 3 }, (_, i) => ({
        manager: `manager-${i}`,
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': {} } } } },
        },
      })),
    },
    spec: {
      selector: { matchLabels: { app: 'cart' } },
      ...spec,
      template: {
        metadata: { labels: { app: 'cart' }, ...(stamp ? { annotations: { [RESTARTED_AT]: stamp } } : {}) },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/cart:1.2.3',
              env: Array.from({ length: 20 }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}` })),
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
    status,
  } as WorkloadObject;
}

const CASES: [string, WorkloadKind, WorkloadObject][] = [
  [
    'Deployment rolling out',
    'Deployment',
    listed({ replicas: 3 }, { observedGeneration: 3, updatedReplicas: 1, replicas: 3 }, 'up-1/wave-1'),
  ],
  [
    'Deployment done',
    'Deployment',
    listed(
      { replicas: 2 },
      { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 },
      'up-1/wave-1',
    ),
  ],
  [
    'Deployment past its deadline',
    'Deployment',
    listed(
      { replicas: 2 },
      {
        observedGeneration: 3,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    ),
  ],
  ['Deployment not observed', 'Deployment', listed({ replicas: 2 }, { observedGeneration: 2 })],
  [
    'StatefulSet with a partition',
    'StatefulSet',
    listed(
      { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } },
      {
        observedGeneration: 3,
        replicas: 3,
        readyReplicas: 3,
        updatedReplicas: 2,
        currentRevision: 'a',
        updateRevision: 'b',
      },
    ),
  ],
  [
    'StatefulSet OnDelete',
    'StatefulSet',
    listed(
      { replicas: 2, updateStrategy: { type: 'OnDelete' } },
      { observedGeneration: 3, replicas: 2, readyReplicas: 2, updatedReplicas: 1 },
      'up-1/wave-2',
    ),
  ],
  [
    'DaemonSet rolling out',
    'DaemonSet',
    listed(
      { updateStrategy: { type: 'RollingUpdate' } },
      { observedGeneration: 3, desiredNumberScheduled: 4, updatedNumberScheduled: 2, numberAvailable: 4 },
    ),
  ],
];

describe('slimWorkload', () => {
  it.each(CASES)('%s: the same rollout status, OnDelete and stamp', (_name, kind, obj) => {
    const slim = slimWorkload(obj);
    expect(rolloutStatus(asAny(kind, slim))).toEqual(rolloutStatus(asAny(kind, obj)));
    expect(isOnDelete(asAny(kind, slim))).toBe(isOnDelete(asAny(kind, obj)));
    expect(slim.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBe(
      obj.spec?.template?.metadata?.annotations?.[RESTARTED_AT],
    );
    expect(slim.metadata).toEqual({
      name: 'cart',
      namespace: 'shop',
      generation: 3,
      resourceVersion: '4711',
    });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(obj).length / 3);
  });
});
