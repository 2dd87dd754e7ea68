// A wave's list pages are cut down before the Kubernetes client types them (issue 15: the worker's
// peak RSS): through the real generated client against a loopback server speaking the list API, the
// inspector and the restarter read the same answers from what is kept, and errors still come through.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, keepItems } from '../../src/cluster/kube/client.js';
import { KubeMeshInspector } from '../../src/cluster/kube/inspector.js';
import { listAcrossCluster, patchWorkload, RESTARTED_AT } from '../../src/cluster/kube/workloads.js';

const managedFields = [
  { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } },
];
const pod = (ns: string, name: string, rev: string | null, phase = 'Running') => ({
  metadata: {
    name: `${name}-7d9f8b6c5d-x2z4z`,
    namespace: ns,
    labels: { app: name, 'pod-template-hash': '7d9f8b6c5d' },
    annotations: rev ? { 'sidecar.istio.io/status': JSON.stringify({ revision: rev }) } : {},
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-7d9f8b6c5d`, uid: 'u', controller: true },
    ],
    managedFields,
  },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: 'b' }] },
      ...(rev
        ? [
            {
              name: 'istio-proxy',
              image: `docker.io/istio/proxyv2:${rev.replace(/-/g, '.')}`,
              args: ['proxy', 'sidecar'],
            },
          ]
        : []),
    ],
  },
  status: { phase, podIP: '10.0.0.1' },
});
const deployment = (ns: string, name: string, paused = false) => ({
  metadata: { name, namespace: ns, generation: 2, resourceVersion: '7', managedFields },
  spec: {
    replicas: 1,
    paused,
    template: {
      metadata: { annotations: { [RESTARTED_AT]: 'up-1/wave-1' } },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    },
  },
  status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
});

const PODS = [
  pod('a', 'web', '1-25-3'),
  pod('a', 'db', null),
  pod('b', 'web', '1-26-1'),
  pod('b', 'job', '1-26-1', 'Succeeded'),
  pod('c', 'web', '1-25-3'),
];
const DEPLOYMENTS = [deployment('a', 'web'), deployment('b', 'web', true), deployment('c', 'web')];

/** Serves the two cluster-wide lists in pages of `limit` (continue = the next index), 404 elsewhere. */
function listServer(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'PATCH') {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        patched.push({ path: url.pathname, type: req.headers['content-type'] ?? '', body: JSON.parse(body) });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(deployment('a', 'web')));
      });
      return;
    }
    const items =
      url.pathname === '/api/v1/pods'
        ? PODS
        : url.pathname === '/apis/apps/v1/deployments'
          ? DEPLOYMENTS
          : null;
    res.setHeader('content-type', 'application/json');
    if (!items) {
      res.statusCode = 404;
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: 'not found',
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get('continue') || 0);
    const limit = 2;
    const next = from + limit < items.length ? String(from + limit) : undefined;
    res.end(
      JSON.stringify({
        metadata: { resourceVersion: '99', ...(next ? { continue: next } : {}) },
        items: items.slice(from, from + limit),
      }),
    );
  });
}

const patched: { path: string; type: string; body: unknown }[] = [];
let server: Server;
let client: KubeClient;
beforeAll(async () => {
  server = listServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const kubeconfig = join(tmpdir(), `keep-items-${process.pid}.yaml`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: loop, context: {cluster: c, user: u}}]
current-context: loop
`,
  );
  client = new KubeClient({ context: 'loop', kubeconfig }, { retry: { budgetMs: 0 } });
});
afterAll(() => {
  server.close();
});

describe('list pages cut before they are typed', () => {
  it('the sidecars of the wave’s namespaces, read across the cluster, are those of the full pods', async () => {
    const inspector = new KubeMeshInspector(client);
    const many = Array.from({ length: 10 }, (_, i) => `x${i}`); // ≥ CLUSTER_WIDE_FROM: one paged list
    expect(await inspector.sidecars(['a', 'b', ...many])).toEqual([
      {
        pod: 'web-7d9f8b6c5d-x2z4z',
        namespace: 'a',
        workload: { kind: 'Deployment', namespace: 'a', name: 'web' },
        revision: '1-25-3',
        proxyVersion: '1.25.3',
      },
      {
        pod: 'db-7d9f8b6c5d-x2z4z',
        namespace: 'a',
        workload: { kind: 'Deployment', namespace: 'a', name: 'db' },
        revision: null,
        proxyVersion: null,
      },
      {
        pod: 'web-7d9f8b6c5d-x2z4z',
        namespace: 'b',
        workload: { kind: 'Deployment', namespace: 'b', name: 'web' },
        revision: '1-26-1',
        proxyVersion: '1.26.1',
      },
    ]);
  });

  it('workloads across the cluster keep what the wave reads, of the wave’s namespaces only', async () => {
    const got = (await listAcrossCluster(client, 'Deployment', undefined, new Set(['a', 'b']))) as {
      items: V1Deployment[];
      metadata?: { resourceVersion?: string };
    };
    expect(got.metadata?.resourceVersion).toBe('99');
    expect(got.items.map((d) => [d.metadata?.namespace, d.spec?.paused])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    const d = got.items[0]!;
    expect(d.metadata).toEqual({ name: 'web', namespace: 'a', generation: 2, resourceVersion: '7' });
    expect(d.spec?.template).toEqual({ metadata: { annotations: { [RESTARTED_AT]: 'up-1/wave-1' } } });
    expect(d.status?.availableReplicas).toBe(1);
  });

  it('a restart patch is sent as a merge patch; the object answered is not kept', async () => {
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: 'up-1/wave-2' } } } } };
    expect(
      await patchWorkload(client, { kind: 'Deployment', namespace: 'a', name: 'web' }, body),
    ).toBeUndefined();
    expect(patched).toEqual([
      { path: '/apis/apps/v1/namespaces/a/deployments/web', type: 'application/merge-patch+json', body },
    ]);
  });

  it('an error response is not touched: the 404 still reaches the caller', async () => {
    await expect(
      client.request('list Pods in nowhere', (o) =>
        client.core.listNamespacedPod(
          { namespace: 'nowhere' },
          keepItems(o, () => undefined),
        ),
      ),
    ).rejects.toMatchObject({ details: { status: 404 } });
  });
});
