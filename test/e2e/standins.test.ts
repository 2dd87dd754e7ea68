// Unit tests of the e2e STAND-INs (no cluster needed; part of `npm test`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cluster-harness.js';
import {
  injectionPatch,
  injectionSkipReason,
  type JsonPatchOp,
  nativeSidecarAuto,
  parseInjectorValues,
  proxyImageFor,
} from '../support/injector-standin-mutate.js';
import {
  connectedProxies,
  humanDuration,
  proxyRevision,
  renderJson,
  renderTable,
  type StandinPod,
  tabwrite,
} from '../support/proxy-status-standin.js';

describe('tabwrite (Go text/tabwriter 0,8,5," ",0)', () => {
  it('reproduces the layout of the 1.24 and 1.27 fixtures byte for byte', () => {
    for (const name of ['table-1.24.txt', 'table-1.27.txt', 'wave-after.txt']) {
      const text = readFileSync(join(REPO_ROOT, 'test/fixtures/proxy-status', name), 'utf8');
      const rows = text
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/ {2,}/));
      expect(tabwrite(rows), name).toBe(text);
    }
  });
});

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [119_000, '119s'],
    [123_000, '2m3s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [47 * 3600_000, '47h'],
    [50 * 3600_000, '2d2h'],
    [400 * 24 * 3600_000, '400d'],
    [3 * 365 * 24 * 3600_000 + 2 * 24 * 3600_000, '3y2d'],
  ])('%d ms -> %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

const now = new Date('2026-11-22T03:00:00Z');
function pod(
  name: string,
  ns: string,
  extra: Partial<StandinPod> & { image?: string; rev?: string } = {},
): StandinPod {
  const annotations = extra.rev
    ? { 'sidecar.istio.io/status': JSON.stringify({ revision: extra.rev }) }
    : undefined;
  return {
    metadata: { name, namespace: ns, labels: extra.metadata?.labels ?? {}, annotations },
    spec: extra.spec ?? {
      containers: [{ name: 'app' }, ...(extra.image ? [{ name: 'istio-proxy', image: extra.image }] : [])],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(now.getTime() - 123_000) }],
    },
  };
}
const istiod = (name: string, rev: string, v: string): StandinPod =>
  pod(name, 'istio-system', {
    metadata: { labels: { app: 'istiod', 'istio.io/rev': rev } },
    spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${v}` }] },
  });

describe('proxy-status stand-in', () => {
  const i1 = istiod('istiod-1-25-3-7c9d8f6b5d-x2x4z', '1-25-3', '1.25.3');
  const i2 = istiod('istiod-1-31-dev-5d8f7c6b9d-q8w2e', '1-31-dev', '1.31-dev');
  const pods = [
    i1,
    i2,
    pod('cart-6c9d8f7b5c-4kz2p', 'shop', { image: 'docker.io/istio/proxyv2:1.25.3', rev: '1-25-3' }),
    pod('web-0', 'shop', { image: 'docker.io/istio/proxyv2:1.31-dev-distroless', rev: '1-31-dev' }),
    pod('plain-0', 'shop'),
  ];

  it('connects each proxy to an istiod of its revision, only if that istiod was queried', () => {
    const all = connectedProxies([i1, i2], pods, now);
    expect(all.map((r) => [r.proxyId, r.istiod, r.version])).toEqual([
      ['cart-6c9d8f7b5c-4kz2p.shop', i1.metadata?.name, '1.25.3'],
      ['web-0.shop', i2.metadata?.name, '1.31-dev'],
    ]);
    expect(connectedProxies([i2], pods, now).map((r) => r.proxyId)).toEqual(['web-0.shop']);
    expect(proxyRevision(pod('gw', 'istio-system', { metadata: { labels: { 'istio.io/rev': 'x' } } }))).toBe(
      'x',
    );
  });

  it('prints the 1.25 table (per-type SYNCED cells) and the 1.27+ table (SUBSCRIBED TYPES)', () => {
    const rows = connectedProxies([i1, i2], pods, now);
    expect(renderTable('1.25.3', rows, now)).toBe(
      tabwrite([
        ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'],
        [
          'cart-6c9d8f7b5c-4kz2p.shop',
          'Kubernetes',
          ...Array(4).fill('SYNCED (2m3s)'),
          'IGNORED',
          i1.metadata!.name!,
          '1.25.3',
        ],
        [
          'web-0.shop',
          'Kubernetes',
          ...Array(4).fill('SYNCED (2m3s)'),
          'IGNORED',
          i2.metadata!.name!,
          '1.31-dev',
        ],
      ]),
    );
    const t = renderTable('1.31-dev', rows, now);
    expect(t.split('\n')[0]).toBe(
      'NAME                           CLUSTER        ISTIOD                               VERSION      SUBSCRIBED TYPES',
    );
    expect(t).toContain('4 (CDS,LDS,EDS,RDS)');
    expect(renderTable('1.27.0', [], now)).toBe(
      'NAME     CLUSTER     ISTIOD     VERSION     SUBSCRIBED TYPES\n',
    );
  });

  it('prints -o json as one DiscoveryResponse per istiod', () => {
    const docs = renderJson(connectedProxies([i1, i2], pods, now), [i1, i2], now)
      .split(/\n(?=\{)/)
      .map((d) => JSON.parse(d));
    expect(docs).toHaveLength(2);
    expect(JSON.parse(docs[0].controlPlane.identifier).ID).toBe(i1.metadata?.name);
    expect(docs[0].resources[0].node).toEqual({
      id: 'cart-6c9d8f7b5c-4kz2p.shop',
      metadata: { CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.25.3', NAMESPACE: 'shop' },
    });
  });
});

function applyPatch(doc: Record<string, unknown>, ops: JsonPatchOp[]): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    let cur = out as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
    const last = parts[parts.length - 1]!;
    if (Array.isArray(cur) && last === '-') cur.push(op.value);
    else cur[last] = op.value;
  }
  return out;
}

describe('injector stand-in', () => {
  const values = parseInjectorValues(
    JSON.stringify({ global: { hub: 'docker.io/istio', tag: '1.25.3', proxy: { image: 'proxyv2' } } }),
  );

  it('uses the revision’s hub/proxy image/tag like the injection template', () => {
    expect(proxyImageFor(values)).toBe('docker.io/istio/proxyv2:1.25.3');
    expect(proxyImageFor({ ...values, variant: 'distroless' })).toBe(
      'docker.io/istio/proxyv2:1.25.3-distroless',
    );
  });

  it('adds istio-proxy, istio-init and the sidecar.istio.io/status annotation with the revision', () => {
    const p = { metadata: { name: 'a', labels: { app: 'cart' } }, spec: { containers: [{ name: 'app' }] } };
    const out = applyPatch(
      p,
      injectionPatch(p, { revision: '1-25-3', image: 'docker.io/istio/proxyv2:1.25.3', native: false }),
    );
    const spec = out.spec as {
      containers: { name: string; image?: string }[];
      initContainers: { name: string }[];
    };
    expect(spec.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
    expect(spec.containers[1]?.image).toBe('docker.io/istio/proxyv2:1.25.3');
    expect(spec.initContainers.map((c) => c.name)).toEqual(['istio-init']);
    const ann = (out.metadata as { annotations: Record<string, string> }).annotations;
    expect(JSON.parse(ann['sidecar.istio.io/status']!)).toMatchObject({
      revision: '1-25-3',
      containers: ['istio-proxy'],
    });
    expect(ann['istio.io/rev']).toBe('1-25-3');
    expect(injectionSkipReason(out, 'shop')).toBe('already injected');
  });

  it('uses native sidecars from 1.27 only when every node runs kubelet 1.33+', () => {
    expect(nativeSidecarAuto(25, ['v1.33.0'])).toBe(false);
    expect(nativeSidecarAuto(31, ['v1.33.13', 'v1.34.0'])).toBe(true);
    expect(nativeSidecarAuto(31, ['v1.33.13', 'fake'])).toBe(false);
    const p = { metadata: { name: 'a' }, spec: { containers: [{ name: 'app' }], initContainers: [] } };
    const out = applyPatch(p, injectionPatch(p, { revision: 'r', image: 'i', native: true }));
    const spec = out.spec as {
      containers: { name: string }[];
      initContainers: { name: string; restartPolicy?: string }[];
    };
    expect(spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(spec.initContainers.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['istio-init', undefined],
      ['istio-proxy', 'Always'],
    ]);
  });
});
