// Issue 14, scenario 4, end to end: Gateway API gateways (class istio) on the REAL apiserver with the
// REAL Gateway API CRDs (module cache) and istiod's gateway deployment controller stand-in, through
// Slack → REAL engine → REAL adapters and istioctl (1.25.3 → 1.31-dev). Three gateways, one per way
// of following a revision:
// - `sc14-pin/pinned`, labelled `istio.io/rev=<old>`: the bot relabels it before the waves;
// - `sc14-a/ns-gw`, no label, its namespace labelled `istio.io/rev=<old>`: moves in wave 1;
// - `sc14-edge/edge`, no label anywhere: follows the `default` tag, moves at the finish.
// First an upgrade rolled back from the incident channel at wave 2's approval: every gateway back on
// the old revision (label restored, Deployments rendered and rolled there). Then, on the same mesh,
// an upgrade to the end: every gateway rendered by the new revision, its pods on it, the old one gone.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeConfig, waitFor } from '../support/cluster-harness.js';
import { installGatewayApiCrds, removeGatewayApiCrds } from '../support/gateway-api-crds.js';
import {
  api,
  approvalMessage,
  approve,
  CH,
  createApps,
  dumpThread,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  parentMessage,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  setTag,
  startScenario,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const GROUP = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' };
const PIN = { namespace: 'sc14-pin', name: 'pinned' };
const NSGW = { namespace: 'sc14-a', name: 'ns-gw' };
const EDGE = { namespace: 'sc14-edge', name: 'edge' };
const ALL = [PIN, NSGW, EDGE];

interface GatewayState {
  label: string | undefined;
  /** pod template annotation istio.io/rev: the revision whose istiod rendered the Deployment */
  rendered: string | undefined;
  image: string | undefined;
  /** every live pod's istio.io/rev annotation */
  pods: string[];
}

async function state(g: { namespace: string; name: string }): Promise<GatewayState> {
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  const gw = (await custom.getNamespacedCustomObject({ ...GROUP, ...g })) as {
    metadata: { labels?: Record<string, string> };
  };
  const d = await api()
    .apps.readNamespacedDeployment({ name: `${g.name}-istio`, namespace: g.namespace })
    .catch(() => null);
  const pods = await api().core.listNamespacedPod({
    namespace: g.namespace,
    labelSelector: `gateway.networking.k8s.io/gateway-name=${g.name}`,
  });
  return {
    label: gw.metadata.labels?.['istio.io/rev'],
    rendered: d?.spec?.template.metadata?.annotations?.['istio.io/rev'],
    image: d?.spec?.template.spec?.containers.find((c) => c.name === 'istio-proxy')?.image,
    pods: pods.items
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
      .map((p) => p.metadata?.annotations?.['istio.io/rev'] ?? 'none'),
  };
}

/** The gateway's Deployment rendered by `revision` with `version`'s proxy, and its one pod on it. */
async function expectOn(g: { namespace: string; name: string }, revision: string, version: string) {
  return waitFor(
    `${g.namespace}/${g.name} on ${revision}`,
    async () => {
      const s = await state(g);
      if (
        s.rendered === revision &&
        s.image === `docker.io/istio/proxyv2:${version}` &&
        s.pods.join() === revision
      )
        return s;
      throw new Error(JSON.stringify(s));
    },
    120_000,
  );
}

async function createGateway(g: { namespace: string; name: string }, labels: Record<string, string> = {}) {
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: g.namespace,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: g.name, namespace: g.namespace, labels },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    },
  });
}

