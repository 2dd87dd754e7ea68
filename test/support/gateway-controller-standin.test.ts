// The gateway deployment controller stand-in claims and renders as istiod's source says (1.25.3 and
// 1.31-dev): who claims a Gateway (tag_watcher IsMine) and what its Deployment carries.
import { describe, expect, it } from 'vitest';
import { type ClaimView, isMine, render, type StandinGateway } from './gateway-controller-standin-render.js';

const gw = (labels?: Record<string, string>, namespace = 'ingress'): StandinGateway => ({
  metadata: { name: 'web', namespace, uid: 'u1', ...(labels ? { labels } : {}) },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
});

const view = (p: Partial<ClaimView> = {}): ClaimView => ({
  tags: [{ tag: 'default', revision: '1-25-3', from: 'webhook' }],
  defaultValidator: null,
  namespaceRev: new Map([
    ['ingress', null],
    ['apps', 'prod'],
  ]),
  ...p,
});

describe('isMine (tag_watcher)', () => {
  it.each([
    ['no label: the revision with the default tag', gw(), '1-25-3', '1.25.3', view(), true],
    ['no label: not the other revision', gw(), '1-31-dev', '1.31-dev', view(), false],
    [
      'its label names the revision',
      gw({ 'istio.io/rev': '1-31-dev' }),
      '1-31-dev',
      '1.31-dev',
      view(),
      true,
    ],
    [
      'its label wins over the default tag',
      gw({ 'istio.io/rev': '1-31-dev' }),
      '1-25-3',
      '1.25.3',
      view(),
      false,
    ],
    [
      'its label names a tag of the revision',
      gw({ 'istio.io/rev': 'prod' }),
      '1-25-3',
      '1.25.3',
      view({ tags: [{ tag: 'prod', revision: '1-25-3', from: 'webhook' }] }),
      true,
    ],
    [
      'its namespace label, when it has none',
      gw(undefined, 'apps'),
      '1-25-3',
      '1.25.3',
      view({ tags: [{ tag: 'prod', revision: '1-25-3', from: 'webhook' }] }),
      true,
    ],
    [
      'a namespace that does not exist (yet): every istiod claims it',
      gw(undefined, 'gone'),
      '1-31-dev',
      '1.31-dev',
      view(),
      true,
    ],
    [
      '1.25: a tag Service alone is no tag',
      gw({ 'istio.io/rev': 'prod' }),
      '1-25-3',
      '1.25.3',
      view({ tags: [{ tag: 'prod', revision: '1-25-3', from: 'service' }] }),
      false,
    ],
    [
      '1.31: a tag Service is a tag',
      gw({ 'istio.io/rev': 'prod' }),
      '1-31-dev',
      '1.31-dev',
      view({ tags: [{ tag: 'prod', revision: '1-31-dev', from: 'service' }] }),
      true,
    ],
    [
      '1.31: the default validator names the default revision when no default tag exists',
      gw(),
      '1-31-dev',
      '1.31-dev',
      view({ tags: [], defaultValidator: '1-31-dev' }),
      true,
    ],
    [
      '1.31: the default tag wins over the default validator',
      gw(),
      '1-31-dev',
      '1.31-dev',
      view({ defaultValidator: '1-31-dev' }),
      false,
    ],
    [
      '1.25: no default validator rule',
      gw(),
      '1-25-3',
      '1.25.3',
      view({ tags: [], defaultValidator: '1-25-3' }),
      false,
    ],
  ])('%s', (_w, g, rev, version, v, want) => {
    expect(isMine(g, rev, version, v)).toBe(want);
  });
});

