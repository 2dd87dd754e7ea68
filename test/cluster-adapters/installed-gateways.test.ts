// The pure parts of the install-owned gateway adapter: who owns an object, what a snapshot keeps, and
// the merge patch that gives an object back its old labels (so the canary's uninstall no longer owns it).
import { describe, expect, it } from 'vitest';
import { keep, metadataPatch, ownerRevision } from '../../src/cluster/installed-gateways/kube.js';

const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: {
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
    labels,
    annotations: { a: '1' },
    resourceVersion: '42',
    uid: 'u',
    managedFields: [],
  },
  spec: { replicas: 2 },
  status: { availableReplicas: 2 },
  ...extra,
});

describe('install-owned gateways', () => {
  it.each([
    [{ 'istio.io/rev': '1-25-3' }, '1-25-3'],
    [{ 'istio.io/rev': 'default' }, 'default'],
    [{}, 'default'],
  ])('labels %j → owned by %s', (labels, rev) => {
    expect(ownerRevision(obj(labels))).toBe(rev);
  });
  it('a snapshot keeps names, labels, annotations and spec (or rules, subjects), not what the apiserver owns', () => {
    const k = keep(
      'Role',
      'rbac.authorization.k8s.io/v1',
      obj({ 'istio.io/rev': 'x' }, { rules: [{ verbs: ['get'] }] }),
    );
    expect(k).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: {
        name: 'istio-ingressgateway',
        namespace: 'istio-system',
        labels: { 'istio.io/rev': 'x' },
        annotations: { a: '1' },
      },
      spec: { replicas: 2 },
      rules: [{ verbs: ['get'] }],
    });
  });
  it('the metadata patch sets the old values and removes the keys the canary added', () => {
    const cur = obj({
      'istio.io/rev': '1-31-dev',
      'operator.istio.io/component': 'IngressGateways',
      added: 'y',
    });
    const want = obj({ 'istio.io/rev': '1-25-3', 'operator.istio.io/component': 'IngressGateways' });
    expect(metadataPatch(cur, want)).toEqual({
      metadata: {
        labels: { 'istio.io/rev': '1-25-3', 'operator.istio.io/component': 'IngressGateways', added: null },
        annotations: { a: '1' },
      },
    });
  });
});
