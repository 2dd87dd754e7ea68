/**
 * Shared by the end-to-end scenarios (scenarios*.e2e.ts): a fresh mesh on the e2e cluster (real
 * istioctl install of one revision, namespaces, 1-replica Deployments), the bot on it (Slack emulator
 * → Bolt app → REAL engine on Redis → REAL cluster adapters), people who type and click, and reads of
 * the cluster state to assert on.
 */
import * as k8s from '@kubernetes/client-node';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { createLogger } from '../../src/log.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import {
  istioctl,
  istioctlWrapperPath,
  istioVersions,
  kubeConfig,
  kubeconfigPath,
  revisionOf,
  run,
  waitFor,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import { buildE2EBot, E2E_CLUSTER, type E2EBot, type E2EBotOptions } from '../support/e2e-bot.js';
import { uniquePrefix, waitUntil } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import type { EmuMessage } from '../support/slack-emulator/state.js';
import { APPROVERS_GROUP, CH, TEST_POLICY, TEST_RETRY, USERS } from '../support/slack-harness.js';

export { CH, USERS };

export const versions = (): { OLD: string; NEW: string; R_OLD: string; R_NEW: string } => {
  const [OLD = '', NEW = ''] = istioVersions();
  return { OLD, NEW, R_OLD: revisionOf(OLD), R_NEW: revisionOf(NEW) };
};

export const LONG = { timeout: 600_000 };

let clients: { core: k8s.CoreV1Api; apps: k8s.AppsV1Api; adm: k8s.AdmissionregistrationV1Api } | undefined;
export function api() {
  if (!clients) {
    const kc = kubeConfig();
    clients = {
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      adm: kc.makeApiClient(k8s.AdmissionregistrationV1Api),
    };
  }
  return clients;
}

export const adminContext = (): string => kubeConfig().getCurrentContext();

// ---------------------------------------------------------------------------------------------- mesh

const SYSTEM = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system']);

/**
 * Back to an empty mesh: every namespace a previous test meshed (istio.io/rev or istio-injection,
 * or one of the scenarios' `sc*-` namespaces) deleted and gone, every Istio control plane, webhook
 * and tag purged with the real istioctl.
 */
export async function resetMesh(): Promise<void> {
  const { core, apps, adm } = api();
  const all = await core.listNamespace();
  const doomed = all.items
    .map((n) => n.metadata!)
    .filter(
      (m) =>
        !SYSTEM.has(m.name!) &&
        (/^sc\d/.test(m.name!) || m.labels?.['istio.io/rev'] || m.labels?.['istio-injection']),
    )
    .map((m) => m.name!);
  for (const name of doomed) await core.deleteNamespace({ name }).catch(() => undefined);
  const { NEW } = versions();
  await istioctl(NEW, ['uninstall', '--purge', '-y'], 300_000);
  // observed: `uninstall --purge` leaves the revision-tag webhooks (istio-revision-tag-*) behind
  const leftover = (l: { items: { metadata?: { name?: string } }[] }) =>
    l.items.map((x) => x.metadata?.name ?? '').filter((n) => /^istio/.test(n));
  for (const name of leftover(await adm.listMutatingWebhookConfiguration()))
    await adm.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
  for (const name of leftover(await adm.listValidatingWebhookConfiguration()))
    await adm.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
  // and the tag Services 1.28+ `tag set` creates (istiod-revision-tag-<tag>): `tag list` reads them
  // too, so one left over would show a tag on a revision of an earlier scenario
  const tagServices = await core.listNamespacedService({
    namespace: 'istio-system',
    labelSelector: 'istio.io/tag',
  });
  for (const svc of tagServices.items)
    await core
      .deleteNamespacedService({ name: svc.metadata!.name!, namespace: 'istio-system' })
      .catch(() => undefined);
  await waitFor(
    'previous namespaces and control planes gone',
    async () => {
      const ns = (await core.listNamespace()).items.map((n) => n.metadata!.name!);
      if (doomed.some((d) => ns.includes(d))) return false;
      const ds = await apps.listNamespacedDeployment({ namespace: 'istio-system' });
      if (ds.items.length > 0) return false;
      const m = await adm.listMutatingWebhookConfiguration();
      if (m.items.some((x) => /^istio/.test(x.metadata?.name ?? ''))) return false;
      const svc = await core.listNamespacedService({
        namespace: 'istio-system',
        labelSelector: 'istio.io/tag',
      });
      return svc.items.length === 0;
    },
    180_000,
    1000,
  );
}

