// Scenario 3 (issue 6), end to end: rollback from an incident channel in the middle of wave 2.
// Labels strategy, 3 namespaces in 2 waves and an injected gateway; wave 1 done, wave 2 approved and
// restarting when on-call types `/istio rollback ID <reason>` in the incident channel. Afterwards
// every namespace and pod is back on the old revision, the gateway too, and the canary is uninstalled.
// Slack emulator → Bolt → REAL engine → REAL cluster adapters and istioctl (1.25.3 → 1.31-dev).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, waitFor } from '../support/cluster-harness.js';
import { createGateway } from './support-gateway.js';
import {
  api,
  approvalMessage,
  approve,
  CH,
  createApps,
  diffMessage,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  nsRev,
  parentMessage,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  startScenario,
  tags,
  threadOf,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
// after wave 2's namespaces were relabelled: its workloads are being restarted / rolled out
const WAVE_STEPS = ['restart_workloads', 'wait_rollouts'];
// wave 2's Deployments take this long to roll out (minReadySeconds: a new pod counts as available
// only after being Ready that long), so the rollback lands while they are restarting, every run
const SLOW_S = 20;
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The default profile's ingress gateway: who owns it (istio.io/rev) and which proxy image it runs. */
async function ingress(): Promise<{ rev: string | undefined; image: string | undefined } | null> {
  const d = await api()
    .apps.readNamespacedDeployment({ name: 'istio-ingressgateway', namespace: 'istio-system' })
    .catch(() => null);
  if (!d) return null;
  return {
    rev: d.metadata?.labels?.['istio.io/rev'],
    image: d.spec?.template.spec?.containers.find((c) => c.name === 'istio-proxy')?.image,
  };
}

async function ingressAvailable(): Promise<number> {
  const d = await api().apps.readNamespacedDeployment({
    name: 'istio-ingressgateway',
    namespace: 'istio-system',
  });
  const done = (d.status?.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1);
  return done ? (d.status?.availableReplicas ?? 0) : 0;
}

/** Wave 2's Deployments that carry the wave's stamp and whose rollout is not complete (kubectl's test). */
async function rollingOut(namespaces: string[], stamp: string | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const namespace of namespaces) {
    for (const d of (await api().apps.listNamespacedDeployment({ namespace })).items) {
      const st = d.status ?? {};
      const want = d.spec?.replicas ?? 1;
      const done =
        (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        (st.updatedReplicas ?? 0) >= want &&
        (st.replicas ?? 0) <= (st.updatedReplicas ?? 0) &&
        (st.availableReplicas ?? 0) >= (st.updatedReplicas ?? 0);
      const stamped = stamp !== undefined && d.spec?.template.metadata?.annotations?.[RESTARTED_AT] === stamp;
      if (stamped && !done) out.push(`${namespace}/${d.metadata!.name}`);
    }
  }
  return out.sort();
}

describe.skipIf(!cluster.available)('scenario 3: rollback from an incident channel during wave 2', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const NS = ['sc3-a', 'sc3-b', 'sc3-c'];
  const GW = 'sc3-gw';
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await createApps(NS, { 'istio.io/rev': R_OLD }, ['web', 'api']);
    await createGateway(GW, R_OLD);
    for (const ns of ['sc3-b', 'sc3-c'])
      for (const d of ['web', 'api'])
        await kubectl([
          'patch',
          'deployment',
          d,
          '-n',
          ns,
          '--type=merge',
          '-p',
          `{"spec":{"minReadySeconds":${SLOW_S}}}`,
        ]);
    await expectPodsOn(NS, R_OLD, OLD, 2);
    await expectPodsOn([GW], R_OLD, OLD);
    s = await startScenario();
    console.log(`[scenario 3] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 3] total ${secs(t0)} s`);
  });

  it('rolls everything back to the old revision, gateways too, canary uninstalled', LONG, async () => {
    // The default profile's ingress gateway belongs to the old install; the canary install will
    // upgrade it in place, and uninstalling the canary would delete it (issue 10).
    expect(await ingress()).toEqual({ rev: R_OLD, image: `docker.io/istio/proxyv2:${OLD}` });
    const tagsBefore = await tags(OLD);
    const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc3-a;sc3-b,sc3-c"`);
    await approvalMessage(s, id, 'wave 1');
    // the gateways step moved the injected gateway to the canary before the waves
    await expectPodsOn([GW], R_NEW, NEW);
    expect(await ingress()).toEqual({ rev: R_NEW, image: `docker.io/istio/proxyv2:${NEW}` });
    expect((await record(s, id)).gateways?.inPlace).toEqual(['istio-system/istio-ingressgateway']);
    await approve(s, id, 'wave 1');
    await diffMessage(s, id, 1);
    await approvalMessage(s, id, 'wave 2');
    await expectPodsOn(['sc3-a'], R_NEW, NEW, 2);

    // wave 2 approved; roll back from the incident channel while its steps run
    await approve(s, id, 'wave 2');
    const mid = await waitForState(
      s,
      id,
      (r) => r.currentWave === 2 && WAVE_STEPS.includes(r.step),
      120_000,
      20,
    );
    expect([await nsRev('sc3-b'), await nsRev('sc3-c')]).toEqual([R_NEW, R_NEW]);
    // wave 2's restarts are on the cluster and still rolling out
    const WAVE2 = ['sc3-b/api', 'sc3-b/web', 'sc3-c/api', 'sc3-c/web'];
    // the wave's stamp (`<id>/wave-2`, stored as the restart step begins)
    const stamp = (await waitForState(s, id, (r) => !!r.waves[1]?.restartedAt, 30_000, 20)).waves[1]!
      .restartedAt;
    expect(stamp).toBe(`${id}/wave-2`);
    await waitFor(
      'wave 2 rolling out',
      async () => (await rollingOut(['sc3-b', 'sc3-c'], stamp)).length > 0,
      60_000,
      50,
    );
    const reason = 'INC-42 5xx in sc3-b after the canary';
    const res = await s.emu.command({
      user: USERS.dave,
      channel: CH.incident,
      text: `rollback ${id} ${reason}`,
    });
    expect(res.status).toBe(200);
    // the rollback was accepted while wave 2 was restarting: rollouts still in progress, wave not done
    const asked = await waitForState(s, id, (r) => r.audit.some((a) => a.actor === USERS.dave), 30_000, 20);
    expect(WAVE2).toEqual(expect.arrayContaining(await rollingOut(['sc3-b', 'sc3-c'], stamp)));
    expect((await rollingOut(['sc3-b', 'sc3-c'], stamp)).length).toBeGreaterThan(0);
    expect(asked.waves[1]!.finishedAt).toBeUndefined();
    console.log(`[scenario 3] rollback asked at ${mid.state}/${mid.step}#${mid.currentWave}`);

    const end = await waitForState(s, id, (r) => r.state === 'rolled_back', 300_000).catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();

    // cluster: every namespace and pod back on the old revision, the gateway too, the canary gone
    for (const ns of NS) expect(await nsRev(ns)).toBe(R_OLD);
    await expectPodsOn(NS, R_OLD, OLD, 2);
    await expectPodsOn([GW], R_OLD, OLD);
    await expectUninstalled(R_NEW);
    expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
    // the ingress gateway is still there, reinstalled at the old revision and serving (available)
    expect(await ingress()).toEqual({ rev: R_OLD, image: `docker.io/istio/proxyv2:${OLD}` });
    await waitFor('the ingress gateway available', async () => (await ingressAvailable()) > 0, 120_000);
    expect(end.audit.some((a) => a.action === 'compensated' && a.detail === 'restore_gateways')).toBe(true);
    // tags as they were before the upgrade: none left pointing at the uninstalled canary
    expect(await tags(OLD)).toEqual(tagsBefore);

    // Slack: the rollback posted in the incident channel and in the thread, parent shows it
    const incident = s.emu.state.messages.filter((m) => m.channel === CH.incident);
    expect(incident.some((m) => m.text.includes(`Rollback of ${id} requested by ${USERS.dave}`))).toBe(true);
    const thread = threadOf(s, end).map((m) => m.text);
    expect(thread.some((t) => t.includes(`Rollback of ${id} requested by ${USERS.dave}: ${reason}`))).toBe(
      true,
    );
    expect(parentMessage(s, end)!.text).toContain('rolled back');
    // wave 2 never finished: no diff after it, and it is not marked finished
    expect(thread.some((t) => t.includes('Proxy-status diff after wave 2'))).toBe(false);
    expect(end.waves[1]!.finishedAt).toBeUndefined();
    expect(end.audit.some((a) => a.actor === USERS.dave)).toBe(true);
    expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  });
});
