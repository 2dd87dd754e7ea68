// The cluster adapters against the REAL kube-apiserver and REAL istioctl of two versions from the
// test cluster (test/cluster, KWOK nodes, injector and proxy-status stand-ins). Ordered: each test
// builds on the previous one. Without the cluster binaries: a loud notice (CI=true: failure).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynczProxyStatus } from '../../src/cluster/proxy-status/syncz.js';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import { parseProxyStatus, workloadOf } from '../../src/domain/proxystatus/index.js';
import type { RolloutProgress, WorkloadRef } from '../../src/engine/ports.js';
import {
  istioVersions,
  kubeConfig,
  revisionOf,
  waitFor,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import {
  adapters,
  clusterGate,
  daemonSet,
  deployment,
  releaseCluster,
  statefulSet,
  suffix,
} from './cluster-support.js';

const gate = await clusterGate('cluster adapter tests (test/cluster-adapters/cluster.test.ts)');
const [OLD = '', NEW = ''] = gate.run ? istioVersions() : [];
const R_OLD = revisionOf(OLD);
const R_NEW = revisionOf(NEW);
const S = suffix();
const A = `ca-${S}-labels`;
const B = `ca-${S}-tags`;
const G = `ca-${S}-gw`;
const TAG = `ca-${S}-stable`;
const LONG = { timeout: 900_000 };

describe.skipIf(!gate.run)('cluster adapters (real kube-apiserver, real istioctl)', () => {
  let a: ClusterAdapters;
  const wave: WorkloadRef[] = [
    { kind: 'Deployment', namespace: A, name: 'web' },
    { kind: 'StatefulSet', namespace: A, name: 'db' },
    { kind: 'DaemonSet', namespace: A, name: 'agent' },
    { kind: 'Deployment', namespace: B, name: 'api' },
  ];

  const createNs = (name: string, labels: Record<string, string>) =>
    a.kube.core.createNamespace({ body: { metadata: { name, labels } } });

  beforeAll(() => {
    a = adapters();
  });
  afterAll(async () => {
    if (!a) return;
    for (const ns of [A, B, G]) await a.kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
    await a.tagger.removeTag(TAG).catch(() => undefined);
    await releaseCluster(gate);
  }, 300_000);

  it('finds the istioctl of each version in ISTIOCTL_DIR and runs it', async () => {
    expect(await a.locator.available()).toEqual(expect.arrayContaining([OLD, NEW]));
    expect(await a.istioctl.clientVersion(OLD)).toBe(OLD);
    expect(await a.istioctl.clientVersion(NEW)).toBe(NEW);
    const e = await a.installer.precheck('1.0.0').catch((x) => x);
    expect(e.code).toBe('istioctl_missing');
  });

  it(
    'precheck answers findings as data: none on a clean cluster, a Gateway API CRD too old as findings',
    LONG,
    async () => {
      // The real istioctl says "No issues found" on stderr and prints nothing on stdout: no findings.
      expect(await a.installer.precheck(NEW)).toEqual([]);
      // An HTTPRoute CRD serving only v1alpha2: istioctl's checkGatewayAPIs reports IST0156 (below the
      // v1beta1 it needs, an Error) and IST0172 (below v1, a Warning), as JSON on stdout, exit 1.
      const crds = kubeConfig().makeApiClient(ApiextensionsV1Api);
      const name = 'httproutes.gateway.networking.k8s.io';
      await crds.createCustomResourceDefinition({
        body: {
          metadata: {
            name,
            annotations: {
              'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/1538',
            },
          },
          spec: {
            group: 'gateway.networking.k8s.io',
            scope: 'Namespaced',
            names: {
              plural: 'httproutes',
              singular: 'httproute',
              kind: 'HTTPRoute',
              listKind: 'HTTPRouteList',
            },
            versions: [
              {
                name: 'v1alpha2',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      });
      try {
        const found = await a.installer.precheck(NEW);
        expect([...found].sort((x, y) => x.code.localeCompare(y.code))).toEqual([
          {
            code: 'IST0156',
            level: 'Error',
            message: expect.stringMatching(/version v1alpha2 is lower than the minimum version: v1beta1/),
          },
          {
            code: 'IST0172',
            level: 'Warning',
            message: expect.stringMatching(/version v1alpha2 is lower than the minimum version: v1\b/),
          },
        ]);
      } finally {
        await crds.deleteCustomResourceDefinition({ name });
        await waitFor('the HTTPRoute CRD gone', async () =>
          (await crds.listCustomResourceDefinition()).items.every((c) => c.metadata?.name !== name),
        );
      }
      expect(await a.installer.precheck(NEW)).toEqual([]);
    },
  );

  it('installs two revisions side by side and verifies them', LONG, async () => {
    await a.installer.install(OLD, R_OLD);
    await a.installer.install(NEW, R_NEW);
    await waitForWebhooksOnStandin();
    await a.installer.verify(R_OLD);
    await a.installer.verify(R_NEW);
    const planes = await a.inspector.controlPlanes();
    expect(planes).toEqual(
      expect.arrayContaining([
        { revision: R_OLD, version: OLD, ready: true },
        { revision: R_NEW, version: NEW, ready: true },
      ]),
    );
    const injectors = await a.inspector.injectors();
    expect(injectors.map((i) => i.name)).toEqual(
      expect.arrayContaining([`istio-sidecar-injector-${R_OLD}`, `istio-sidecar-injector-${R_NEW}`]),
    );
    const e = await a.installer.verify('ca-missing').catch((x) => x);
    expect(e.code).toBe('verify_failed');
    expect(e.message).toContain('Deployment istio-system/istiod-ca-missing is missing');
  });

  it('sets, moves and removes a tag with istioctl; the inspector sees where it points', LONG, async () => {
    await a.tagger.setTag(TAG, R_NEW);
    await a.tagger.setTag(TAG, R_OLD); // moved (overwrite), then the wave moves it forward again
    await a.tagger.setTag(TAG, R_OLD); // idempotent
    expect(await a.inspector.tags()).toContainEqual({ tag: TAG, revision: R_OLD });
    const listed = await a.istioctl.tagList(NEW);
    expect(listed.find((t) => t.tag === TAG)?.revision).toBe(R_OLD);
  });

  it('inspects namespaces, workloads and each pod`s sidecar', LONG, async () => {
    await createNs(A, { 'istio.io/rev': R_OLD });
    await createNs(B, { 'istio.io/rev': TAG });
    await a.kube.apps.createNamespacedDeployment({ namespace: A, body: deployment(A, 'web', 2) });
    await a.kube.apps.createNamespacedStatefulSet({ namespace: A, body: statefulSet(A, 'db', 2) });
    await a.kube.apps.createNamespacedDaemonSet({ namespace: A, body: daemonSet(A, 'agent') });
    await a.kube.apps.createNamespacedDeployment({ namespace: B, body: deployment(B, 'api', 2) });
    await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000 });
    const ns = await a.inspector.namespaces();
    expect(ns).toContainEqual({ name: A, injection: null, rev: R_OLD });
    expect(ns).toContainEqual({ name: B, injection: null, rev: TAG });
    const w = await a.inspector.workloads([A, B]);
    expect(w.map((x) => `${x.kind}/${x.name}/${x.paused}/${x.onDelete}`).sort()).toEqual([
      'DaemonSet/agent/false/false',
      'Deployment/api/false/false',
      'Deployment/web/false/false',
      'StatefulSet/db/false/false',
    ]);
    const pods = await a.inspector.sidecars([A, B]);
    expect(pods.length).toBeGreaterThanOrEqual(8);
    for (const p of pods) expect([p.revision, p.proxyVersion]).toEqual([R_OLD, OLD]);
    expect(pods.filter((p) => p.workload?.name === 'web').map((p) => p.workload)).toEqual([
      { kind: 'Deployment', namespace: A, name: 'web' },
      { kind: 'Deployment', namespace: A, name: 'web' },
    ]);
  });

  it('moves a wave: labels and tag, restart like kubectl, wait like kubectl, verify', LONG, async () => {
    await a.mover.point(A, { revision: R_NEW });
    await a.tagger.setTag(TAG, R_NEW);
    expect((await a.inspector.namespaces()).find((n) => n.name === A)).toEqual({
      name: A,
      injection: null,
      rev: R_NEW,
    });
    const stamp = new Date().toISOString();
    const before = a.kube.stats.byWhat.patch ?? 0;
    await a.restarter.restart(wave, stamp);
    expect((a.kube.stats.byWhat.patch ?? 0) - before).toBe(4);
    const progress: RolloutProgress[] = [];
    await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000, onProgress: (p) => progress.push(p) });
    expect(progress[0]).toEqual({ total: 4, ready: expect.any(Number) });
    expect(progress.at(-1)).toEqual({ total: 4, ready: 4 });
    const r = await a.inspector.verifyRevision([A, B], R_NEW, wave);
    expect(r.checked).toBeGreaterThanOrEqual(8);
    for (const p of await a.inspector.sidecars([A, B])) expect(p.proxyVersion).toBe(NEW);

    // a retried step reuses the stored stamp: nothing is patched, no second rollout
    const gen = (await a.kube.apps.readNamespacedDeployment({ name: 'web', namespace: A })).metadata
      ?.generation;
    const again = a.kube.stats.byWhat.patch ?? 0;
    await a.restarter.restart(wave, stamp);
    await a.restarter.waitForRollouts(wave, { timeoutMs: 30_000 });
    expect(a.kube.stats.byWhat.patch ?? 0).toBe(again);
    const web = await a.kube.apps.readNamespacedDeployment({ name: 'web', namespace: A });
    expect(web.metadata?.generation).toBe(gen);
    expect(web.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(stamp);
  });

  it('reports paused Deployments and OnDelete StatefulSets instead of skipping them', LONG, async () => {
    await a.kube.apps.createNamespacedDeployment({
      namespace: A,
      body: deployment(A, 'held', 1, { paused: true }),
    });
    await a.kube.apps.createNamespacedStatefulSet({
      namespace: A,
      body: statefulSet(A, 'manual', 1, 'OnDelete'),
    });
    const refs: WorkloadRef[] = [
      { kind: 'Deployment', namespace: A, name: 'held' },
      { kind: 'StatefulSet', namespace: A, name: 'manual' },
    ];
    const e = await a.restarter.restart(refs, new Date().toISOString()).catch((x) => x);
    expect(e.code).toBe('rollout_failed');
    expect(e.details.blocked.map((b: { name: string; reason: string }) => `${b.name}:${b.reason}`)).toEqual([
      'held:paused',
      'manual:on_delete',
    ]);
    expect(e.message).toContain('kubectl rollout resume deployment/held');
    const held = await a.kube.apps.readNamespacedDeployment({ name: 'held', namespace: A });
    expect(held.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  it('fails on ProgressDeadlineExceeded and times out a stuck rollout, naming it', LONG, async () => {
    const stuck = deployment(A, 'stuck', 1, { progressDeadlineSeconds: 2 });
    stuck.spec!.template.spec!.nodeSelector = { 'ca.example/none': 'x' };
    const slow = deployment(A, 'slow', 1, { progressDeadlineSeconds: 600 });
    slow.spec!.template.spec!.nodeSelector = { 'ca.example/none': 'x' };
    await a.kube.apps.createNamespacedDeployment({ namespace: A, body: stuck });
    await a.kube.apps.createNamespacedDeployment({ namespace: A, body: slow });
    const t0 = Date.now();
    const e1 = await a.restarter
      .waitForRollouts([{ kind: 'Deployment', namespace: A, name: 'stuck' }], { timeoutMs: 120_000 })
      .catch((x) => x);
    expect(e1.code).toBe('rollout_failed');
    expect(e1.message).toContain('exceeded its progress deadline');
    expect(Date.now() - t0).toBeLessThan(100_000);
    const e2 = await a.restarter
      .waitForRollouts([{ kind: 'Deployment', namespace: A, name: 'slow' }], { timeoutMs: 1_500 })
      .catch((x) => x);
    expect(e2.code).toBe('rollout_timeout');
    expect(e2.message).toContain(`Deployment ${A}/slow: Waiting for deployment "slow" rollout to finish`);
  });

  it('resumes watches the server closes, and stops on cancel', LONG, async () => {
    const b = adapters({ watchTimeoutSeconds: 1 });
    await b.kube.apps.createNamespacedDeployment({
      namespace: B,
      body: deployment(B, 'lazy', 2, { minReadySeconds: 4 }),
    });
    const ref: WorkloadRef = { kind: 'Deployment', namespace: B, name: 'lazy' };
    b.kube.resetStats();
    await b.restarter.waitForRollouts([ref], { timeoutMs: 120_000 });
    expect(b.kube.stats.watches).toBeGreaterThanOrEqual(3);
    const ac = new AbortController();
    await b.restarter.restart([ref], new Date().toISOString());
    setTimeout(() => ac.abort(new Error('wave stopped')), 300);
    await expect(
      b.restarter.waitForRollouts([ref], { timeoutMs: 120_000, signal: ac.signal }),
    ).rejects.toThrow('wave stopped');
  });

  it('moves an injected gateway in place and back', LONG, async () => {
    await createNs(G, {});
    await a.kube.apps.createNamespacedDeployment({
      namespace: G,
      body: deployment(G, 'ingress', 2, {
        podLabels: { 'istio.io/rev': R_OLD, 'sidecar.istio.io/inject': 'true' },
        podAnnotations: { 'inject.istio.io/templates': 'gateway' },
      }),
    });
    const ref: WorkloadRef = { kind: 'Deployment', namespace: G, name: 'ingress' };
    await a.restarter.waitForRollouts([ref], { timeoutMs: 120_000 });
    expect((await a.inspector.sidecars([G])).map((p) => p.revision)).toEqual([R_OLD, R_OLD]);
    expect(await a.gateways.moveGateways(R_NEW)).toContainEqual(ref);
    expect((await a.inspector.sidecars([G])).map((p) => p.revision)).toEqual([R_NEW, R_NEW]);
    await a.gateways.moveGateways(R_OLD);
    expect((await a.inspector.sidecars([G])).map((p) => p.revision)).toEqual([R_OLD, R_OLD]);
  });

  it(
    'captures proxy-status from istioctl, Kubernetes and syncz; all parse to the same proxies',
    LONG,
    async () => {
      // the settled wave's pods (other workloads there are Pending or were stopped mid-rollout)
      const settled = new Set(wave.map((w) => w.name));
      const inWave = (pod: string) => settled.has(workloadOf(pod));
      const pods = (await a.inspector.sidecars([A, B])).filter((p) => inWave(p.pod));
      const want = pods.map((p) => `${p.namespace}/${p.pod}/${p.revision}`).sort();
      // a stand-in for each istiod's /debug/syncz: the proxies of its revision
      const server = createServer((req, res) => {
        const rev = (req.url ?? '').split('/')[1];
        const body = pods
          .filter((p) => p.revision === rev)
          .map((p) => ({
            cluster_id: 'Kubernetes',
            proxy: `${p.pod}.${p.namespace}`,
            istio_version: p.proxyVersion,
            cluster_sent: 'n1',
            cluster_acked: 'n1',
            listener_sent: 'n1',
            listener_acked: 'n1',
          }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        const sources = {
          istioctl: a.proxyStatus,
          kubernetes: adapters({ proxyStatusSource: 'kubernetes' }).proxyStatus,
          syncz: new SynczProxyStatus(a.inspector, {
            endpoint: (pod) => `http://127.0.0.1:${port}/${pod.revision}/debug/syncz`,
          }),
        };
        for (const [name, src] of Object.entries(sources)) {
          const texts = await src.capture([R_OLD, R_NEW]);
          const got = texts
            .flatMap((t) => {
              const r = parseProxyStatus(t);
              if (!r.ok) throw new Error(`${name}: ${r.error.message}\n${t}`);
              return r.snapshot.proxies;
            })
            .filter((p) => (p.namespace === A || p.namespace === B) && inWave(p.pod))
            .map((p) => `${p.namespace}/${p.pod}/${p.revision}`);
          expect([...new Set(got)].sort(), name).toEqual(want);
        }
      } finally {
        server.close();
      }
    },
  );

  it('uninstalls the old revision (and a second time is a no-op)', LONG, async () => {
    await a.tagger.removeTag(TAG);
    await a.tagger.removeTag(TAG);
    await a.installer.uninstall(OLD, R_OLD);
    await a.installer.uninstall(OLD, R_OLD);
    const planes = await a.inspector.controlPlanes();
    expect(planes.map((p) => p.revision)).not.toContain(R_OLD);
    expect(planes.map((p) => p.revision)).toContain(R_NEW);
  });
});
