// Scenarios 8.4–8.5 (issue 11), end to end on one mesh (two namespaces of three Deployments):
// 8.4 API faults: the bot's Kubernetes client reaches the REAL kube-apiserver through the fault proxy
//     stand-in (test/support/kube-fault-proxy.ts), which answers 10% of requests with 429
//     (Retry-After), 500 or a reset and stalls one restart for 30 s, during a two-wave upgrade
//     1.25.3 → 1.31-dev to the end. istioctl goes DIRECT to the apiserver (test/support/istioctl-direct.sh):
//     istioctl install is a long series of writes that client-go does not retry on a 500 or a reset.
//     The upgrade completes and each workload is restarted exactly once per wave.
// 8.5 Redis restarted mid-wave: the bot's engine uses a redis-server of its own (AOF everysec, a dir of
//     its own), which is SIGKILLed while wave 1's restarts are under way (after exactly one, the next
//     held by test/support/restart-gate.ts) and started again on the same port and dir. The downgrade
//     back to 1.25.3 resumes and completes; no workload is restarted twice.
// Slack emulator → Bolt → REAL engine → REAL cluster adapters and istioctl (1.25.3 ↔ 1.31-dev).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterEnv, kubeconfigPath, waitFor } from '../support/cluster-harness.js';
import { directIstioctlDir, LogTap, RedisServer, restartHistory } from '../support/e2e-edge.js';
import { KubeFaultProxy } from '../support/kube-fault-proxy.js';
import { RestartGate } from '../support/restart-gate.js';
import {
  adminContext,
  approve,
  createApps,
  diffMessage,
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
  setTag,
  startScenario,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const NS = ['sc8f-a', 'sc8f-b'];
const APPS = ['web', 'api', 'cart'];

/** Approves `waves` one after the other and then the finish; the upgrade's end record. */
async function toTheEnd(s: Scenario, id: string, waves: number[]) {
  for (const w of waves) {
    await approve(s, id, `wave ${w}`);
    await diffMessage(s, id, w);
  }
  await approve(s, id, 'finish');
  return waitForState(s, id, (r) => r.state === 'done', 300_000).catch(async (e) => {
    console.log(dumpThread(s, await record(s, id)));
    throw e;
  });
}

describe.skipIf(!cluster.available)('scenarios 8.4–8.5: API faults, Redis restarted mid-wave', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const t0 = Date.now();
  let s: Scenario | undefined;
  let proxy: KubeFaultProxy | undefined;
  let redis: RedisServer | undefined;
  let gate: RestartGate | undefined;

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await setTag(OLD, 'default', R_OLD);
    await createApps(NS, { 'istio.io/rev': R_OLD }, APPS);
    await expectPodsOn(NS, R_OLD, OLD, APPS.length);
    console.log(`[scenario 8.4-5] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await gate?.stop();
    await s?.close();
    await proxy?.close();
    await redis?.stop();
    if (cluster.available) await resetMesh();
    console.log(`[scenario 8.4-5] total ${secs(t0)} s`);
  });

  it(
    '8.4 a two-wave upgrade through 10% API faults and a 30 s stall completes; one restart per wave',
    LONG,
    async () => {
      const t = Date.now();
      proxy = await KubeFaultProxy.start({
        kubeconfig: kubeconfigPath(),
        dir: mkdtempSync(join(tmpdir(), 'iub-sc8-proxy-')),
      });
      const p = proxy;
      const istioctlDir = directIstioctlDir(
        kubeconfigPath(),
        adminContext(),
        join(clusterEnv().stateDir, 'bin'),
      );
      s = await startScenario({ kubeconfig: p.kubeconfig, context: 'via-fault-proxy', istioctlDir });
      p.setFaults({ rate: 0.1, kinds: ['429', '500', 'reset'], retryAfterSeconds: 1 });
      // one restart of wave 1 is held 30 s (the bot's request timeout), then sent on all the same
      void p.stallNext(30, (m, path) => m === 'PATCH' && path.includes(`/namespaces/${NS[0]}/deployments/`));
      const id = await requestUpgrade(s, `upgrade ${NEW} --waves "${NS[0]};${NS[1]}"`);
      const end = await toTheEnd(s, id, [1, 2]);
      p.setFaults({ rate: 0 });
      console.log(
        `[scenario 8.4] done in ${secs(t)} s through ${p.stats.requests} requests: ${JSON.stringify(p.stats.injected)}, ${p.stats.stalled} stalled`,
      );
      expect(p.stats.injected['429']).toBeGreaterThan(0);
      expect(p.stats.injected['500']).toBeGreaterThan(0);
      expect(p.stats.injected.reset).toBeGreaterThan(0);
      expect(p.stats.log.filter((l) => l.outcome === 'stalled')).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          path: expect.stringContaining(`/namespaces/${NS[0]}/deployments/`),
        }),
      ]);

      await expectUninstalled(R_OLD);
      expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
      await expectPodsOn(NS, R_NEW, NEW, APPS.length);
      for (const [i, ns] of NS.entries()) {
        const stamp = end.waves[i]!.restartedAt!;
        expect(stamp).toBe(`${id}/wave-${i + 1}`);
        for (const d of await restartHistory(ns))
          expect(d, `${ns}/${d.name}`).toEqual({
            name: d.name,
            restartedAt: stamp,
            revision: '2',
            rsStamps: ['-', stamp],
          });
      }
      await s.close();
      s = undefined;
    },
  );

  it(
    '8.5 Redis SIGKILLed and restarted (AOF everysec) during wave 1 restarts: resumes, no second restart',
    LONG,
    async () => {
      const t = Date.now();
      // from where 8.4 left the mesh: every workload on the canary, restarted once
      const before = new Map<string, string[]>();
      for (const ns of NS)
        for (const d of await restartHistory(ns)) before.set(`${ns}/${d.name}`, d.rsStamps);
      expect(before.size).toBe(NS.length * APPS.length);

      redis = new RedisServer();
      await redis.start();
      const rd = redis;
      const tap = new LogTap();
      // one restart patch at a time, so Redis dies between two of them
      s = await startScenario({
        redis: { host: rd.host, port: rd.port },
        concurrency: 1,
        logDestination: tap,
        logLevel: 'info',
      });
      const sc = s;
      const id = await requestUpgrade(sc, `upgrade ${OLD} --waves "${NS[0]};${NS[1]}"`);
      gate = new RestartGate(NS[0]!, 1);
      await gate.start(mkdtempSync(join(tmpdir(), 'iub-sc8-gate-')));
      const g = gate;
      await approve(sc, id, 'wave 1');
      await waitFor(
        'wave 1: one restart done, the next one held',
        async () => g.held.length > 0,
        180_000,
        20,
      );
      const atKill = await record(sc, id);
      expect([atKill.step, atKill.currentWave]).toEqual(['restart_workloads', 1]);

      await rd.kill();
      // the worker notices it lost Redis (its lease cannot be renewed) and stops its step
      await tap.waitFor('step cancelled: this worker no longer holds the run', 30_000);
      await rd.start();
      await g.stop();
      console.log(
        `[scenario 8.5] Redis killed after ${g.admitted.join(', ')} restarted, ${g.held.join(', ')} held; restarted on :${rd.port}`,
      );

      await diffMessage(sc, id, 1).catch(async (e) => {
        console.log(dumpThread(sc, await record(sc, id)));
        throw e;
      });
      const end = await toTheEnd(sc, id, [2]);
      console.log(`[scenario 8.5] done in ${secs(t)} s`);
      await expectUninstalled(R_NEW);
      expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
      await expectPodsOn(NS, R_OLD, OLD, APPS.length);
      // each Deployment: exactly one more rollout, with this downgrade's stamp of its wave
      for (const [i, ns] of NS.entries()) {
        const stamp = end.waves[i]!.restartedAt!;
        expect(stamp).toBe(`${id}/wave-${i + 1}`);
        for (const d of await restartHistory(ns))
          expect(d, `${ns}/${d.name}`).toEqual({
            name: d.name,
            restartedAt: stamp,
            revision: '3',
            rsStamps: [...before.get(`${ns}/${d.name}`)!, stamp].sort(),
          });
      }
    },
  );
});