/** Real `istioctl install --set revision=<rev>` (default profile, as the bot installs), verified. */
export async function installRevision(version: string, revision: string): Promise<void> {
  await istioctl(version, ['install', '--set', `revision=${revision}`, '-y'], 300_000);
  await waitForWebhooksOnStandin();
  await waitForDeploymentAvailable('istio-system', `istiod-${revision}`);
}

export async function setTag(version: string, tag: string, revision: string): Promise<void> {
  await istioctl(version, ['tag', 'set', tag, '--revision', revision, '-y', '--overwrite']);
  await waitForWebhooksOnStandin();
}

const PAUSE = 'registry.k8s.io/pause:3.10';

export function deploymentBody(
  namespace: string,
  name: string,
  pod: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): k8s.V1Deployment {
  return {
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...pod.labels }, annotations: pod.annotations ?? {} },
        spec: { containers: [{ name: 'app', image: PAUSE }], terminationGracePeriodSeconds: 0 },
      },
    },
  };
}

/** Namespaces with `labels` and, in each, the named 1-replica Deployments; waits until they run. */
export async function createApps(
  namespaces: string[],
  labels: Record<string, string>,
  names: string[] = ['web'],
): Promise<void> {
  const { core, apps } = api();
  for (const ns of namespaces) {
    await core.createNamespace({ body: { metadata: { name: ns, labels } } });
    for (const n of names)
      await apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody(ns, n) });
  }
  for (const ns of namespaces) for (const n of names) await waitForDeploymentAvailable(ns, n);
}

// ------------------------------------------------------------------------------------- cluster reads

export interface PodView {
  namespace: string;
  pod: string;
  app: string;
  revision: string | undefined;
  proxyImage: string | undefined;
}

export async function pods(namespace: string): Promise<PodView[]> {
  const l = await api().core.listNamespacedPod({ namespace });
  return l.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
    .map((p) => {
      const s = p.metadata?.annotations?.['sidecar.istio.io/status'];
      const all = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])];
      return {
        namespace,
        pod: p.metadata!.name!,
        app: p.metadata?.labels?.app ?? '',
        revision: s ? (JSON.parse(s) as { revision?: string }).revision : undefined,
        proxyImage: all.find((c) => c.name === 'istio-proxy')?.image,
      };
    });
}

/** Every running pod of these namespaces (exactly `perNs` each) on `revision` with the `version` proxy. */
export async function expectPodsOn(
  namespaces: string[],
  revision: string,
  version: string,
  perNs = 1,
  timeoutMs = 60_000,
): Promise<PodView[]> {
  return waitFor(
    `pods of ${namespaces.join(',')} on ${revision} (${version})`,
    async () => {
      const all: PodView[] = [];
      for (const ns of namespaces) all.push(...(await pods(ns)));
      const counts = namespaces.map((ns) => all.filter((p) => p.namespace === ns).length);
      const ok =
        counts.every((n) => n === perNs) &&
        all.every((p) => p.revision === revision && p.proxyImage === `docker.io/istio/proxyv2:${version}`);
      if (ok) return all;
      // thrown, so a timeout says what the pods were
      throw new Error(all.map((p) => `${p.namespace}/${p.pod} ${p.revision} ${p.proxyImage}`).join('; '));
    },
    timeoutMs,
  );
}

export async function nsRev(namespace: string): Promise<string | undefined> {
  const n = await api().core.readNamespace({ name: namespace });
  return n.metadata?.labels?.['istio.io/rev'];
}