describe('render (kube-gateway.yaml)', () => {
  it('a Deployment <name>-istio annotated with the rendering revision, its proxy image, the Gateway labels copied', () => {
    const { deployment, service, serviceAccount } = render(
      gw({ 'istio.io/rev': 'prod' }),
      '1-31-dev',
      '1.31-dev',
      'docker.io/istio/proxyv2:1.31-dev',
    );
    expect(deployment.metadata.name).toBe('web-istio');
    expect(deployment.metadata.labels).toMatchObject({
      'istio.io/rev': 'prod',
      'gateway.networking.k8s.io/gateway-name': 'web',
      'gateway.networking.k8s.io/gateway-class-name': 'istio',
      'gateway.istio.io/managed': 'istio.io-gateway-controller',
    });
    expect(deployment.spec.template.metadata.annotations['istio.io/rev']).toBe('1-31-dev');
    expect(deployment.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('docker.io/istio/proxyv2:1.31-dev');
    expect(deployment.spec.selector.matchLabels).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'web' });
    expect(service.spec.ports.map((p) => p.port)).toEqual([15021, 80]);
    expect(serviceAccount.metadata.name).toBe('web-istio');
  });

  it('1.25 owns it as v1beta1 and has no gateway-class-name label', () => {
    const { deployment } = render(gw(), '1-25-3', '1.25.3', 'docker.io/istio/proxyv2:1.25.3');
    expect(deployment.metadata.ownerReferences[0]?.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(deployment.metadata.labels).not.toHaveProperty('gateway.networking.k8s.io/gateway-class-name');
  });
});

describe('render (waypoint.yaml, class istio-waypoint)', () => {
  const waypoint = (labels?: Record<string, string>): StandinGateway => ({
    metadata: { name: 'waypoint', namespace: 'shop', uid: 'u2', ...(labels ? { labels } : {}) },
    spec: {
      gatewayClassName: 'istio-waypoint',
      listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
    },
  });

  it('a Deployment named like the Gateway, of the mesh controller, running `proxy waypoint` outside the mesh', () => {
    for (const [rev, version] of [
      ['1-25-3', '1.25.3'],
      ['1-31-dev', '1.31-dev'],
    ] as const) {
      const { deployment, service, serviceAccount } = render(
        waypoint(),
        rev,
        version,
        `docker.io/istio/proxyv2:${version}`,
      );
      expect(deployment.metadata.name).toBe('waypoint');
      expect(deployment.metadata.labels).toMatchObject({
        'gateway.networking.k8s.io/gateway-name': 'waypoint',
        'gateway.istio.io/managed': 'istio.io-mesh-controller',
      });
      // 1.25.3's waypoint.yaml: no class label, owned as v1beta1; 1.31: both changed
      const modern = version === '1.31-dev';
      expect(deployment.metadata.labels['gateway.networking.k8s.io/gateway-class-name']).toBe(
        modern ? 'istio-waypoint' : undefined,
      );
      expect(deployment.metadata.ownerReferences[0]?.apiVersion).toBe(
        `gateway.networking.k8s.io/${modern ? 'v1' : 'v1beta1'}`,
      );
      const t = deployment.spec.template;
      expect(t.metadata.annotations['istio.io/rev']).toBe(rev);
      expect(t.metadata.labels).toMatchObject({
        'sidecar.istio.io/inject': 'false',
        'istio.io/dataplane-mode': 'none',
        'gateway.istio.io/managed': 'istio.io-mesh-controller',
      });
      expect(t.spec.containers[0]?.args.slice(0, 2)).toEqual(['proxy', 'waypoint']);
      expect([service.metadata.name, service.spec.type]).toEqual(['waypoint', 'ClusterIP']);
      expect(service.spec.ports.map((p) => [p.port, p.appProtocol])).toEqual([
        [15021, 'tcp'],
        [15008, 'hbone'],
      ]);
      expect(serviceAccount.metadata.name).toBe('waypoint');
      // the controller labels every object it applies as its own (canManage reads it back)
      expect(service.metadata.labels['gateway.istio.io/managed']).toBe('istio.io-mesh-controller');
      expect(serviceAccount.metadata.labels['gateway.istio.io/managed']).toBe('istio.io-mesh-controller');
    }
  });

  it('claimed by the same tag-watcher rule as class istio: following the default tag', () => {
    const ns = new Map([['shop', null]]);
    const v = view({ namespaceRev: ns });
    expect(isMine(waypoint(), '1-25-3', '1.25.3', v)).toBe(true);
    expect(isMine(waypoint(), '1-31-dev', '1.31-dev', v)).toBe(false);
    const moved = view({
      namespaceRev: ns,
      tags: [{ tag: 'default', revision: '1-31-dev', from: 'webhook' }],
    });
    expect(isMine(waypoint(), '1-31-dev', '1.31-dev', moved)).toBe(true);
    expect(isMine(waypoint(), '1-25-3', '1.25.3', moved)).toBe(false);
  });
});
