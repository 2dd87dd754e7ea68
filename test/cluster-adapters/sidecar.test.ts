// Pod → sidecar revision/version/workload, namespace label patches, gateway detection, and the tables
// the Kubernetes/syncz proxy-status sources synthesise (read back by the domain parser).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isInjectedGateway } from '../../src/cluster/kube/gateways.js';
import { labelPatch } from '../../src/cluster/kube/namespaces.js';
import { checkRevision, isLivePod, podSidecar } from '../../src/cluster/kube/sidecar.js';
import { placeholderIstiod, renderTable } from '../../src/cluster/proxy-status/render.js';
import { parseProxyStatus } from '../../src/domain/proxystatus/index.js';

const status = (rev?: string) =>
  JSON.stringify({
    initContainers: ['istio-init'],
    containers: ['istio-proxy'],
    volumes: [],
    imagePullSecrets: null,
    ...(rev ? { revision: rev } : {}),
  });

function pod(o: {
  ann?: Record<string, string>;
  labels?: Record<string, string>;
  containers?: { name: string; image?: string }[];
  init?: { name: string; image?: string; restartPolicy?: string }[];
  owner?: { kind: string; name: string };
  phase?: string;
  deleting?: boolean;
}): V1Pod {
  return {
    metadata: {
      name: 'cart-7f6fc6cfd6-s8zfg',
      namespace: 'shop',
      annotations: o.ann ?? {},
      labels: o.labels ?? {},
      ...(o.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: 'u', controller: true },
            ],
          }
        : {}),
      ...(o.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { containers: o.containers ?? [{ name: 'app', image: 'shop/cart:1' }], initContainers: o.init },
    status: { phase: o.phase ?? 'Running' },
  } as V1Pod;
}

