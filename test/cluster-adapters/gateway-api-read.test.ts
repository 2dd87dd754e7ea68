// The Gateway API adapter's pure reads (src/cluster/gateway-api/kube.ts): which Gateways istiod
// deploys (IsManaged), the Deployment name it gives them, and the revision that rendered it.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  deploymentName,
  type GatewayObj,
  isManaged,
  renderedBy,
  toGateway,
} from '../../src/cluster/gateway-api/kube.js';

const gw = (p: GatewayObj = {}): GatewayObj => ({
  metadata: { name: 'web', namespace: 'ingress', ...p.metadata },
  spec: { gatewayClassName: 'istio', ...p.spec },
});

describe('isManaged (istiod deploys the Gateway)', () => {
  it.each([
    ['no address', gw(), true],
    ['one address without type (IPAddress)', gw({ spec: { addresses: [{ value: '10.0.0.1' }] } }), true],
    ['one IPAddress', gw({ spec: { addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] } }), true],
    [
      'a Hostname address: points at an existing deployment',
      gw({ spec: { addresses: [{ type: 'Hostname', value: 'x' }] } }),
      false,
    ],
    ['two addresses', gw({ spec: { addresses: [{ value: 'a' }, { value: 'b' }] } }), false],
  ])('%s → %s', (_w, g, want) => {
    expect(isManaged(g)).toBe(want);
  });
});

describe('deploymentName', () => {
  it('is <name>-<class>, or the gateway.istio.io/name-override annotation', () => {
    expect(deploymentName(gw())).toBe('web-istio');
    expect(
      deploymentName(gw({ metadata: { annotations: { 'gateway.istio.io/name-override': 'edge' } } })),
    ).toBe('edge');
  });
});

describe('toGateway', () => {
  const dep = (rev?: string): V1Deployment => ({
    metadata: { name: 'web-istio', namespace: 'ingress' },
    spec: {
      selector: {},
      template: { metadata: rev ? { annotations: { 'istio.io/rev': rev } } : {} },
    },
  });

  it('reads its label, its namespace label and the revision that rendered its Deployment', () => {
    const g = toGateway(
      gw({ metadata: { labels: { 'istio.io/rev': 'prod-stable' } } }),
      new Map([['ingress', '1-25-3']]),
      new Map([['ingress/web-istio', dep('1-25-3')]]),
    );
    expect(g).toEqual({
      namespace: 'ingress',
      name: 'web',
      revLabel: 'prod-stable',
      namespaceRev: '1-25-3',
      managed: true,
      deployment: 'web-istio',
      renderedBy: '1-25-3',
    });
  });

  it('a custom class with istiod’s controller name: its class is kept, its Deployment is <name>-<class>', () => {
    const g = toGateway(
      gw({ spec: { gatewayClassName: 'edge' } }),
      new Map(),
      new Map([
        ['ingress/web-edge', { ...dep('1-25-3'), metadata: { name: 'web-edge', namespace: 'ingress' } }],
      ]),
    );
    expect(g).toMatchObject({ className: 'edge', deployment: 'web-edge', renderedBy: '1-25-3' });
    expect(toGateway(gw(), new Map(), new Map())).not.toHaveProperty('className');
  });

  it('no Deployment yet, or one without the annotation: rendered by nobody', () => {
    expect(toGateway(gw(), new Map(), new Map()).renderedBy).toBeNull();
    expect(renderedBy(dep())).toBeNull();
    expect(toGateway(gw(), new Map(), new Map()).namespaceRev).toBeNull();
  });
});
