// Benchmark: one wave of 100 Deployments in 10 namespaces on the test cluster (test/cluster), two ways,
// in the same run, on the same Deployments, WAVE_SAMPLES times each in alternating order (bot, floor,
// bot, floor, …), medians printed:
//   bot   – KubeRestarter.restart + waitForRollouts (+ the sidecar verification) as the engine runs it;
//   floor – the cluster's own rollout time for the same restarts: every restartedAt patch issued at
//           once, then one cluster-wide watch until all are rolled out (bench/floor.ts).
// The controller-manager's client rate limit bounds the floor: it is printed in the header
// (CLUSTER_CM_QPS / CLUSTER_CM_BURST of test/cluster/up.sh reproduce a figure).
// The earlier "manual script" figure (kubectl rollout restart + one `kubectl rollout status` process
// per Deployment) is gone: it measured mostly 100 kubectl process start-ups, not rollouts.
// Plus the bot's Kubernetes API requests per workload. Targets: bot ≤ 1.2× floor, ≤ 3 requests per
// workload plus watches. Needs the cluster; without it, says why and skips.
import type { ClusterAdapters } from '../src/cluster/registry.js';
import type { WorkloadRef } from '../src/engine/ports.js';
import { adapters, deployment, suffix } from '../test/cluster-adapters/cluster-support.js';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  istioVersions,
  kubeconfigPath,
  revisionOf,
  waitForWebhooksOnStandin,
} from '../test/support/cluster-harness.js';
import { controllerManagerLimits, floor, median, sec } from './floor.js';

const NAMESPACES = Number(process.env.WAVE_NAMESPACES ?? 10);
const PER_NS = Number(process.env.WAVE_DEPLOYMENTS_PER_NS ?? 10);
const SAMPLES = Number(process.env.WAVE_SAMPLES ?? 3);
// KWOK pods are Ready at once; real pods take seconds (image pull, probes). WAVE_MIN_READY_SECONDS
// gives every Deployment that latency (minReadySeconds) to compare the two ways under it.
const MIN_READY = Number(process.env.WAVE_MIN_READY_SECONDS ?? 0);
const TIMEOUT = 15 * 60_000;

async function bot(a: ClusterAdapters, refs: WorkloadRef[], namespaces: string[], revision: string | null) {
  a.kube.resetStats();
  const t0 = performance.now();
  await a.restarter.restart(refs, `bench-bot-${Date.now()}`);
  const tRestart = performance.now() - t0;
  await a.restarter.waitForRollouts(refs, { timeoutMs: TIMEOUT });
  const tWait = performance.now() - t0;
  if (revision) await a.inspector.verifyRevision(namespaces, revision, refs);
  else await a.inspector.sidecars(namespaces);
  const total = performance.now() - t0;
  return { total, tRestart, tWait, stats: { ...a.kube.stats, byWhat: { ...a.kube.stats.byWhat } } };
}

export default async function wave(): Promise<void> {
  // WAVE_KUBECONFIG: run against another (throw-away!) cluster instead of the harness's.
  const other = process.env.WAVE_KUBECONFIG;
  let startedHere = false;
  if (!other) {
    const s = clusterStatus();
    if (!s.available) {
      console.log(`wave benchmark SKIPPED: the test cluster is not available: ${s.reason}`);
      return;
    }
    // a cluster asked for with another controller-manager rate limit replaces the running one
    startedHere = !s.running || !!(process.env.CLUSTER_CM_QPS || process.env.CLUSTER_CM_BURST);
    await clusterUp();
  }
  const kubeconfig = other ?? kubeconfigPath();
  const a = adapters({ kubeconfig });
  const versions = istioVersions();
  const version = versions[versions.length - 1]!;
  let revision: string | null = revisionOf(version);
  try {
    if (!(await a.inspector.controlPlanes()).some((p) => p.revision === revision && p.ready)) {
      await a.installer.install(version, revision);
      await waitForWebhooksOnStandin();
    }
  } catch (e) {
    console.log(`(no injection: installing ${revision} failed: ${(e as Error).message.split('\n')[0]})`);
    revision = null;
  }
  const tag = suffix();
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${tag}-${i}`);
  const refs: WorkloadRef[] = namespaces.flatMap((ns) =>
    Array.from({ length: PER_NS }, (_, j) => ({
      kind: 'Deployment' as const,
      namespace: ns,
      name: `app-${j}`,
    })),
  );
  try {
    for (const ns of namespaces) {
      await a.kube.core.createNamespace({
        body: { metadata: { name: ns, labels: revision ? { 'istio.io/rev': revision } : {} } },
      });
    }
    await Promise.all(
      refs.map((r) =>
        a.kube.apps.createNamespacedDeployment({
          namespace: r.namespace,
          body: deployment(r.namespace, r.name, 1, { minReadySeconds: MIN_READY }),
        }),
      ),
    );
    await a.restarter.waitForRollouts(refs, { timeoutMs: TIMEOUT });
    console.log(
      `wave: ${refs.length} Deployments (1 replica, minReadySeconds ${MIN_READY}) in ${namespaces.length} namespaces, injection ${revision ?? 'off'}`,
    );

    const cm = controllerManagerLimits();
    console.log(
      `controller-manager --kube-api-qps ${cm.qps} --kube-api-burst ${cm.burst}; ${SAMPLES} samples each, alternating bot, floor`,
    );
    const bots: Awaited<ReturnType<typeof bot>>[] = [];
    const floors: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const b = await bot(a, refs, namespaces, revision);
      bots.push(b);
      const f = await floor(a.kube, refs, `bench-floor-${Date.now()}`);
      floors.push(f);
      console.log(
        `  sample ${i + 1}: bot ${sec(b.total)} (restart ${sec(b.tRestart)}, rollouts done ${sec(b.tWait)}), floor ${sec(f)}`,
      );
    }
    const n = refs.length;
    const mBot = median(bots.map((b) => b.total));
    const mDone = median(bots.map((b) => b.tWait));
    const mFloor = median(floors);
    const b = bots[0]!;
    const perWorkload = b.stats.requests / n;
    console.table({
      floor: { 'median time': sec(mFloor), 'vs floor': '1.00×', samples: floors.map(sec).join(', ') },
      'bot, rollouts done': {
        'median time': sec(mDone),
        'vs floor': `${(mDone / mFloor).toFixed(2)}×`,
        samples: bots.map((x) => sec(x.tWait)).join(', '),
      },
      'bot, verified': {
        'median time': sec(mBot),
        'vs floor': `${(mBot / mFloor).toFixed(2)}×`,
        samples: bots.map((x) => sec(x.total)).join(', '),
      },
    });
    console.log(
      `bot requests (sample 1): ${b.stats.requests} (${perWorkload.toFixed(2)}/workload: ${JSON.stringify(b.stats.byWhat)}) + ${b.stats.watches} watches`,
    );
    const ok = (c: boolean) => (c ? 'met' : 'MISSED');
    console.log(
      `targets: bot ≤ 1.2× floor (medians): ${ok(mBot <= 1.2 * mFloor)} (${(mBot / mFloor).toFixed(2)}×); ` +
        `≤ 3 requests/workload: ${ok(perWorkload <= 3)} (${perWorkload.toFixed(2)})`,
    );
  } finally {
    await Promise.all(
      namespaces.map((ns) => a.kube.core.deleteNamespace({ name: ns }).catch(() => undefined)),
    );
    // leave no cluster behind that this run started (the tests would find its revisions installed)
    if (startedHere) await clusterDown();
  }
}
