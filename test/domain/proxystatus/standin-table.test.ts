// The proxy-status STAND-IN (test/support/proxy-status-standin.ts) prints the table the cluster
// suite's `istioctl ps` wrapper answers with; the bot must read that table, not only its JSON.
// Pods as the injector stand-in leaves them (istio-proxy container, sidecar.istio.io/status) and
// istiod pods of two revisions are rendered in both test versions' formats and parsed back.
import { describe, expect, it } from 'vitest';
import {
  connectedProxies,
  renderJson,
  renderTable,
  type StandinPod,
} from '../../support/proxy-status-standin.js';
import { byPod, parseOk } from './helpers.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const T0 = '2026-11-30T11:57:30Z'; // 2m30s before NOW

function istiod(name: string, rev: string, version: string): StandinPod {
  return {
    metadata: { name, namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': rev } },
    spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${version}` }] },
    status: { phase: 'Running', startTime: T0 },
  };
}

function proxy(name: string, namespace: string, rev: string, version: string, running = true): StandinPod {
  return {
    metadata: {
      name,
      namespace,
      annotations: {
        'sidecar.istio.io/status': JSON.stringify({ revision: rev, containers: ['istio-proxy'] }),
      },
    },
    spec: {
      containers: [
        { name: 'app', image: 'registry.k8s.io/pause:3.10' },
        { name: 'istio-proxy', image: `docker.io/istio/proxyv2:${version}` },
      ],
    },
    status: {
      phase: running ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T0 }],
    },
  };
}

const istiods = [
  istiod('istiod-1-25-3-5f7c9d8b6d-x2k4q', '1-25-3', '1.25.3'),
  istiod('istiod-1-31-dev-7b9f6c5d4-m8p2r', '1-31-dev', '1.31-dev'),
];
const pods: StandinPod[] = [
  ...istiods,
  proxy('web-7d9c8b6f5-x2k4q', 'shop', '1-25-3', '1.25.3'),
  proxy('web-7d9c8b6f5-tn7wz', 'shop', '1-31-dev', '1.31-dev'),
  proxy('db-0', 'shop', '1-31-dev', '1.31-dev'),
  proxy('istio-ingressgateway-6b8d9f7c5-q9w8z', 'istio-system', '1-25-3', '1.25.3'),
  proxy('starting-5c6d7e8f9-zzzzz', 'shop', '1-25-3', '1.25.3', false),
  { metadata: { name: 'plain-0', namespace: 'shop' }, status: { phase: 'Running' } },
];
const rows = connectedProxies(istiods, pods, NOW);

describe('the proxy-status stand-in, read by the bot', () => {
  it('1.25.3 table: per-type SYNCED with a duration, ECDS IGNORED, revision from the istiod name', () => {
    const text = renderTable('1.25.3', rows, NOW);
    expect(text.split('\n')[0]).toMatch(
      /^NAME {2,}CLUSTER {2,}CDS {2,}LDS {2,}EDS {2,}RDS {2,}ECDS {2,}ISTIOD {2,}VERSION$/,
    );
    expect(text).toContain('SYNCED (2m30s)');
    const s = parseOk(text);
    expect(s.format).toBe('table-1.14');
    expect(s.proxies.map((p) => `${p.pod}.${p.namespace}`)).toEqual([
      'db-0.shop',
      'istio-ingressgateway-6b8d9f7c5-q9w8z.istio-system',
      'web-7d9c8b6f5-tn7wz.shop',
      'web-7d9c8b6f5-x2k4q.shop',
    ]);
    expect(byPod(s, 'web-7d9c8b6f5-x2k4q')).toEqual({
      pod: 'web-7d9c8b6f5-x2k4q',
      namespace: 'shop',
      workload: 'web',
      cluster: 'Kubernetes',
      istiod: 'istiod-1-25-3-5f7c9d8b6d-x2k4q',
      revision: '1-25-3',
      version: '1.25.3',
      xds: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'SYNCED', ECDS: 'IGNORED' },
      synced: true,
    });
    expect(byPod(s, 'web-7d9c8b6f5-tn7wz').revision).toBe('1-31-dev');
    expect(byPod(s, 'web-7d9c8b6f5-tn7wz').version).toBe('1.31-dev');
    expect(byPod(s, 'db-0').workload).toBe('db');
    expect(byPod(s, 'istio-ingressgateway-6b8d9f7c5-q9w8z').workload).toBe('istio-ingressgateway');
  });

  it('1.31-dev table: SUBSCRIBED TYPES, no sync state', () => {
    const text = renderTable('1.31-dev', rows, NOW);
    expect(text.split('\n')[0]).toMatch(/^NAME {2,}CLUSTER {2,}ISTIOD {2,}VERSION {2,}SUBSCRIBED TYPES$/);
    const s = parseOk(text);
    expect(s.format).toBe('table-1.27');
    expect(s.proxies).toHaveLength(4);
    expect(byPod(s, 'db-0')).toEqual({
      pod: 'db-0',
      namespace: 'shop',
      workload: 'db',
      cluster: 'Kubernetes',
      istiod: 'istiod-1-31-dev-7b9f6c5d4-m8p2r',
      revision: '1-31-dev',
      version: '1.31-dev',
      xds: {},
      synced: null,
    });
    expect(byPod(s, 'istio-ingressgateway-6b8d9f7c5-q9w8z').revision).toBe('1-25-3');
  });

  it('the table and the 1.30+ JSON of the same rows give the same proxies and revisions', () => {
    const key = (s: ReturnType<typeof parseOk>) =>
      s.proxies.map((p) => [p.pod, p.namespace, p.workload, p.istiod, p.revision, p.version]).sort();
    const table = parseOk(renderTable('1.31-dev', rows, NOW));
    const json = parseOk(renderJson(rows, istiods, NOW));
    expect(json.format).toBe('json-1.30');
    expect(key(json)).toEqual(key(table));
  });
});
