// Benchmark: one wave of 100 Deployments in 10 namespaces on the test cluster (test/cluster), three ways:
//   floor  – every restart patch issued at once, then one cluster-wide watch until all are rolled out;
//   bot    – KubeRestarter.restart + waitForRollouts (+ the sidecar verification) as the engine runs it;
//   script – the manual way: per namespace `kubectl rollout restart deployment` then
//            `kubectl rollout status deployment/<name>` for each, namespace by namespace.
// Plus the bot's Kubernetes API requests per workload. Targets: bot ≤ 1.2× floor, ≥ 3× faster than the
// script, ≤ 3 requests per workload plus watches. Needs the cluster; without it, says why and skips.
import type { V1Deployment } from '@kubernetes/client-node';
import { execa } from 'execa';
import { MERGE_PATCH } from '../src/cluster/kube/client.js';
import { RESTARTED_AT } from '../src/cluster/kube/restart.js';
import { deploymentStatus } from '../src/cluster/kube/rollout-status.js';
import { listWatch } from '../src/cluster/kube/watch.js';
import type { ClusterAdapters } from '../src/cluster/registry.js';
import type { WorkloadRef } from '../src/engine/ports.js';
import { adapters, deployment, suffix } from '../test/cluster-adapters/cluster-support.js';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  istioVersions,
  kubeconfigPath,
  kubectlPath,
  revisionOf,
  waitForWebhooksOnStandin,
} from '../test/support/cluster-harness.js';

const NAMESPACES = Number(process.env.WAVE_NAMESPACES ?? 10);
const PER_NS = Number(process.env.WAVE_DEPLOYMENTS_PER_NS ?? 10);
// KWOK pods are Ready at once; real pods take seconds (image pull, probes). WAVE_MIN_READY_SECONDS
// gives every Deployment that latency (minReadySeconds) to compare the three ways under it.
const MIN_READY = Number(process.env.WAVE_MIN_READY_SECONDS ?? 0);
const TIMEOUT = 15 * 60_000;

async function floor(a: ClusterAdapters, refs: WorkloadRef[]): Promise<number> {
  const stamp = new Date().toISOString();
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } };
  const want = new Set(refs.map((r) => `${r.namespace}/${r.name}`));
  const done = new Set<string>();
  const t0 = performance.now();
  // every restart at once (no concurrency bound) ...
  await Promise.all(
    refs.map((r) =>
      a.kube.apps.patchNamespacedDeployment({ name: r.name, namespace: r.namespace, body }, MERGE_PATCH),
    ),
  );
  // ... then one cluster-wide list + watch (resumed if the server closes it) until all are rolled out
  const stop = new AbortController();
  await new Promise<void>((resolve, reject) => {
    const seen = (d: V1Deployment) => {
      const k = `${d.metadata?.namespace}/${d.metadata?.name}`;
      if (want.has(k) && deploymentStatus(d).done) done.add(k);
      if (done.size === want.size) resolve();
    };
    listWatch<V1Deployment>({
      client: a.kube,
      what: 'Deployments',
      path: '/apis/apps/v1/deployments',
      list: () => a.kube.apps.listDeploymentForAllNamespaces({}),
      onList: (items) => items.forEach(seen),
      onEvent: (_t, d) => seen(d),
      signal: stop.signal,
    }).catch(reject);
  });
  stop.abort();
  return performance.now() - t0;
}

async function bot(a: ClusterAdapters, refs: WorkloadRef[], namespaces: string[], revision: string | null) {
  a.kube.resetStats();
  const t0 = performance.now();
  await a.restarter.restart(refs, new Date().toISOString());
  const tRestart = performance.now() - t0;
  await a.restarter.waitForRollouts(refs, { timeoutMs: TIMEOUT });
  const tWait = performance.now() - t0;
  if (revision) await a.inspector.verifyRevision(namespaces, revision, refs);
  else await a.inspector.sidecars(namespaces);
  const total = performance.now() - t0;
  return { total, tRestart, tWait, stats: { ...a.kube.stats, byWhat: { ...a.kube.stats.byWhat } } };
}

async function script(namespaces: string[], kubeconfig: string): Promise<number> {
  const env = { KUBECONFIG: kubeconfig };
  const k = (args: string[]) => execa(kubectlPath(), args, { env, timeout: TIMEOUT });
  const t0 = performance.now();
  for (const ns of namespaces) {
    await k(['rollout', 'restart', 'deployment', '-n', ns]);
    const names = (await k(['get', 'deployment', '-n', ns, '-o', 'name'])).stdout.split('\n').filter(Boolean);
    for (const n of names) await k(['rollout', 'status', n, '-n', ns, '--timeout=10m']);
  }
  return performance.now() - t0;
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
    startedHere = !s.running;
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

    const f = await floor(a, refs);
    const b = await bot(a, refs, namespaces, revision);
    const sc = await script(namespaces, kubeconfig);
    const n = refs.length;
    const perWorkload = b.stats.requests / n;
    const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.table({
      floor: { time: sec(f), 'vs floor': '1.00×' },
      bot: { time: sec(b.total), 'vs floor': `${(b.total / f).toFixed(2)}×` },
      script: { time: sec(sc), 'vs floor': `${(sc / f).toFixed(2)}×` },
    });
    console.log(
      `bot: restart ${sec(b.tRestart)}, rollouts done ${sec(b.tWait)}, verified ${sec(b.total)}; ` +
        `${b.stats.requests} requests (${perWorkload.toFixed(2)}/workload: ${JSON.stringify(b.stats.byWhat)}) + ${b.stats.watches} watches`,
    );
    const ok = (c: boolean) => (c ? 'met' : 'MISSED');
    console.log(
      `targets: bot ≤ 1.2× floor: ${ok(b.total <= 1.2 * f)} (${(b.total / f).toFixed(2)}×); ` +
        `≥ 3× faster than the script: ${ok(sc >= 3 * b.total)} (${(sc / b.total).toFixed(1)}×); ` +
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