export async function istiods(): Promise<string[]> {
  const ds = await api().apps.listNamespacedDeployment({
    namespace: 'istio-system',
    labelSelector: 'app=istiod',
  });
  return ds.items.map((d) => d.metadata!.name!).sort();
}

export async function webhookNames(): Promise<string[]> {
  const m = await api().adm.listMutatingWebhookConfiguration();
  return m.items.map((x) => x.metadata!.name!).sort();
}

/** Revision tags as the real istioctl lists them: tag → revision. */
export async function tags(version: string): Promise<Record<string, string>> {
  const r = await istioctl(version, ['tag', 'list', '-o', 'json']);
  const l = JSON.parse(r.stdout || '[]') as { tag: string; revision: string }[];
  const out: Record<string, string> = {};
  for (const t of l) {
    // istioctl lists a tag once per revision it finds it on (webhook and Service disagreeing)
    if (t.tag && out[t.tag] !== undefined && out[t.tag] !== t.revision)
      throw new Error(`tag ${t.tag} points at two revisions: ${out[t.tag]} and ${t.revision}`);
    out[t.tag] = t.revision;
  }
  return out;
}

/** Waits until asynchronous deletions after an uninstall are over (istiod and injector gone). */
export async function expectUninstalled(revision: string): Promise<void> {
  await waitFor(
    `revision ${revision} uninstalled`,
    async () =>
      !(await istiods()).includes(`istiod-${revision}`) &&
      !(await webhookNames()).includes(`istio-sidecar-injector-${revision}`),
    120_000,
  );
}

export async function rawIstioctl(version: string, args: string[]) {
  return run(istioctlWrapperPath(version), args, 120_000);
}

// ----------------------------------------------------------------------------------------- Slack side

export interface Scenario {
  emu: SlackEmulator;
  bot: E2EBot;
  slack: SlackApp;
  prefix: string;
  close(): Promise<void>;
}

/**
 * The Slack emulator and the bot. `worker: false` starts no worker in this process (a separate
 * worker process does the steps, as in the crash scenario); the notifier store is in Redis, so both
 * processes post into the same threads.
 */
export async function startScenario(
  opts: {
    kubeconfig?: string;
    context?: string;
    worker?: boolean;
  } & Pick<
    E2EBotOptions,
    | 'redis'
    | 'istioctlDir'
    | 'logDestination'
    | 'logLevel'
    | 'concurrency'
    | 'helm'
    | 'policy'
    | 'prometheusUrl'
  > = {},
): Promise<Scenario> {
  const emu = await new SlackEmulator().start();
  for (const u of Object.values(USERS)) emu.state.addUser(u);
  emu.state.addChannel(CH.ops, 'ops').addChannel(CH.incident, 'incident').addChannel(CH.other, 'other');
  emu.state.addUsergroup(APPROVERS_GROUP, [USERS.bob]);
  const prefix = uniquePrefix('e2e');
  const bot = buildE2EBot({
    prefix,
    kubeconfig: opts.kubeconfig ?? kubeconfigPath(),
    context: opts.context ?? adminContext(),
    slackApiUrl: emu.apiUrl,
    slackToken: emu.state.botToken,
    ...(opts.redis ? { redis: opts.redis } : {}),
    ...(opts.istioctlDir ? { istioctlDir: opts.istioctlDir } : {}),
    ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.helm ? { helm: opts.helm } : {}),
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}),
  });
  if (opts.worker !== false) await bot.engine.startWorker();
  const slack = createSlackApp({
    config: {
      SLACK_BOT_TOKEN: emu.state.botToken,
      SLACK_SIGNING_SECRET: emu.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      PORT: 0,
      DEFAULT_CLUSTER: E2E_CLUSTER,
      policy: opts.policy ?? TEST_POLICY,
    },
    service: bot.engine.service,
    logger: createLogger({ level: 'silent' }),
    store: bot.store,
    host: '127.0.0.1',
    clientOptions: { retryConfig: TEST_RETRY },
  });
  const { port } = await slack.start();
  emu.delivery = { mode: 'http', url: `http://127.0.0.1:${port}/slack/events` };
  return {
    emu,
    bot,
    slack,
    prefix,
    async close() {
      await slack.stop().catch(() => {});
      await bot.close();
      await emu.stop();
    },
  };
}

