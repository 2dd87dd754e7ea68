// A wave over CLUSTER_WIDE_FROM namespaces or more, on the REAL kube-apiserver of the test cluster:
// the inspector and the restarter read each kind across the cluster once (paged) instead of once per
// namespace, and still see only the wave's workloads — a Deployment outside the wave is neither
// listed, restarted nor waited for. Without the cluster binaries: a loud notice (CI: failure).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTARTED_AT } from '../../src/cluster/kube/restart.js';
import { CLUSTER_WIDE_FROM } from '../../src/cluster/kube/workloads.js';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import type { WorkloadRef } from '../../src/engine/ports.js';
import { adapters, clusterGate, deployment, releaseCluster, suffix } from './cluster-support.js';

const gate = await clusterGate('cluster-wide reads (test/cluster-adapters/cluster-wide-reads.test.ts)');
const S = suffix();
const WAVE = Array.from({ length: CLUSTER_WIDE_FROM + 2 }, (_, i) => `cw-${S}-${String(i).padStart(2, '0')}`);
const OUTSIDE = `cw-${S}-outside`;
const LONG = { timeout: 300_000 };

describe.skipIf(!gate.run)('reads of a wave over many namespaces (real kube-apiserver)', () => {
  let a: ClusterAdapters;
  const refs: WorkloadRef[] = WAVE.map((namespace) => ({ kind: 'Deployment', namespace, name: 'web' }));
  const outsider: WorkloadRef = { kind: 'Deployment', namespace: OUTSIDE, name: 'web' };

  beforeAll(async () => {
    a = adapters();
    for (const ns of [...WAVE, OUTSIDE]) {
      await a.kube.core.createNamespace({ body: { metadata: { name: ns } } });
      await a.kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(ns, 'web', 1) });
    }
    await a.restarter.waitForRollouts([...refs, outsider], { timeoutMs: 180_000 });
  }, 300_000);
  afterAll(async () => {
    if (a)
      for (const ns of [...WAVE, OUTSIDE])
        await a.kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
    await releaseCluster(gate);
  }, 300_000);

  it('lists the wave`s workloads and pods with one list a kind, not one a namespace', LONG, async () => {
    a.kube.resetStats();
    const w = await a.inspector.workloads(WAVE);
    expect(w.map((x) => `${x.kind}/${x.namespace}/${x.name}`)).toEqual(
      WAVE.map((ns) => `Deployment/${ns}/web`),
    );
    // Deployments, StatefulSets, DaemonSets: one page each here (per namespace it was 3 × 12)
    expect(a.kube.stats.requests).toBe(3);
    a.kube.resetStats();
    const pods = await a.inspector.sidecars(WAVE);
    expect(pods.map((p) => p.namespace).sort()).toEqual(WAVE);
    expect(a.kube.stats.requests).toBeLessThan(WAVE.length);
  });

  it(
    'restarts and waits for the wave with one list and one watch, the outsider untouched',
    LONG,
    async () => {
      const genOut = (await a.kube.apps.readNamespacedDeployment({ name: 'web', namespace: OUTSIDE }))
        .metadata?.generation;
      const stamp = `cw-${Date.now()}`;
      a.kube.resetStats();
      await a.restarter.restart(refs, stamp);
      expect(a.kube.stats.byWhat.patch).toBe(WAVE.length);
      expect(a.kube.stats.byWhat.list).toBe(1);
      a.kube.resetStats();
      await a.restarter.waitForRollouts(refs, { timeoutMs: 180_000 });
      expect(a.kube.stats.byWhat.list).toBe(1);
      expect(a.kube.stats.watches).toBeLessThanOrEqual(2);
      for (const ns of WAVE) {
        const d = await a.kube.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        expect(d.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBe(stamp);
        expect(d.status?.updatedReplicas).toBe(1);
      }
      const out = await a.kube.apps.readNamespacedDeployment({ name: 'web', namespace: OUTSIDE });
      expect(out.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
      expect(out.metadata?.generation).toBe(genOut);
    },
  );
});
