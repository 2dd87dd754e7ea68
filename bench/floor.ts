// The cluster's own floor for a wave of restarts (shared by wave.bench.ts and scale.bench.ts): every
// Deployment's restartedAt annotation patched at once (no concurrency bound), then ONE cluster-wide
// list + watch until every one of them is rolled out (kubectl's rule: rollout-status.ts). Nothing the
// bot does can be faster than the controller-manager rolling the same Deployments out, so the bot's
// wave is measured against this, in the same run, on the same Deployments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { type KubeClient, mergePatch } from '../src/cluster/kube/client.js';
import { RESTARTED_AT } from '../src/cluster/kube/restart.js';
import { deploymentStatus } from '../src/cluster/kube/rollout-status.js';
import { listWatch } from '../src/cluster/kube/watch.js';
import type { WorkloadRef } from '../src/engine/ports.js';
import { clusterEnv } from '../test/support/cluster-harness.js';

export async function floor(kube: KubeClient, refs: WorkloadRef[], stamp: string): Promise<number> {
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } };
  const t0 = performance.now();
  // all at once; an apiserver that sheds some of them (429) is asked again after its Retry-After
  await Promise.all(
    refs.map((r) =>
      kube.request(`patch ${r.namespace}/${r.name}`, (o) =>
        kube.apps.patchNamespacedDeployment({ name: r.name, namespace: r.namespace, body }, mergePatch(o)),
      ),
    ),
  );
  await rolledOut(kube, refs);
  return performance.now() - t0;
}

/** Resolves once every one of `refs` is rolled out, seen through one cluster-wide list + watch. */
export async function rolledOut(kube: KubeClient, refs: WorkloadRef[]): Promise<void> {
  const want = new Set(refs.map((r) => `${r.namespace}/${r.name}`));
  const done = new Set<string>();
  const stop = new AbortController();
  try {
    await new Promise<void>((resolve, reject) => {
      const seen = (d: V1Deployment) => {
        const k = `${d.metadata?.namespace}/${d.metadata?.name}`;
        if (!want.has(k)) return;
        if (deploymentStatus(d).done) done.add(k);
        else done.delete(k);
        if (done.size === want.size) resolve();
      };
      listWatch<V1Deployment>({
        client: kube,
        what: 'Deployments',
        path: '/apis/apps/v1/deployments',
        list: (o) => kube.apps.listDeploymentForAllNamespaces({}, o),
        onList: (items) => items.forEach(seen),
        onEvent: (_t, d) => seen(d),
        signal: stop.signal,
      }).catch(reject);
    });
  } finally {
    stop.abort();
  }
}

/** The running cluster's controller-manager rate limit, as test/cluster/up.sh started it. */
export function controllerManagerLimits(): { qps: string; burst: string } {
  let env = '';
  try {
    env = readFileSync(join(clusterEnv().stateDir, 'cluster.env'), 'utf8');
  } catch {
    // no cluster.env: not started by up.sh (WAVE_KUBECONFIG) — unknown
  }
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(env)?.[1] ?? 'unknown';
  return { qps: get('CLUSTER_CM_QPS'), burst: get('CLUSTER_CM_BURST') };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
