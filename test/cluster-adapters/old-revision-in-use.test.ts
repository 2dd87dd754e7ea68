// "Old revision still in use" on the REAL kube-apiserver (issue 10, item 4): pods whose sidecar is on
// the old revision (the `sidecar.istio.io/status` annotation as the injector writes it) in the phases
// Running, Failed and Succeeded — set through the status subresource, as the kubelet would. Only the
// live pod is reported by the inspector, and the finish's `check_old_unused` step refuses the
// uninstall naming exactly that pod; once it is gone, the step passes (Sail Operator #839, #2100:
// completed Job pods must not block the removal of a revision).
// Without the cluster binaries: a loud notice (CI=true: failure).
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { StepFailure } from '../../src/engine/runtime.js';
import type { StepContext } from '../../src/engine/steps/context.js';
import { checkOldUnused } from '../../src/engine/steps/finish.js';
import { waitFor } from '../support/cluster-harness.js';
import { adapters, clusterGate, releaseCluster, suffix } from './cluster-support.js';

const gate = await clusterGate(
  'old-revision-in-use tests (test/cluster-adapters/old-revision-in-use.test.ts)',
);
const S = suffix();
const NS = `oldrev-${S}`;
// A revision no other pod of the cluster can be on (the finish reads every namespace).
const OLD_REV = `1-25-3-${S}`;
const NEW_REV = `1-31-dev-${S}`;
const PODS = { live: 'job-live', failed: 'job-failed', succeeded: 'job-done' } as const;

const sidecarStatus = JSON.stringify({
  initContainers: ['istio-init'],
  containers: ['istio-proxy'],
  volumes: ['istio-envoy'],
  imagePullSecrets: null,
  revision: OLD_REV,
});

const pod = (name: string): V1Pod => ({
  metadata: {
    name,
    namespace: NS,
    labels: { app: name, 'istio.io/rev': OLD_REV },
    annotations: { 'sidecar.istio.io/status': sidecarStatus, 'istio.io/rev': OLD_REV },
  },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'app', image: 'registry.k8s.io/pause:3.10' },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.25.3' },
    ],
  },
});

describe.skipIf(!gate.run)('old revision still in use (real kube-apiserver)', () => {
  let a: ClusterAdapters;
  const phaseOf = async (name: string) =>
    (await a.kube.core.readNamespacedPodStatus({ name, namespace: NS })).status?.phase;

  const ctx = (): StepContext =>
    ({
      record: {
        id: `up-${S}`,
        from: { version: '1.25.3', revision: OLD_REV },
        to: { version: '1.31-dev', revision: NEW_REV },
      } as UpgradeRecord,
      ports: a,
      signal: new AbortController().signal,
    }) as unknown as StepContext;

  beforeAll(async () => {
    a = adapters();
    await a.kube.core.createNamespace({ body: { metadata: { name: NS } } });
    for (const name of Object.values(PODS))
      await a.kube.core.createNamespacedPod({ namespace: NS, body: pod(name) });
    // KWOK schedules and starts them (Running with a pod IP; after that it leaves their status alone).
    for (const name of Object.values(PODS))
      await waitFor(`${name} Running`, async () => {
        const p = await a.kube.core.readNamespacedPodStatus({ name, namespace: NS });
        return p.status?.phase === 'Running' && p.status.podIP ? true : undefined;
      });
    // Two of them end, as the kubelet reports it: through the status subresource.
    for (const [name, phase, exitCode] of [
      [PODS.failed, 'Failed', 1],
      [PODS.succeeded, 'Succeeded', 0],
    ] as const) {
      const cur = await a.kube.core.readNamespacedPodStatus({ name, namespace: NS });
      const finishedAt = new Date();
      cur.status = {
        ...cur.status,
        phase,
        conditions: (cur.status?.conditions ?? []).map((c) =>
          c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c,
        ),
        containerStatuses: (cur.status?.containerStatuses ?? []).map((c) => ({
          ...c,
          ready: false,
          started: false,
          state: { terminated: { exitCode, reason: phase === 'Failed' ? 'Error' : 'Completed', finishedAt } },
        })),
      };
      await a.kube.core.replaceNamespacedPodStatus({ name, namespace: NS, body: cur });
    }
  }, 120_000);

  afterAll(async () => {
    if (a) await a.kube.core.deleteNamespace({ name: NS }).catch(() => undefined);
    await releaseCluster(gate);
  }, 300_000);

  it('the apiserver holds one pod per phase, all three with a sidecar on the old revision', async () => {
    expect({
      live: await phaseOf(PODS.live),
      failed: await phaseOf(PODS.failed),
      succeeded: await phaseOf(PODS.succeeded),
    }).toEqual({ live: 'Running', failed: 'Failed', succeeded: 'Succeeded' });
    const all = await a.kube.core.listNamespacedPod({ namespace: NS });
    expect(
      all.items.map((p) => JSON.parse(p.metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}').revision),
    ).toEqual([OLD_REV, OLD_REV, OLD_REV]);
  });

  it('sidecars() reports only the live pod', async () => {
    const s = await a.inspector.sidecars([NS]);
    expect(s.map((p) => [p.namespace, p.pod, p.revision])).toEqual([[NS, PODS.live, OLD_REV]]);
    // the two ended pods are still there (not gone by chance): they are skipped for their phase
    expect([await phaseOf(PODS.failed), await phaseOf(PODS.succeeded)]).toEqual(['Failed', 'Succeeded']);
  });

  it('the finish refuses to uninstall the old revision, naming only the live pod', async () => {
    const e = await checkOldUnused(ctx()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailure);
    const msg = (e as StepFailure).message;
    expect(msg).toContain(`1 pod(s) still use the old revision ${OLD_REV}: ${NS}/${PODS.live}.`);
    expect(msg).not.toContain(PODS.failed);
    expect(msg).not.toContain(PODS.succeeded);
  });

  it('with the live pod gone, the finish passes although the ended pods remain', async () => {
    await a.kube.core.deleteNamespacedPod({ name: PODS.live, namespace: NS, gracePeriodSeconds: 0 });
    await waitFor(`${PODS.live} deleted`, async () =>
      (await a.kube.core.listNamespacedPod({ namespace: NS })).items.some(
        (p) => p.metadata?.name === PODS.live,
      )
        ? undefined
        : true,
    );
    expect(await checkOldUnused(ctx())).toEqual({ detail: `no pod uses ${OLD_REV}` });
    expect([await phaseOf(PODS.failed), await phaseOf(PODS.succeeded)]).toEqual(['Failed', 'Succeeded']);
  });
});