const ephemerals = (s: Scenario, user: string) => s.emu.state.ephemeralsFor(user).map((e) => e.text);

/** `/istio <text>` typed by `user` in `channel`; returns the upgrade id from the "Planned" ephemeral. */
export async function requestUpgrade(s: Scenario, text: string, user: string = USERS.alice): Promise<string> {
  const before = ephemerals(s, user).length;
  const r = await s.emu.command({ user, channel: CH.ops, text });
  if (r.status !== 200) throw new Error(`slash command answered ${r.status}`);
  const said = await waitUntil(
    async () =>
      ephemerals(s, user)
        .slice(before)
        .find((t) => t.includes('Planned')),
    60_000,
    100,
  ).catch(() => {
    throw new Error(`upgrade not planned: ${ephemerals(s, user).slice(before).join(' | ')}`);
  });
  return /up-[a-z0-9]{4,8}/.exec(said)![0];
}

export async function record(s: Scenario, id: string): Promise<UpgradeRecord> {
  const r = await s.bot.engine.service.get(id);
  if (!r) throw new Error(`no record ${id}`);
  return r;
}

export const threadOf = (s: Scenario, r: UpgradeRecord): EmuMessage[] =>
  r.messages?.parent ? s.emu.state.thread(r.channel, r.messages.parent) : [];

export const parentMessage = (s: Scenario, r: UpgradeRecord): EmuMessage | undefined =>
  r.messages?.parent ? s.emu.state.find(r.channel, r.messages.parent) : undefined;

/** Waits for the approval message (Approve button) whose text mentions `what` ("wave 1", "finish"). */
export async function approvalMessage(s: Scenario, id: string, what: string, timeoutMs = 240_000) {
  return waitUntil(
    async () => {
      const r = await s.bot.engine.service.get(id);
      if (!r || r.state === 'stopped')
        throw new Error(`upgrade ${id} stopped: ${JSON.stringify(r?.stopped)}`);
      return threadOf(s, r).find(
        (m) => JSON.stringify(m.blocks ?? []).includes('"action_id":"approve"') && m.text.includes(what),
      );
    },
    timeoutMs,
    200,
  );
}

/** `by` clicks Approve on the approval for `what`; waits until the message shows the decision. */
export async function approve(s: Scenario, id: string, what: string, by: string = USERS.bob) {
  const m = await approvalMessage(s, id, what);
  await s.emu.click({ user: by, channel: CH.ops, ts: m.ts, actionId: 'approve' });
  await waitUntil(async () => s.emu.state.find(CH.ops, m.ts)!.text.includes(`approved by <@${by}>`), 30_000);
  return s.emu.state.find(CH.ops, m.ts)!;
}

export async function waitForState(
  s: Scenario,
  id: string,
  pred: (r: UpgradeRecord) => boolean,
  timeoutMs = 300_000,
  everyMs = 100,
): Promise<UpgradeRecord> {
  return waitUntil(
    async () => {
      const r = await s.bot.engine.service.get(id);
      if (r && pred(r)) return r;
      if (r?.state === 'stopped') throw new Error(`upgrade ${id} stopped: ${JSON.stringify(r.stopped)}`);
      return null;
    },
    timeoutMs,
    everyMs,
  );
}

/** The diff message posted after `wave`. */
export async function diffMessage(s: Scenario, id: string, wave: number): Promise<EmuMessage> {
  return waitUntil(
    async () =>
      threadOf(s, await record(s, id)).find((m) => m.text.includes(`Proxy-status diff after wave ${wave} `)),
    240_000,
    200,
  );
}

/** Everything the bot said in the thread, for failure messages. */
export const dumpThread = (s: Scenario, r: UpgradeRecord): string =>
  threadOf(s, r)
    .map((m) => `  ${m.text.slice(0, 200)}`)
    .join('\n');

export const secs = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;
