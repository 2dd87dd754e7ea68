// Scenario 9 (issue 10, item 4), end to end: a pod left on the old revision blocks the finish's
// uninstall, with the pod named; Failed and Succeeded pods on the old revision do not count (Sail
// Operator #839, #2100). sc9-a holds a Deployment (moved by the wave); sc9-b was meshed on the old
// revision and then left (label removed, pods not restarted): its three bare pods were injected with
// the old revision by the injector stand-in, one Running, one Failed, one Succeeded (phases set
// through the status subresource, as the kubelet reports them). (A pod left in a wave's namespace
// stops that wave's verify_sidecars first, so the finish is reached only with pods outside the waves.) Slack emulator → Bolt →
// REAL engine → REAL cluster adapters and REAL istioctl (1.25.3 → 1.31-dev).
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../support/cluster-harness.js';
import { waitUntil } from '../support/engine-harness.js';
import {
  api,
  approve,
  CH,
  createApps,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  startScenario,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const NS = 'sc9-a';
const LEFT_NS = 'sc9-b';
const LEFT = 'leftover';
const ENDED = { 'job-failed': 'Failed', 'job-done': 'Succeeded' } as const;

const barePod = (name: string): V1Pod => ({
  metadata: { name, namespace: LEFT_NS, labels: { app: name } },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
  },
});

describe.skipIf(!cluster.available)('scenario 9: a pod left on the old revision blocks the finish', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  let s: Scenario;
  const t0 = Date.now();
  const revisionOf = (p: V1Pod) =>
    JSON.parse(p.metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}').revision as string | undefined;
  const read = (name: string) => api().core.readNamespacedPodStatus({ name, namespace: LEFT_NS });

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await createApps([NS], { 'istio.io/rev': R_OLD }, ['web']);
    await expectPodsOn([NS], R_OLD, OLD, 1);
    const { core } = api();
    await core.createNamespace({ body: { metadata: { name: LEFT_NS, labels: { 'istio.io/rev': R_OLD } } } });
    for (const name of [LEFT, ...Object.keys(ENDED)])
      await core.createNamespacedPod({ namespace: LEFT_NS, body: barePod(name) });
    for (const name of [LEFT, ...Object.keys(ENDED)])
      await waitFor(`${name} running`, async () => {
        const p = await read(name);
        return p.status?.phase === 'Running' && p.status.podIP ? true : undefined;
      });
    for (const [name, phase] of Object.entries(ENDED)) {
      const cur = await read(name);
      cur.status = {
        ...cur.status,
        phase,
        containerStatuses: (cur.status?.containerStatuses ?? []).map((c) => ({
          ...c,
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode: phase === 'Failed' ? 1 : 0,
              reason: phase === 'Failed' ? 'Error' : 'Completed',
              finishedAt: new Date(),
            },
          },
        })),
      };
      await core.replaceNamespacedPodStatus({ name, namespace: LEFT_NS, body: cur });
    }
    // sc9-b leaves the mesh; its pods keep their sidecars until restarted
    const left = await core.readNamespace({ name: LEFT_NS });
    left.metadata = { ...left.metadata, labels: {} };
    await core.replaceNamespace({ name: LEFT_NS, body: left });
    s = await startScenario();
    console.log(`[scenario 9] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    if (cluster.available) await resetMesh();
    console.log(`[scenario 9] total ${secs(t0)} s`);
  });

  it('the three bare pods were injected with the old revision, one Running, one Failed, one Succeeded', async () => {
    const all = [LEFT, ...Object.keys(ENDED)];
    const got = await Promise.all(
      all.map(async (n) => [n, (await read(n)).status?.phase, revisionOf(await read(n))]),
    );
    expect(got).toEqual([
      [LEFT, 'Running', R_OLD],
      ['job-failed', 'Failed', R_OLD],
      ['job-done', 'Succeeded', R_OLD],
    ]);
  });

  it(
    'stops before the uninstall naming only the live pod; once it is gone a retry finishes',
    LONG,
    async () => {
      const id = await requestUpgrade(s, `upgrade ${NEW} --waves "${NS}"`);
      await approve(s, id, 'wave 1');
      await approve(s, id, 'finish');
      const stopped = await waitUntil(async () => {
        const r = await s.bot.engine.service.get(id);
        if (r?.state === 'done') throw new Error(`${id} finished although ${LEFT_NS}/${LEFT} is on ${R_OLD}`);
        return r?.state === 'stopped' ? r : null;
      }, 300_000);
      expect(stopped.stopped, dumpThread(s, stopped)).toMatchObject({
        step: 'check_old_unused',
        code: 'verify_failed',
        cause: expect.stringContaining(`1 pod(s) still use the old revision ${R_OLD}: ${LEFT_NS}/${LEFT}.`),
      });
      for (const n of Object.keys(ENDED)) expect(stopped.stopped?.cause).not.toContain(n);
      // nothing uninstalled: both control planes are there
      expect(await istiods()).toEqual([`istiod-${R_NEW}`, `istiod-${R_OLD}`].sort());

      await api().core.deleteNamespacedPod({ name: LEFT, namespace: LEFT_NS, gracePeriodSeconds: 0 });
      await waitFor(`${LEFT} gone`, async () =>
        (await api().core.listNamespacedPod({ namespace: LEFT_NS })).items.every(
          (p) => p.metadata?.name !== LEFT,
        )
          ? true
          : undefined,
      );
      const r = await s.emu.command({ user: USERS.alice, channel: CH.ops, text: `retry ${id}` });
      expect(r.status).toBe(200);
      await waitUntil(async () => (await s.bot.engine.service.get(id))?.state !== 'stopped', 30_000).catch(
        async (e) => {
          console.log(JSON.stringify((await record(s, id)).audit.slice(-3)));
          throw e;
        },
      );
      const end = await waitForState(s, id, (x) => x.state === 'done', 300_000).catch(async (e) => {
        console.log(dumpThread(s, await record(s, id)));
        throw e;
      });
      expect(end.state).toBe('done');
      await expectUninstalled(R_OLD);
      expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
      // the ended pods are still there, still on the old revision: they did not block the uninstall
      for (const [n, phase] of Object.entries(ENDED)) {
        const p = await read(n);
        expect([p.status?.phase, revisionOf(p)]).toEqual([phase, R_OLD]);
      }
    },
  );
});
