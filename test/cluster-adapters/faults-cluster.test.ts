// Faults and cancellation on the REAL test cluster: the adapters reach the real kube-apiserver
// through the fault-injecting proxy stand-in (test/support/kube-fault-proxy.ts), and run the real
// istioctl behind a slow wrapper (test/support/istioctl-slow.sh). Without the cluster binaries: a loud
// notice (CI=true: failure).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IstioControlPlane } from '../../src/cluster/control-plane.js';
import { Istioctl } from '../../src/cluster/istioctl/istioctl.js';
import { IstioctlLocator } from '../../src/cluster/istioctl/locate.js';
import { KubeRestarter, RESTARTED_AT } from '../../src/cluster/kube/restart.js';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import type { WorkloadRef } from '../../src/engine/ports.js';
import {
  istioctlWrapperPath,
  istioVersions,
  kubeconfigPath,
  REPO_ROOT,
  waitFor,
} from '../support/cluster-harness.js';
import { kubeconfigForServiceAccount } from '../support/cluster-rbac.js';
import { KubeFaultProxy } from '../support/kube-fault-proxy.js';
import { adapters, clusterGate, deployment, releaseCluster, suffix } from './cluster-support.js';
import { liveInGroup } from './process-support.js';

const gate = await clusterGate('fault and cancellation tests (test/cluster-adapters/faults-cluster.test.ts)');
const [OLD = ''] = gate.run ? istioVersions() : [];
const S = suffix();
const NSS = [`fl-${S}-a`, `fl-${S}-b`, `fl-${S}-c`];
const PER_NS = 12;
const LONG = { timeout: 600_000 };
const dir = mkdtempSync(join(tmpdir(), 'iub-faults-'));

const refsIn = (ns: string, prefix = 'web'): WorkloadRef[] =>
  Array.from({ length: PER_NS }, (_, i) => ({
    kind: 'Deployment' as const,
    namespace: ns,
    name: `${prefix}-${i}`,
  }));

