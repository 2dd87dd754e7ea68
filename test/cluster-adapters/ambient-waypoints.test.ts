// The waypoint read model of the ambient adapter (src/cluster/ambient/waypoints.ts): the Deployment
// istiod renders for a Gateway of class istio-waypoint (named like the Gateway), the revision the tag
// watcher gives it, the revision and rollout of its Deployment. The list itself runs on the real test
// cluster in test/cluster-adapters/ambient.test.ts.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toWaypoint, waypointDeploymentName } from '../../src/cluster/ambient/waypoints.js';
import type { GatewayObj } from '../../src/cluster/gateway-api/kube.js';

const gw = (
  o: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): GatewayObj => ({
  metadata: { name: 'waypoint', namespace: 'shop', ...o },
  spec: { gatewayClassName: 'istio-waypoint' },
});
const dep = (rev: string, done = true): V1Deployment => ({
  metadata: { name: 'waypoint', namespace: 'shop', generation: 2 },
  spec: { replicas: 1, selector: {}, template: { metadata: { annotations: { 'istio.io/rev': rev } } } },
  status: done
    ? { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }
    : { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
});
const mesh = {
  controlPlanes: [{ revision: '1-25-3' }, { revision: '1-26-1' }],
  tags: [
    { tag: 'default', revision: '1-26-1' },
    { tag: 'prod', revision: '1-25-3' },
  ],
};

describe('waypoints', () => {
  it('its Deployment is named like the Gateway (no class suffix), or by its name-override', () => {
    expect(waypointDeploymentName(gw())).toBe('waypoint');
    expect(waypointDeploymentName(gw({ annotations: { 'gateway.istio.io/name-override': 'wp-shop' } }))).toBe(
      'wp-shop',
    );
  });

  it.each([
    [
      'following the default tag, rendered and rolled out',
      gw(),
      new Map(),
      dep('1-26-1'),
      '1-26-1',
      '1-26-1',
      true,
    ],
    [
      'its label names a tag',
      gw({ labels: { 'istio.io/rev': 'prod' } }),
      new Map(),
      dep('1-26-1', false),
      '1-25-3',
      '1-26-1',
      false,
    ],
    [
      'its namespace label names a revision',
      gw(),
      new Map([['shop', '1-25-3']]),
      dep('1-25-3'),
      '1-25-3',
      '1-25-3',
      true,
    ],
    [
      'a tag nobody has: no istiod claims it; not rendered',
      gw({ labels: { 'istio.io/rev': 'gone' } }),
      new Map(),
      undefined,
      null,
      null,
      false,
    ],
  ])('%s', (_w, g, ns, d, servedBy, renderedBy, ready) => {
    const deployments = new Map(d ? [['shop/waypoint', d]] : []);
    expect(toWaypoint(g, ns, deployments, mesh)).toMatchObject({
      namespace: 'shop',
      name: 'waypoint',
      deployment: 'waypoint',
      managed: true,
      servedBy,
      renderedBy,
      ready,
    });
  });
});