describe.skipIf(!cluster.available)(
  'scenario 14: Gateway API gateways follow their label, namespace or tag',
  () => {
    const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
    let s: Scenario;
    const t0 = Date.now();

    beforeAll(async () => {
      await resetMesh();
      const crds = await installGatewayApiCrds();
      await installRevision(OLD, R_OLD);
      await setTag(OLD, 'default', R_OLD);
      await createApps(['sc14-a', 'sc14-b'], { 'istio.io/rev': R_OLD });
      for (const ns of ['sc14-pin', 'sc14-edge'])
        await api().core.createNamespace({ body: { metadata: { name: ns } } });
      await createGateway(PIN, { 'istio.io/rev': R_OLD });
      await createGateway(NSGW);
      await createGateway(EDGE);
      for (const g of ALL) await expectOn(g, R_OLD, OLD);
      s = await startScenario();
      console.log(`[scenario 14] mesh with Gateway API ${crds} ready in ${secs(t0)} s`);
    }, 600_000);
    afterAll(async () => {
      await s?.close();
      // files run in any order on one cluster: leave an empty mesh and no Gateway API, as a fresh cluster has
      if (cluster.available) {
        await resetMesh();
        await removeGatewayApiCrds();
      }
      console.log(`[scenario 14] total ${secs(t0)} s`);
    });

    it(
      'plans them, moves them in their steps, and a rollback at wave 2 puts every one back',
      LONG,
      async () => {
        const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc14-a;sc14-b"`);
        await approvalMessage(s, id, 'wave 1');
        const r = await record(s, id);
        expect(r.gatewayApi?.gateways.map((g) => [g.gateway, g.servedBy, g.moves])).toEqual([
          ['sc14-a/ns-gw', R_OLD, 'moves in wave 1 with its namespace'],
          ['sc14-edge/edge', R_OLD, `moves at the finish, when \`default\` moves to \`${R_NEW}\``],
          [
            'sc14-pin/pinned',
            R_OLD,
            `the bot sets its label to \`${R_NEW}\` after the canary is ready, before wave 1`,
          ],
        ]);
        const plan = JSON.stringify(parentMessage(s, r)?.blocks ?? []);
        expect(plan).toContain('Gateway API gateways');
        expect(plan).toContain('istio#59959'); // 1.31-dev is before 1.31.0
        // the control-plane phase relabelled and verified the pinned gateway; the others stay
        expect((await state(PIN)).label).toBe(R_NEW);
        await expectOn(PIN, R_NEW, NEW);
        await expectOn(NSGW, R_OLD, OLD);
        await expectOn(EDGE, R_OLD, OLD);

        await approve(s, id, 'wave 1');
        await approvalMessage(s, id, 'wave 2');
        // wave 1 relabelled sc14-a: istiod's new revision re-rendered its gateway, the bot verified it
        await expectOn(NSGW, R_NEW, NEW);
        await expectOn(EDGE, R_OLD, OLD);
        // istiod rolled it once; the wave did not restart it as well (a second rollout of a gateway)
        const nsgw = await api().apps.readNamespacedDeployment({ name: 'ns-gw-istio', namespace: 'sc14-a' });
        expect(
          nsgw.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'],
        ).toBeUndefined();
        const web = await api().apps.readNamespacedDeployment({ name: 'web', namespace: 'sc14-a' });
        expect(web.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(
          `${id}/wave-1`,
        );
        const w1 = await record(s, id);
        expect(
          w1.audit.some((a) => a.detail?.includes(`Gateway API gateway(s) on ${R_NEW}: sc14-a/ns-gw`)),
        ).toBe(true);

        const res = await s.emu.command({
          user: USERS.dave,
          channel: CH.incident,
          text: `rollback ${id} INC-14 gateway errors after the canary`,
        });
        expect(res.status).toBe(200);
        const end = await waitForState(s, id, (x) => x.state === 'rolled_back', 300_000).catch(async (e) => {
          console.log(dumpThread(s, await record(s, id)));
          throw e;
        });
        expect(end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail)).toEqual(
          expect.arrayContaining(['verify_gateway_api', 'gateway_api_labels_back']),
        );
        await expectUninstalled(R_NEW);
        for (const g of ALL) await expectOn(g, R_OLD, OLD);
        expect((await state(PIN)).label).toBe(R_OLD);
        expect((await state(NSGW)).label).toBeUndefined();
      },
    );

    it(
      'an upgrade to the end: every gateway rendered by the new revision, the old one gone',
      LONG,
      async () => {
        const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc14-a,sc14-b"`);
        await approve(s, id, 'wave 1');
        await approvalMessage(s, id, 'finish');
        await expectOn(PIN, R_NEW, NEW);
        await expectOn(NSGW, R_NEW, NEW);
        await expectOn(EDGE, R_OLD, OLD); // until the finish moves `default`
        await approve(s, id, 'finish');
        const end = await waitForState(s, id, (x) => x.state === 'done').catch(async (e) => {
          console.log(dumpThread(s, await record(s, id)));
          throw e;
        });
        const moveTags = end.audit.find((a) => a.detail?.startsWith('move_tags:'))?.detail ?? '';
        expect(moveTags).toMatch(new RegExp(`Gateway API gateway\\(s\\) on ${R_NEW}: .*sc14-edge/edge`));
        await expectUninstalled(R_OLD);
        expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
        for (const g of ALL) await expectOn(g, R_NEW, NEW);
        expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
      },
    );
  },
);