const proxy = (tag: string) => ({ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${tag}` });

describe('podSidecar', () => {
  it.each([
    ['no sidecar', pod({}), null, null],
    [
      'classic sidecar',
      pod({
        ann: { 'sidecar.istio.io/status': status('1-25-3') },
        containers: [{ name: 'app' }, proxy('1.25.3')],
      }),
      '1-25-3',
      '1.25.3',
    ],
    [
      'native sidecar in initContainers',
      pod({
        ann: { 'sidecar.istio.io/status': status('1-27-2') },
        init: [{ ...proxy('1.27.2-distroless'), restartPolicy: 'Always' }],
      }),
      '1-27-2',
      '1.27.2',
    ],
    [
      'status without revision (before 1.11) is default',
      pod({ ann: { 'sidecar.istio.io/status': status() }, containers: [proxy('1.10.6')] }),
      'default',
      '1.10.6',
    ],
    [
      'istio.io/rev annotation as fallback',
      pod({
        ann: { 'sidecar.istio.io/status': status(), 'istio.io/rev': 'canary' },
        containers: [proxy('1.20.1')],
      }),
      'canary',
      '1.20.1',
    ],
    [
      'proxyImage override',
      pod({
        ann: {
          'sidecar.istio.io/status': status('r'),
          'sidecar.istio.io/proxyImage': 'my.reg/proxyv2:1.24.9',
        },
        containers: [proxy('1.24.2')],
      }),
      'r',
      '1.24.9',
    ],
    [
      'pod label istio.io/rev alone is user intent, not a sidecar',
      pod({ labels: { 'istio.io/rev': '1-25-3' } }),
      null,
      null,
    ],
  ])('%s', (_n, p, revision, proxyVersion) => {
    const s = podSidecar(p);
    expect(s.revision).toBe(revision);
    expect(s.proxyVersion).toBe(proxyVersion);
  });

  it.each([
    [
      { kind: 'ReplicaSet', name: 'cart-7f6fc6cfd6' },
      { 'pod-template-hash': '7f6fc6cfd6' },
      { kind: 'Deployment', namespace: 'shop', name: 'cart' },
    ],
    [{ kind: 'StatefulSet', name: 'db' }, {}, { kind: 'StatefulSet', namespace: 'shop', name: 'db' }],
    [{ kind: 'DaemonSet', name: 'agent' }, {}, { kind: 'DaemonSet', namespace: 'shop', name: 'agent' }],
    [{ kind: 'ReplicaSet', name: 'bare-rs' }, {}, null],
    [{ kind: 'Job', name: 'migrate' }, {}, null],
  ])('owner %j', (owner, labels, want) => {
    expect(podSidecar(pod({ owner, labels })).workload).toEqual(want);
  });

  it('Succeeded, Failed and terminating pods do not count', () => {
    expect(isLivePod(pod({ phase: 'Running' }))).toBe(true);
    expect(isLivePod(pod({ phase: 'Pending' }))).toBe(true);
    expect(isLivePod(pod({ phase: 'Succeeded' }))).toBe(false);
    expect(isLivePod(pod({ phase: 'Failed' }))).toBe(false);
    expect(isLivePod(pod({ deleting: true }))).toBe(false);
  });

  it('checkRevision separates wrong revisions from uninjected pods', () => {
    const s = (revision: string | null) => ({
      pod: 'p',
      namespace: 'n',
      workload: null,
      revision,
      proxyVersion: null,
    });
    const r = checkRevision([s('new'), s('old'), s(null)], 'new');
    expect(r.wrong.map((x) => x.revision)).toEqual(['old']);
    expect(r.uninjected).toHaveLength(1);
    expect(r.checked).toBe(3);
  });
});

describe('namespace label patches', () => {
  it.each([
    [{ revision: '1-26-1' }, { 'istio.io/rev': '1-26-1', 'istio-injection': null }],
    [{ tag: 'prod-canary' }, { 'istio.io/rev': 'prod-canary', 'istio-injection': null }],
    [{ injection: 'enabled' as const }, { 'istio-injection': 'enabled', 'istio.io/rev': null }],
  ])('%j', (target, patch) => {
    expect(labelPatch(target)).toEqual(patch);
  });
});

it('injected gateways are found by their injection template', () => {
  const d = (ann: Record<string, string>): V1Deployment => ({
    spec: { selector: {}, template: { metadata: { annotations: ann } } },
  });
  expect(isInjectedGateway(d({ 'inject.istio.io/templates': 'gateway' }))).toBe(true);
  expect(isInjectedGateway(d({ 'inject.istio.io/templates': 'sidecar, gateway' }))).toBe(true);
  expect(isInjectedGateway(d({}))).toBe(false);
});

describe('synthesised proxy-status tables parse back', () => {
  it('without sync state (Kubernetes source)', () => {
    const text = renderTable(
      [
        {
          name: 'cart-7f6fc6cfd6-s8zfg.shop',
          cluster: 'Kubernetes',
          istiod: 'istiod-1-26-1-5d8c9b7f4-xk2lp',
          version: '1.26.1',
        },
        { name: 'db-0.shop', cluster: 'Kubernetes', istiod: placeholderIstiod('1-25-3'), version: '1.25.3' },
        {
          name: 'agent-x2x4z.infra',
          cluster: 'Kubernetes',
          istiod: placeholderIstiod('default'),
          version: '1.25.3',
        },
      ],
      false,
    );
    const r = parseProxyStatus(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.snapshot.proxies.map((p) => [p.namespace, p.workload, p.revision, p.version, p.synced])).toEqual(
      [
        ['infra', 'agent', 'default', '1.25.3', null],
        ['shop', 'cart', '1-26-1', '1.26.1', null],
        ['shop', 'db', '1-25-3', '1.25.3', null],
      ],
    );
  });

  it('with sync state (syncz source)', () => {
    const text = renderTable(
      [
        {
          name: 'cart-7f6fc6cfd6-s8zfg.shop',
          cluster: 'Kubernetes',
          istiod: 'istiod-1-26-1-5d8c9b7f4-xk2lp',
          version: '1.26.1',
          xds: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'STALE', RDS: 'SYNCED', ECDS: 'NOT SENT' },
        },
      ],
      true,
    );
    const r = parseProxyStatus(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.snapshot.format).toBe('table-1.14');
    expect(r.snapshot.proxies[0]).toMatchObject({
      revision: '1-26-1',
      synced: false,
      xds: { EDS: 'STALE', ECDS: 'NOT SENT' },
    });
  });
});
