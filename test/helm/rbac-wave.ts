// Chart RBAC, call path 2: the cluster adapters of a wave as the chart's ServiceAccount — inspect,
// relabel, restart, watch the rollout, verify, proxy-status. Run in order by test/helm/rbac.test.ts.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { WorkloadRef } from '../../src/engine/ports.js';
import { deployment } from '../cluster-adapters/cluster-support.js';
import type { RbacRun } from './rbac-context.js';

export async function moveWave(r: RbacRun): Promise<void> {
  const { a, admin, APPS, TAG } = r;
  const wave: WorkloadRef[] = [{ kind: 'Deployment', namespace: APPS, name: 'web' }];
  const apps = admin.makeApiClient(AppsV1Api);
  const core = admin.makeApiClient(CoreV1Api);
  await core.patchNamespace({
    name: APPS,
    body: [{ op: 'add', path: '/metadata/labels', value: { 'istio.io/rev': TAG } }],
  });
  await apps.createNamespacedDeployment({ namespace: APPS, body: deployment(APPS, 'web', 2) });
  await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000 });
  expect((await a.inspector.namespaces()).find((n) => n.name === APPS)).toEqual({
    name: APPS,
    injection: null,
    rev: TAG,
  });
  expect((await a.inspector.workloads([APPS])).map((w) => w.name)).toEqual(['web']);
  for (const p of await a.inspector.sidecars([APPS]))
    expect([p.revision, p.proxyVersion]).toEqual([r.R_OLD, r.OLD]);
  const before = await a.proxyStatus.capture([r.R_OLD, r.R_NEW]);
  expect(before.join('\n')).toContain(`.${APPS}`);

  await a.mover.point(APPS, { revision: r.R_NEW });
  await a.restarter.restart(wave, new Date().toISOString());
  await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000 });
  const v = await a.inspector.verifyRevision([APPS], r.R_NEW, wave);
  expect(v.checked).toBe(2);
  for (const p of await a.inspector.sidecars([APPS])) expect(p.proxyVersion).toBe(r.NEW);
  expect((await a.proxyStatus.capture([r.R_OLD, r.R_NEW])).join('\n')).toContain(`.${APPS}`);
}