describe.skipIf(!gate.run)('faults and cancellation (real kube-apiserver behind a fault proxy)', () => {
  let admin: ClusterAdapters;
  let proxy: KubeFaultProxy;
  const all = NSS.flatMap((ns) => refsIn(ns));

  const replicaSets = async (r: WorkloadRef) =>
    (
      await admin.kube.apps.listNamespacedReplicaSet({
        namespace: r.namespace,
        labelSelector: `app=${r.name}`,
      })
    ).items.length;

  beforeAll(async () => {
    admin = adapters();
    for (const ns of NSS) {
      await admin.kube.core.createNamespace({ body: { metadata: { name: ns } } });
      for (const r of refsIn(ns)) {
        await admin.kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(ns, r.name, 1) });
      }
    }
    await admin.restarter.waitForRollouts(all, { timeoutMs: 300_000 });
    proxy = await KubeFaultProxy.start({ kubeconfig: kubeconfigPath(), dir: join(dir, 'proxy') });
  }, 600_000);
  afterAll(async () => {
    await proxy?.close();
    if (admin)
      for (const ns of NSS) await admin.kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await releaseCluster(gate);
  }, 300_000);

  it(
    'restarts and waits for 36 Deployments through 10% faults and a 30 s stall; each is patched once',
    LONG,
    async () => {
      const before = new Map<string, { generation: number; replicaSets: number }>();
      for (const r of all) {
        const d = await admin.kube.apps.readNamespacedDeployment({ name: r.name, namespace: r.namespace });
        before.set(r.name + r.namespace, {
          generation: d.metadata?.generation ?? 0,
          replicaSets: await replicaSets(r),
        });
      }
      const via = adapters({ kubeconfig: proxy.kubeconfig });
      proxy.setFaults({ rate: 0.1, kinds: ['429', '500', 'reset', 'lost-reply'], retryAfterSeconds: 1 });
      const stalled = proxy.stallNext(30, (method) => method === 'PATCH');
      const stamp = new Date().toISOString();
      await via.restarter.restart(all, stamp);
      await via.restarter.waitForRollouts(all, { timeoutMs: 300_000 });
      await stalled;
      proxy.setFaults({ rate: 0 });

      expect(proxy.stats.stalled).toBe(1);
      // every tenth request failed, each kind in turn: all four were met and survived
      const injected = proxy.stats.injected;
      expect(injected['429']).toBeGreaterThanOrEqual(1);
      expect(injected['500']).toBeGreaterThanOrEqual(1);
      expect(injected.reset).toBeGreaterThanOrEqual(1);
      expect(injected['lost-reply']).toBeGreaterThanOrEqual(1);
      expect(via.kube.stats.retries).toBeGreaterThanOrEqual(1);
      for (const r of all) {
        const d = await admin.kube.apps.readNamespacedDeployment({ name: r.name, namespace: r.namespace });
        const b = before.get(r.name + r.namespace)!;
        expect(d.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBe(stamp);
        // one template change: one new generation and one new ReplicaSet, even when a patch was sent twice
        expect(d.metadata?.generation, `${r.namespace}/${r.name}`).toBe(b.generation + 1);
        expect(await replicaSets(r), `${r.namespace}/${r.name}`).toBe(b.replicaSets + 1);
      }
    },
  );

  it('a 403 stops at once with its cause (a patch, and a wait that may not list)', LONG, async () => {
    const [ns, other] = NSS as [string, string];
    const rbac = admin.kube.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-deployments' },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'read-deployments' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-deployments' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const saProxy = await KubeFaultProxy.start({
      kubeconfig: await kubeconfigForServiceAccount(ns, 'reader'),
      dir: join(dir, 'sa-proxy'),
    });
    try {
      const sa = adapters({ kubeconfig: saProxy.kubeconfig });
      const listed = () =>
        sa.kube.request('list Deployments', (o) =>
          sa.kube.apps.listNamespacedDeployment({ namespace: ns }, o),
        );
      await waitFor('the Role to apply', async () => (await listed()).items.length >= PER_NS, 30_000);
      const t0 = Date.now();
      const e = await sa.restarter.restart(refsIn(ns), new Date().toISOString()).catch((x: unknown) => x);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(e).toMatchObject({
        code: 'kube_api',
        details: { status: 403, attempts: 1, fault: 'permanent' },
      });
      expect((e as Error).message).toMatch(/^Kubernetes API: patch Deployment fl-.*forbidden/);
      const patches = saProxy.stats.log.filter((l) => l.method === 'PATCH').map((l) => l.path);
      expect(patches.length).toBeGreaterThanOrEqual(1);
      expect(new Set(patches).size).toBe(patches.length); // none sent twice
      const t1 = Date.now();
      const w = await sa.restarter
        .waitForRollouts(refsIn(other), { timeoutMs: 300_000 })
        .catch((x: unknown) => x);
      expect(Date.now() - t1).toBeLessThan(5_000);
      expect(w).toMatchObject({ code: 'kube_api', details: { status: 403 } });
    } finally {
      await saProxy.close();
    }
  });

  it('a cancelled wait rejects within 5 s while its watch is stalled', LONG, async () => {
    proxy.setFaults({ rate: 0 });
    const via = adapters({ kubeconfig: proxy.kubeconfig });
    const ref: WorkloadRef = { kind: 'Deployment', namespace: NSS[2]!, name: 'lazy' };
    await admin.kube.apps.createNamespacedDeployment({
      namespace: ref.namespace,
      body: deployment(ref.namespace, ref.name, 1, { minReadySeconds: 600, progressDeadlineSeconds: 1200 }),
    });
    const stalled = proxy.stallNext(60, (method, path) => method === 'GET' && path.includes('watch=true'));
    const ac = new AbortController();
    const p = via.restarter.waitForRollouts([ref], { timeoutMs: 300_000, signal: ac.signal });
    await stalled;
    const t0 = Date.now();
    ac.abort(new Error('run superseded'));
    await expect(p).rejects.toThrow('run superseded');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a cancelled restart rejects within 5 s and sends no queued patch', LONG, async () => {
    proxy.setFaults({ rate: 0 });
    const via = adapters({ kubeconfig: proxy.kubeconfig });
    const one = new KubeRestarter(via.kube, { concurrency: 1 });
    const refs = refsIn(NSS[1]!);
    const stalled = proxy.stallNext(60, (method) => method === 'PATCH');
    const ac = new AbortController();
    const stamp = `cancelled-${S}`;
    const p = one.restart(refs, stamp, ac.signal);
    await stalled;
    const patchesAtAbort = proxy.stats.log.filter((l) => l.method === 'PATCH').length;
    const t0 = Date.now();
    ac.abort(new Error('rolled back'));
    await expect(p).rejects.toThrow('rolled back');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(proxy.stats.log.filter((l) => l.method === 'PATCH').length).toBe(patchesAtAbort);
    const stamped: string[] = [];
    for (const r of refs.slice(1)) {
      const d = await admin.kube.apps.readNamespacedDeployment({ name: r.name, namespace: r.namespace });
      if (d.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === stamp) stamped.push(r.name);
    }
    expect(stamped).toEqual([]);
  });

  it('a cancelled istioctl install rejects within 5 s and leaves no process of its group', LONG, async () => {
    const slow = join(dir, 'slow');
    const pidfile = join(dir, 'istioctl.pid');
    mkdirSync(slow, { recursive: true });
    symlinkSync(join(REPO_ROOT, 'test', 'support', 'istioctl-slow.sh'), join(slow, `istioctl-${OLD}`));
    const locator = new IstioctlLocator({ dir: slow });
    const istioctl = new Istioctl({
      locator,
      target: { kubeconfig: kubeconfigPath() },
      timeoutMs: 600_000,
      env: {
        ISTIOCTL_REAL: istioctlWrapperPath(OLD),
        ISTIOCTL_SLOW_SECONDS: '120',
        ISTIOCTL_SLOW_PIDFILE: pidfile,
      },
    });
    const cp = new IstioControlPlane(istioctl, locator, admin.kube, admin.inspector);
    const rev = `c-${S}`;
    const ac = new AbortController();
    const p = cp.install(OLD, rev, ac.signal);
    const pgid = await waitFor(
      'the slow istioctl to start',
      async () => {
        const pid = Number(readFileSync(pidfile, 'utf8').trim());
        return pid > 0 && (await liveInGroup(pid)).some((l) => l.includes('sleep')) ? pid : undefined;
      },
      30_000,
      50,
    );
    const t0 = Date.now();
    ac.abort(new Error('aborted by operator'));
    const e = await p.catch((x: unknown) => x);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(e).toMatchObject({ code: 'istioctl_failed', details: { cancelled: true } });
    expect(await liveInGroup(pgid)).toEqual([]);
    expect((await admin.inspector.controlPlanes()).map((c) => c.revision)).not.toContain(rev);
  });

  it(
    'an install cancelled half-way stops within 5 s; uninstall then removes what it left',
    LONG,
    async () => {
      const slow = join(dir, 'half');
      mkdirSync(slow, { recursive: true });
      symlinkSync(join(REPO_ROOT, 'test', 'support', 'istioctl-slow.sh'), join(slow, `istioctl-${OLD}`));
      const pidfile = join(dir, 'half.pid');
      const locator = new IstioctlLocator({ dir: slow });
      const istioctl = new Istioctl({
        locator,
        target: { kubeconfig: kubeconfigPath() },
        timeoutMs: 600_000,
        env: {
          ISTIOCTL_REAL: istioctlWrapperPath(OLD),
          ISTIOCTL_SLOW_SECONDS: '0',
          ISTIOCTL_SLOW_PIDFILE: pidfile,
        },
      });
      const cp = new IstioControlPlane(istioctl, locator, admin.kube, admin.inspector);
      const rev = `h-${S}`;
      const saExists = () =>
        admin.kube.core
          .readNamespacedServiceAccount({ name: `istiod-${rev}`, namespace: 'istio-system' })
          .then(
            () => true,
            () => false,
          );
      const ac = new AbortController();
      const p = cp.install(OLD, rev, ac.signal);
      // cancel once the real istioctl has started changing the cluster
      await waitFor('the install under way', saExists, 120_000, 100);
      const pgid = Number(readFileSync(pidfile, 'utf8').trim());
      const t0 = Date.now();
      ac.abort(new Error('rolled back'));
      await expect(p).rejects.toMatchObject({ code: 'istioctl_failed', details: { cancelled: true } });
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(await liveInGroup(pgid)).toEqual([]);
      await cp.uninstall(OLD, rev);
      expect((await admin.inspector.controlPlanes()).map((c) => c.revision)).not.toContain(rev);
    },
  );
});
