// The mesh of bench/scale.bench.ts on the test cluster: the old revision installed with the real
// istioctl, N namespaces on it, M 1-replica Deployments (KWOK pods, injected by the stand-in) each.
import type { KubeClient } from '../src/cluster/kube/client.js';
import type { WorkloadRef } from '../src/engine/ports.js';
import { deployment } from '../test/cluster-adapters/cluster-support.js';
import {
  istioctl,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../test/support/cluster-harness.js';
import { rolledOut } from './floor.js';

export interface ScaleSize {
  namespaces: number;
  perNamespace: number;
  waveNamespaces: number;
}

/** `--namespaces N --per-namespace M --wave-namespaces W` (after `npm run bench -- scale`), or env. */
export function sizeFromArgs(argv: string[]): ScaleSize {
  const flag = (name: string, env: string, dflt: number): number => {
    const i = argv.indexOf(`--${name}`);
    const raw = i >= 0 ? argv[i + 1] : process.env[env];
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name} (${env}) must be a whole number of at least 1, not "${raw}"`);
    return n;
  };
  return {
    namespaces: flag('namespaces', 'SCALE_NAMESPACES', 300),
    perNamespace: flag('per-namespace', 'SCALE_PER_NAMESPACE', 10),
    waveNamespaces: flag('wave-namespaces', 'SCALE_WAVE_NAMESPACES', 50),
  };
}

/** Runs `fn` over `items`, `n` at a time. */
export async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function buildMesh(
  kube: KubeClient,
  size: ScaleSize,
  old: { version: string; revision: string },
): Promise<{ namespaces: string[]; refs: WorkloadRef[] }> {
  await istioctl(old.version, ['install', '--set', `revision=${old.revision}`, '-y'], 600_000);
  await waitForWebhooksOnStandin();
  await waitForDeploymentAvailable('istio-system', `istiod-${old.revision}`);
  const namespaces = Array.from({ length: size.namespaces }, (_, i) => `scale-${String(i).padStart(3, '0')}`);
  const refs: WorkloadRef[] = namespaces.flatMap((namespace) =>
    Array.from({ length: size.perNamespace }, (_, j) => ({
      kind: 'Deployment' as const,
      namespace,
      name: `app-${j}`,
    })),
  );
  await pool(namespaces, 16, (name) =>
    kube.request(
      `create Namespace ${name}`,
      (o) =>
        kube.core.createNamespace(
          { body: { metadata: { name, labels: { 'istio.io/rev': old.revision } } } },
          o,
        ),
      { idempotent: false },
    ),
  );
  await pool(refs, 32, (r) =>
    kube.request(
      `create Deployment ${r.namespace}/${r.name}`,
      (o) =>
        kube.apps.createNamespacedDeployment(
          { namespace: r.namespace, body: deployment(r.namespace, r.name, 1) },
          o,
        ),
      { idempotent: false },
    ),
  );
  await rolledOut(kube, refs);
  return { namespaces, refs };
}
