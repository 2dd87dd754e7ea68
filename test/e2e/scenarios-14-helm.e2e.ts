// Issue 14, end to end: a mesh installed with the REAL helm from the REAL Istio charts (base, istiod,
// gateway of the old test version, served on loopback as a chart repository), driven through Slack by
// the REAL engine and the Helm canary path (src/cluster/helm, real helm). One mesh for both:
// 2) rolled back from an incident channel in the middle of wave 2: the Helm releases as before;
// 1) then upgraded to the end: `helm list` shows the new istiod release and not the old, base at the
//    new version with the new default revision, the gateway release upgraded, workloads moved.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { helmPath } from '../helm/helm-support.js';
import {
  kubeconfigPath,
  kubectl,
  runOk,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import { type ChartRepo, ensureIstioCharts, serveIstioCharts } from '../support/istio-charts.js';
import {
  api,
  approvalMessage,
  approve,
  CH,
  createApps,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  istiods,
  LONG,
  nsRev,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  setTag,
  startScenario,
  tags,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const NS = ['sc14-a', 'sc14-b'];
const GW = 'sc14-gw';
const SYS = 'istio-system';
// a value of the old istiod release the canary must carry over (helm get values)
const CPU = '123m';
// wave 2's Deployments roll out this slowly, so the rollback lands while they restart
const SLOW_S = 15;

interface Rel {
  name: string;
  namespace: string;
  chart: string;
  status: string;
}

const helm = async (args: string[]) =>
  (await runOk(helmPath(), [...args, '--kubeconfig', kubeconfigPath()], 300_000)).stdout;

const byName = (l: Rel[]) => [...l].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** `helm list -A`: every release of the mesh, as people read it. */
async function releases(): Promise<Rel[]> {
  const l = JSON.parse(await helm(['list', '-A', '--all', '-o', 'json'])) as Rel[];
  return byName(l.map(({ name, namespace, chart, status }) => ({ name, namespace, chart, status })));
}
const values = async (release: string, ns = SYS) =>
  JSON.parse(await helm(['get', 'values', release, '-n', ns, '-o', 'json'])) as Record<string, unknown>;

describe.skipIf(!cluster.available)(
  'scenario 14: a Helm-managed mesh, upgraded and rolled back the Helm way',
  () => {
    const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
    let s: Scenario;
    let repo: ChartRepo;
    const t0 = Date.now();
    const chart = (name: string, version: string) => [name, '--repo', repo.url, '--version', version];

    beforeAll(async () => {
      await resetMesh();
      repo = await serveIstioCharts(await ensureIstioCharts([OLD, NEW]));
      // the mesh as istio.io's "Install with Helm" makes it, with a revision
      await helm([
        'install',
        `istiod-${R_OLD}`,
        ...chart('istiod', OLD),
        '-n',
        SYS,
        '--create-namespace',
        '--set',
        `revision=${R_OLD}`,
        '--set',
        `pilot.resources.requests.cpu=${CPU}`,
      ]);
      await waitForWebhooksOnStandin();
      await waitForDeploymentAvailable(SYS, `istiod-${R_OLD}`);
      // The injector stand-in answers the webhooks by URL (a real istiod only patches their caBundle):
      // base's validator is given that URL (base.validationURL, as for a remote istiod), or every helm
      // upgrade of base would add the chart's `service` back beside the stand-in's `url` (invalid).
      const injector = await api().adm.readMutatingWebhookConfiguration({
        name: `istio-sidecar-injector-${R_OLD}`,
      });
      const cc = injector.webhooks![0]!.clientConfig;
      const validationURL = `${new URL(cc.url!).origin}/validate`;
      await helm([
        'install',
        'istio-base',
        ...chart('base', OLD),
        '-n',
        SYS,
        '--set',
        `defaultRevision=${R_OLD}`,
        '--set',
        `base.validationURL=${validationURL}`,
        '--set',
        `base.validationCABundle=${cc.caBundle}`,
      ]);
      await setTag(OLD, 'default', R_OLD); // the docs' default tag (helm template … revision-tags | kubectl apply)
      // an injected gateway of the gateway chart on the old revision (ClusterIP: no load balancer here)
      await helm([
        'install',
        'ingress',
        ...chart('gateway', OLD),
        '-n',
        GW,
        '--create-namespace',
        // the 1.25 gateway chart's values.schema.json (additionalProperties: false beside a $ref)
        // refuses every value with helm >= 3.18; its users skip it, later charts are fixed
        '--skip-schema-validation',
        '--set',
        `revision=${R_OLD}`,
        '--set',
        'service.type=ClusterIP',
        '--wait',
        '--timeout',
        '120s',
      ]);
      await createApps(NS, { 'istio.io/rev': R_OLD }, ['web']);
      await expectPodsOn(NS, R_OLD, OLD);
      await expectPodsOn([GW], R_OLD, OLD);
      s = await startScenario({ helm: { bin: helmPath(), repo: repo.url } });
      console.log(`[scenario 14] Helm mesh ready in ${secs(t0)} s`);
    }, 600_000);
    afterAll(async () => {
      await s?.close();
      if (cluster.available) {
        for (const r of await releases().catch(() => []))
          await helm(['uninstall', r.name, '-n', r.namespace]).catch(() => undefined);
        await resetMesh();
      }
      await repo?.close();
      console.log(`[scenario 14] total ${secs(t0)} s`);
    });

    it(
      '2) rolled back from an incident channel in the middle of wave 2: the Helm releases as before',
      LONG,
      async () => {
        const before = await releases();
        expect(before).toEqual([
          { name: 'ingress', namespace: GW, chart: `gateway-${OLD}`, status: 'deployed' },
          { name: 'istio-base', namespace: SYS, chart: `base-${OLD}`, status: 'deployed' },
          { name: `istiod-${R_OLD}`, namespace: SYS, chart: `istiod-${OLD}`, status: 'deployed' },
        ]);
        const tagsBefore = await tags(OLD);
        await kubectl([
          'patch',
          'deployment',
          'web',
          '-n',
          'sc14-b',
          '--type=merge',
          '-p',
          `{"spec":{"minReadySeconds":${SLOW_S}}}`,
        ]);

        const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc14-a;sc14-b"`);
        const r0 = await record(s, id);
        expect(r0.installer).toEqual({ kind: 'helm', namespace: SYS, istiod: `istiod-${R_OLD}` });
        expect(r0.audit.find((a) => a.action === 'installation')?.detail).toContain(
          `helm uninstall istiod-${R_OLD} -n ${SYS}`,
        );
        await approvalMessage(s, id, 'wave 1');
        // the canary is a Helm release beside the old one, base upgraded, the gateway release moved
        expect(await releases()).toEqual(
          byName([
            { name: 'ingress', namespace: GW, chart: `gateway-${NEW}`, status: 'deployed' },
            { name: 'istio-base', namespace: SYS, chart: `base-${NEW}`, status: 'deployed' },
            { name: `istiod-${R_NEW}`, namespace: SYS, chart: `istiod-${NEW}`, status: 'deployed' },
            { name: `istiod-${R_OLD}`, namespace: SYS, chart: `istiod-${OLD}`, status: 'deployed' },
          ]),
        );
        await expectPodsOn([GW], R_NEW, NEW);

        await approve(s, id, 'wave 1');
        await approvalMessage(s, id, 'wave 2');
        await expectPodsOn(['sc14-a'], R_NEW, NEW);
        await approve(s, id, 'wave 2');
        await waitForState(
          s,
          id,
          (r) => r.currentWave === 2 && ['restart_workloads', 'wait_rollouts'].includes(r.step),
          120_000,
          20,
        );
        expect(await nsRev('sc14-b')).toBe(R_NEW);
        const reason = 'INC-14 errors in sc14-b after the canary';
        expect(
          (await s.emu.command({ user: USERS.dave, channel: CH.incident, text: `rollback ${id} ${reason}` }))
            .status,
        ).toBe(200);
        const asked = await waitForState(
          s,
          id,
          (r) => r.audit.some((a) => a.actor === USERS.dave),
          30_000,
          20,
        );
        expect(asked.waves[1]!.finishedAt).toBeUndefined(); // in the middle of wave 2
        const end = await waitForState(s, id, (r) => r.state === 'rolled_back', 300_000).catch(async (e) => {
          console.log(dumpThread(s, await record(s, id)));
          throw e;
        });
        await s.bot.notifier.idle();

        // Helm: the releases as before (the canary uninstalled, base and the gateway rolled back)
        expect(await releases()).toEqual(before);
        expect((await values('istio-base')).defaultRevision).toBe(R_OLD);
        expect((await values('ingress', GW)).revision).toBe(R_OLD);
        // the cluster: the old revision only, every pod and the gateway back on it, tags as they were
        await expectUninstalled(R_NEW);
        expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
        for (const ns of NS) expect(await nsRev(ns)).toBe(R_OLD);
        await expectPodsOn(NS, R_OLD, OLD);
        await expectPodsOn([GW], R_OLD, OLD);
        expect(await tags(OLD)).toEqual(tagsBefore);
        expect(end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail)).toContain(
          'uninstall_canary',
        );
        console.log(`[scenario 14] rollback done at ${secs(t0)} s`);
      },
    );

    it(
      '1) upgraded through Slack to the end: the new istiod release, not the old; base and default revision moved',
      LONG,
      async () => {
        await kubectl([
          'patch',
          'deployment',
          'web',
          '-n',
          'sc14-b',
          '--type=merge',
          '-p',
          '{"spec":{"minReadySeconds":0}}',
        ]);
        const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc14-a;sc14-b"`);
        await approve(s, id, 'wave 1');
        await approve(s, id, 'wave 2');
        expect((await tags(NEW)).default).toBe(R_OLD); // until the finish
        await approve(s, id, 'finish');
        const r = await waitForState(s, id, (x) => x.state === 'done', 300_000).catch(async (e) => {
          console.log(dumpThread(s, await record(s, id)));
          throw e;
        });
        await s.bot.notifier.idle();
        expect(r.waves.map((w) => w.approvedBy)).toEqual([USERS.bob, USERS.bob]);

        // helm list: the new istiod release and not the old, base and the gateway at the new version
        expect(await releases()).toEqual(
          byName([
            { name: 'ingress', namespace: GW, chart: `gateway-${NEW}`, status: 'deployed' },
            { name: 'istio-base', namespace: SYS, chart: `base-${NEW}`, status: 'deployed' },
            { name: `istiod-${R_NEW}`, namespace: SYS, chart: `istiod-${NEW}`, status: 'deployed' },
          ]),
        );
        // the default revision moved: base's defaultRevision (its validator) and the default tag
        expect((await values('istio-base')).defaultRevision).toBe(R_NEW);
        const validator = await api().adm.readValidatingWebhookConfiguration({
          name: 'istiod-default-validator',
        });
        expect(validator.metadata?.labels?.['istio.io/rev']).toBe(R_NEW);
        expect((await tags(NEW)).default).toBe(R_NEW);
        // the old release's values carried to the canary, and into its istiod
        const v = await values(`istiod-${R_NEW}`);
        expect(v).toMatchObject({ revision: R_NEW, pilot: { resources: { requests: { cpu: CPU } } } });
        const istiod = await api().apps.readNamespacedDeployment({ name: `istiod-${R_NEW}`, namespace: SYS });
        expect(istiod.spec?.template.spec?.containers[0]?.resources?.requests?.cpu).toBe(CPU);
        // workloads and the gateway moved; the old control plane gone
        await expectUninstalled(R_OLD);
        expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
        for (const ns of NS) expect(await nsRev(ns)).toBe(R_NEW);
        await expectPodsOn(NS, R_NEW, NEW);
        await expectPodsOn([GW], R_NEW, NEW);
        expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
        console.log(`[scenario 14] upgrade done at ${secs(t0)} s`);
      },
    );
  },
);
