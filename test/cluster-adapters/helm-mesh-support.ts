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
  runOk,
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

/** An empty mesh (every Helm release uninstalled, control planes, webhooks, tag Services and `namespaces`
 * gone): the ambient fixture's reset, which also waits for the agents' DaemonSets to go. */
export { resetMesh } from '../support/ambient-mesh.js';

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
