// Shared by the cluster adapter tests and bench/wave.bench.ts: whether the real cluster (test/cluster,
// test/support/cluster-harness.ts) can be used, the adapters wired to it, and workload factories.
import { join } from 'node:path';
import { KubeConfig, type V1DaemonSet, type V1Deployment, type V1StatefulSet } from '@kubernetes/client-node';
import { type ClusterAdapters, createClusterAdapters } from '../../src/cluster/registry.js';
import { createLogger } from '../../src/log.js';
import { isCI } from '../support/ci.js';
import {
  clusterDown,
  clusterEnv,
  clusterStatus,
  clusterUp,
  kubeconfigPath,
  notRunBanner,
} from '../support/cluster-harness.js';

export interface Gate {
  run: boolean;
  reason: string;
  /** This run started the cluster: stop it at the end (unless E2E_KEEP_CLUSTER=1). */
  startedHere: boolean;
}

/**
 * Starts a fresh test cluster when its binaries are built: one left running (by the benchmark,
 * `npm run cluster:up` or an earlier run) is replaced, since what it holds (revisions, webhooks the
 * stand-in rewrote) breaks the install these tests start with; CLUSTER_REUSE=1 reuses it instead.
 * When the binaries are missing: a loud notice, and with CI=true a thrown error (the run fails)
 * instead of a silent skip.
 */
export async function clusterGate(what: string): Promise<Gate> {
  const s = clusterStatus();
  if (!s.available) {
    console.warn(`\n${notRunBanner(`${what}: ${s.reason}`)}\n`);
    if (isCI()) throw new Error(`${what} cannot run: ${s.reason}`);
    return { run: false, reason: s.reason, startedHere: false };
  }
  const reuse = s.running && process.env.CLUSTER_REUSE === '1';
  if (s.running && !reuse) await clusterDown();
  await clusterUp();
  return { run: true, reason: '', startedHere: !reuse };
}

/** Stops the cluster if this run started it (E2E_KEEP_CLUSTER=1 keeps it, as the e2e suite does). */
export async function releaseCluster(gate: Gate): Promise<void> {
  if (gate.startedHere && process.env.E2E_KEEP_CLUSTER !== '1') await clusterDown();
}

export function adapters(
  opts: {
    proxyStatusSource?: 'istioctl' | 'syncz' | 'kubernetes';
    watchTimeoutSeconds?: number;
    /** Another cluster than the harness's (the benchmark's WAVE_KUBECONFIG). */
    kubeconfig?: string;
  } = {},
): ClusterAdapters {
  const kubeconfig = opts.kubeconfig ?? kubeconfigPath();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const cluster = { name: 'e2e', context: kc.getCurrentContext(), kubeconfig };
  return createClusterAdapters(cluster, {
    clusters: [cluster],
    // the harness's wrappers: $stateDir/bin/istioctl-<version> (real istioctl; `ps` by the stand-in)
    istioctlDir: join(clusterEnv().stateDir, 'bin'),
    istioctlTimeoutMs: 600_000,
    proxyStatusSource: opts.proxyStatusSource ?? 'istioctl',
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
    ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
  });
}

const PAUSE = 'registry.k8s.io/pause:3.10';
const template = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
) => ({
  metadata: { labels: { app: name, ...labels }, annotations },
  spec: { containers: [{ name: 'app', image: PAUSE }], terminationGracePeriodSeconds: 0 },
});

export function deployment(
  namespace: string,
  name: string,
  replicas = 1,
  extra: Partial<V1Deployment['spec']> & {
    podLabels?: Record<string, string>;
    podAnnotations?: Record<string, string>;
  } = {},
): V1Deployment {
  const { podLabels, podAnnotations, ...spec } = extra;
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: template(name, podLabels, podAnnotations),
      ...spec,
    } as V1Deployment['spec'],
  };
}

export function statefulSet(
  namespace: string,
  name: string,
  replicas = 1,
  strategy = 'RollingUpdate',
): V1StatefulSet {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name),
      updateStrategy: { type: strategy },
    } as V1StatefulSet['spec'],
  };
}

export function daemonSet(namespace: string, name: string): V1DaemonSet {
  return {
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: template(name) } as V1DaemonSet['spec'],
  };
}

export const suffix = (): string => Math.random().toString(36).slice(2, 7);
