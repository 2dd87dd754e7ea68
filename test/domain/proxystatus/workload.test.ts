import { describe, expect, it } from 'vitest';
import { revisionOf, splitProxyId, workloadOf } from '../../../src/domain/proxystatus/index.js';

describe('workloadOf: the owning workload from a pod name', () => {
  it.each([
    ['reviews-v1-7f99cc4496-rtsqn', 'reviews-v1', 'Deployment'],
    ['istio-ingressgateway-66c994c45c-cmb7x', 'istio-ingressgateway', 'Deployment'],
    ['prometheus-8d4666f69-5qtrc', 'prometheus', 'Deployment, 9-char hash'],
    ['old-app-1234567890-x7k2p', 'old-app', 'Deployment, numeric hash (old Kubernetes)'],
    ['redis-0', 'redis', 'StatefulSet'],
    ['kafka-broker-12', 'kafka-broker', 'StatefulSet, two digits'],
    ['ztunnel-4vq5l', 'ztunnel', 'DaemonSet'],
    ['node-exporter-x7k2p', 'node-exporter', 'DaemonSet with a dash in its name'],
    ['debug-shell', 'debug-shell', 'bare pod'],
    ['my.pod-with.dots', 'my.pod-with.dots', 'bare pod with dots'],
    ['web-007', 'web-007', 'leading zero is not an ordinal'],
    ['cronjob-abcde', 'cronjob-abcde', 'vowels are never in generated suffixes'],
  ])('%s → %s (%s)', (pod, workload) => {
    expect(workloadOf(pod)).toBe(workload);
  });
});

describe('revisionOf: the revision from the istiod pod name', () => {
  it.each([
    ['istiod-1-24-2-7f6fc6cfd6-s8zfg', '1-24-2'],
    ['istiod-85745c747b-knlwb', 'default'],
    ['istiod-canary-6b8f9c7d5f-x2z4q', 'canary'],
    ['istiod-istio-1611-575fbf664b-qd7q2', 'istio-1611'],
    ['istio-pilot-75bdf98789-tfdvh', 'default'],
    [null, 'unknown'],
    ['', 'unknown'],
  ])('%s → %s', (istiod, revision) => {
    expect(revisionOf(istiod)).toBe(revision);
  });
});

describe('splitProxyId', () => {
  it('splits at the last dot: pod names may contain dots, namespaces cannot', () => {
    expect(splitProxyId('a.b.c')).toEqual({ pod: 'a.b', namespace: 'c' });
    expect(splitProxyId('nodot')).toBeNull();
    expect(splitProxyId('trailing.')).toBeNull();
    expect(splitProxyId('.leading')).toBeNull();
  });
});
