// A Helm-installed mesh on the test cluster, for the Helm canary adapter tests that use the REAL helm
// and the REAL Istio charts (served on loopback, test/support/istio-charts.ts): the mesh as istio.io's
// "Install with Helm" makes it (istiod with a revision, base with defaultRevision, the default tag, a
// gateway chart release), the releases as `helm list` shows them, and a reset to an empty mesh.
import * as k8s from '@kubernetes/client-node';
import { helmPath } from '../helm/helm-support.js';
import {
  istioctl,
  kubeConfig,
  kubeconfigPath,
  run,
  runOk,
  waitFor,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import type { ChartRepo } from '../support/istio-charts.js';

export const SYS = 'istio-system';

export const helmCli = async (args: string[]): Promise<string> =>
  (await runOk(helmPath(), [...args, '--kubeconfig', kubeconfigPath()], 300_000)).stdout;

export interface Rel {
  name: string;
  namespace: string;
  chart: string;
  status: string;
}

/** `helm list -A --all`: every release, as people read it, by name. */
export async function releases(): Promise<Rel[]> {
  const l = JSON.parse(await helmCli(['list', '-A', '--all', '-o', 'json'])) as Rel[];
  return l
    .map(({ name, namespace, chart, status }) => ({ name, namespace, chart, status }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const userValues = async (release: string, ns = SYS): Promise<Record<string, unknown>> =>
  JSON.parse(await helmCli(['get', 'values', release, '-n', ns, '-o', 'json'])) ?? {};

function clients() {
  const kc = kubeConfig();
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    adm: kc.makeApiClient(k8s.AdmissionregistrationV1Api),
  };
}

/**
 * An empty mesh: every Helm release uninstalled, every control plane, webhook and tag Service purged
 * (what an earlier test on a reused cluster left), `namespaces` deleted.
 */
export async function resetMesh(version: string, namespaces: string[] = []): Promise<void> {
  const { core, apps, adm } = clients();
  for (const r of await releases().catch(() => []))
    await run(
      helmPath(),
      ['uninstall', r.name, '-n', r.namespace, '--kubeconfig', kubeconfigPath()],
      300_000,
    );
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
  await istioctl(version, ['uninstall', '--purge', '-y'], 300_000);
  const istio = (l: { items: { metadata?: { name?: string } }[] }) =>
    l.items.map((x) => x.metadata?.name ?? '').filter((n) => /^istio/.test(n));
  for (const name of istio(await adm.listMutatingWebhookConfiguration()))
    await adm.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
  for (const name of istio(await adm.listValidatingWebhookConfiguration()))
    await adm.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
  const tagged = await core.listNamespacedService({ namespace: SYS, labelSelector: 'istio.io/tag' });
  for (const s of tagged.items)
    await core.deleteNamespacedService({ name: s.metadata!.name!, namespace: SYS }).catch(() => undefined);
  await waitFor(
    'an empty mesh',
    async () => {
      const ns = (await core.listNamespace()).items.map((n) => n.metadata!.name!);
      if (namespaces.some((n) => ns.includes(n))) return false;
      if ((await apps.listNamespacedDeployment({ namespace: SYS })).items.length > 0) return false;
      return !(await adm.listMutatingWebhookConfiguration()).items.some((x) =>
        /^istio/.test(x.metadata?.name ?? ''),
      );
    },
    180_000,
    1000,
  );
}

/**
 * The mesh of istio.io's "Install with Helm", at `version` with `revision`: `istiod-<rev>` (with a
 * user value the canary must carry over), `istio-base` (defaultRevision), the `default` tag, and a
 * `gateway` chart release `ingress` in `gatewayNs` on the revision.
 */
export async function installHelmMesh(
  repo: ChartRepo,
  o: { version: string; revision: string; gatewayNs: string; cpu: string },
): Promise<void> {
  const chart = (name: string) => [name, '--repo', repo.url, '--version', o.version];
  const { adm } = clients();
  await helmCli([
    'install',
    `istiod-${o.revision}`,
    ...chart('istiod'),
    '-n',
    SYS,
    '--create-namespace',
    '--set',
    `revision=${o.revision}`,
    '--set',
    `pilot.resources.requests.cpu=${o.cpu}`,
  ]);
  await waitForWebhooksOnStandin();
  await waitForDeploymentAvailable(SYS, `istiod-${o.revision}`);
  // The injector stand-in answers the webhooks by URL: base's validator is given that URL
  // (base.validationURL, as for a remote istiod), as in test/e2e/scenarios-14-helm.e2e.ts.
  const injector = await adm.readMutatingWebhookConfiguration({
    name: `istio-sidecar-injector-${o.revision}`,
  });
  const cc = injector.webhooks![0]!.clientConfig;
  await helmCli([
    'install',
    'istio-base',
    ...chart('base'),
    '-n',
    SYS,
    '--set',
    `defaultRevision=${o.revision}`,
    '--set',
    `base.validationURL=${new URL(cc.url!).origin}/validate`,
    '--set',
    `base.validationCABundle=${cc.caBundle}`,
  ]);
  await istioctl(o.version, ['tag', 'set', 'default', '--revision', o.revision, '-y', '--overwrite']);
  await waitForWebhooksOnStandin();
  await helmCli([
    'install',
    'ingress',
    ...chart('gateway'),
    '-n',
    o.gatewayNs,
    '--create-namespace',
    '--set',
    `revision=${o.revision}`,
    '--set',
    'service.type=ClusterIP',
    '--wait',
    '--timeout',
    '120s',
  ]);
}
