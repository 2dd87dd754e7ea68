/**
 * An ambient mesh on the test cluster, as istio.io's "Install with Helm" (ambient,
 * https://istio.io/latest/docs/ambient/install/helm/) makes it, with the REAL helm and the REAL Istio
 * charts of a test version (served on loopback: ./istio-charts.ts, ./istio-ambient-charts.ts):
 * - `istiod-<rev>` (chart istiod, `profile=ambient`, `revision=<rev>`), `istio-base` (defaultRevision,
 *   its validator pointed at the injector stand-in) and the `default` tag, like the Helm scenarios;
 * - `istio-cni` (chart cni, `profile=ambient`) and `ztunnel` (chart ztunnel, `revision=<rev>`) in
 *   istio-system: KWOK runs their DaemonSets' pods on both fake nodes (real Kubernetes rollouts);
 * - an ambient namespace (`istio.io/dataplane-mode=ambient`, `istio.io/use-waypoint=waypoint`) with
 *   a Deployment `app` and a waypoint: the Gateway `waypoint` of class `istio-waypoint` (the REAL
 *   Gateway API CRDs; istiod's rendering of it by the gateway controller stand-in, which needs the
 *   `default` tag to claim it);
 * - a sidecar namespace (`istio.io/rev=<rev>`) with a Deployment `app` whose pods the injector
 *   stand-in gave sidecars.
 * `teardownAmbientMesh` removes all of it (and the CRDs when this installed them), so a reused cluster
 * (CLUSTER_REUSE=1) is not left ambient. The agents alone: `installAgents`/`uninstallAgents`.
 */
import * as k8s from '@kubernetes/client-node';
import { deployment } from '../cluster-adapters/cluster-support.js';
import { helmPath } from '../helm/helm-support.js';
import {
  istioctl,
  kubeConfig,
  kubeconfigPath,
  kubectlPath,
  revisionOf,
  run,
  runOk,
  waitFor,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from './cluster-harness.js';
import { installGatewayApiCrds, removeGatewayApiCrds } from './gateway-api-crds.js';
import { ensureAmbientCharts } from './istio-ambient-charts.js';
import { type ChartRepo, serveIstioCharts } from './istio-charts.js';

export const SYS = 'istio-system';

/** The REAL helm on the test cluster (admin kubeconfig); its stdout. */
export const helmCli = async (args: string[]): Promise<string> =>
  (await runOk(helmPath(), [...args, '--kubeconfig', kubeconfigPath()], 300_000)).stdout;

/**
 * An empty mesh: every Helm release uninstalled, every control plane, Istio webhook and tag Service
 * purged (what an earlier test on a reused cluster left), `namespaces` deleted.
 */
export async function resetMesh(version: string, namespaces: string[] = []): Promise<void> {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const releases = JSON.parse(await helmCli(['list', '-A', '--all', '-o', 'json']).catch(() => '[]')) as {
    name: string;
    namespace: string;
  }[];
  for (const r of releases)
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
  for (const t of tagged.items)
    await core.deleteNamespacedService({ name: t.metadata!.name!, namespace: SYS }).catch(() => undefined);
  await waitFor(
    'an empty mesh',
    async () => {
      const ns = (await core.listNamespace()).items.map((n) => n.metadata!.name!);
      if (namespaces.some((n) => ns.includes(n))) return false;
      if ((await apps.listNamespacedDeployment({ namespace: SYS })).items.length > 0) return false;
      if ((await apps.listNamespacedDaemonSet({ namespace: SYS })).items.length > 0) return false;
      return !(await adm.listMutatingWebhookConfiguration()).items.some((x) =>
        /^istio/.test(x.metadata?.name ?? ''),
      );
    },
    180_000,
    1000,
  );
}

export interface AmbientMesh {
  /** The Istio version and the revision everything runs (e.g. `1.25.3`, `1-25-3`). */
  version: string;
  revision: string;
  /** The loopback chart repository (every version of `chartVersions`); closed by the teardown. */
  repo: ChartRepo;
  /** The agents' releases, in istio-system: `{ztunnel: 'ztunnel', cni: 'istio-cni'}`. */
  releases: { ztunnel: string; cni: string };
  /** The ambient namespace (Deployment `app`, the waypoint) and the sidecar namespace (Deployment `app`). */
  ambientNamespace: string;
  sidecarNamespace: string;
  waypoint: { namespace: string; name: string };
  /** The KWOK nodes, sorted (two). */
  nodes: string[];
  /** Whether this install put the Gateway API CRDs on the cluster (the teardown then removes them). */
  crdsInstalled: boolean;
}

const chart = (repo: ChartRepo, name: string, version: string) => [
  name,
  '--repo',
  repo.url,
  '--version',
  version,
];

/**
 * `helm install istio-cni cni --set profile=ambient` and `helm install ztunnel ztunnel --set
 * revision=<rev>` in istio-system at `version`, each `--wait` (every node runs both agents, ready).
 */
export async function installAgents(repo: ChartRepo, version: string, revision: string): Promise<void> {
  await helmCli([
    'install',
    'istio-cni',
    ...chart(repo, 'cni', version),
    '-n',
    SYS,
    '--create-namespace',
    '--set',
    'profile=ambient',
    '--wait',
  ]);
  await helmCli([
    'install',
    'ztunnel',
    ...chart(repo, 'ztunnel', version),
    '-n',
    SYS,
    '--set',
    `revision=${revision}`,
    '--wait',
  ]);
}

/** Uninstalls both agents' releases (absent: nothing to do), waiting until their pods are gone. */
export async function uninstallAgents(): Promise<void> {
  for (const r of ['ztunnel', 'istio-cni'])
    await helmCli(['uninstall', r, '-n', SYS, '--ignore-not-found', '--wait']).catch(() => undefined);
}

/**
 * Installs the whole ambient mesh at `version` (see the file comment); `chartVersions` are the
 * versions the repository serves (default: `version` alone; give the upgrade target too). The
 * namespaces are `<prefix>-ambient` and `<prefix>-sidecar`. Starts from an empty mesh (resetMesh).
 */
export async function installAmbientMesh(o: {
  version: string;
  chartVersions?: string[];
  prefix?: string;
}): Promise<AmbientMesh> {
  const { version } = o;
  const revision = revisionOf(version);
  const prefix = o.prefix ?? 'amb';
  const ambientNamespace = `${prefix}-ambient`;
  const sidecarNamespace = `${prefix}-sidecar`;
  await resetMesh(version, [ambientNamespace, sidecarNamespace]);
  const repo = await serveIstioCharts(await ensureAmbientCharts(o.chartVersions ?? [version]));
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const crdsInstalled =
    (await run(kubectlPath(), ['get', 'crd', 'gateways.gateway.networking.k8s.io'])).exitCode !== 0;
  if (crdsInstalled) await installGatewayApiCrds();

  // the control plane: istiod of the ambient profile, base with the default revision, the default tag
  await helmCli([
    'install',
    `istiod-${revision}`,
    ...chart(repo, 'istiod', version),
    '-n',
    SYS,
    '--create-namespace',
    '--set',
    'profile=ambient',
    '--set',
    `revision=${revision}`,
  ]);
  await waitForWebhooksOnStandin();
  await waitForDeploymentAvailable(SYS, `istiod-${revision}`);
  // the injector stand-in answers the webhooks by URL: base's validator gets that URL (as for a
  // remote istiod), as in helm-mesh-support.ts
  const injector = await adm.readMutatingWebhookConfiguration({ name: `istio-sidecar-injector-${revision}` });
  const cc = injector.webhooks![0]!.clientConfig;
  await helmCli([
    'install',
    'istio-base',
    ...chart(repo, 'base', version),
    '-n',
    SYS,
    '--set',
    `defaultRevision=${revision}`,
    '--set',
    `base.validationURL=${new URL(cc.url!).origin}/validate`,
    '--set',
    `base.validationCABundle=${cc.caBundle}`,
  ]);
  await istioctl(version, ['tag', 'set', 'default', '--revision', revision, '-y', '--overwrite']);
  await waitForWebhooksOnStandin();

  // the node agents
  await installAgents(repo, version, revision);

  // the ambient namespace, its app and its waypoint; the sidecar namespace and its app
  await core.createNamespace({
    body: {
      metadata: {
        name: ambientNamespace,
        labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' },
      },
    },
  });
  await core.createNamespace({
    body: { metadata: { name: sidecarNamespace, labels: { 'istio.io/rev': revision } } },
  });
  await apps.createNamespacedDeployment({
    namespace: ambientNamespace,
    body: deployment(ambientNamespace, 'app', 1),
  });
  await apps.createNamespacedDeployment({
    namespace: sidecarNamespace,
    body: deployment(sidecarNamespace, 'app', 1),
  });
  const waypoint = { namespace: ambientNamespace, name: 'waypoint' };
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: ambientNamespace,
    plural: 'gateways',
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: waypoint.name,
        namespace: ambientNamespace,
        labels: { 'istio.io/waypoint-for': 'service' },
      },
      spec: {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
      },
    },
  });
  for (const ns of [ambientNamespace, sidecarNamespace]) await waitForDeploymentAvailable(ns, 'app');
  // istiod (the stand-in) renders the waypoint's Deployment, named like the Gateway
  await waitFor(
    `waypoint ${ambientNamespace}/waypoint rendered by ${revision}`,
    async () => {
      const d = await apps
        .readNamespacedDeployment({ name: waypoint.name, namespace: ambientNamespace })
        .catch(() => null);
      return d?.spec?.template?.metadata?.annotations?.['istio.io/rev'] === revision;
    },
    120_000,
    500,
  );
  await waitForDeploymentAvailable(ambientNamespace, waypoint.name);
  const nodes = (await core.listNode()).items.map((n) => n.metadata?.name ?? '').sort();
  return {
    version,
    revision,
    repo,
    releases: { ztunnel: 'ztunnel', cni: 'istio-cni' },
    ambientNamespace,
    sidecarNamespace,
    waypoint,
    nodes,
    crdsInstalled,
  };
}

/**
 * Removes the mesh: every Helm release (agents included), control plane, webhook and tag (resetMesh),
 * the two namespaces, the Gateway API CRDs when `installAmbientMesh` installed them; closes the chart
 * repository. Idempotent; never throws for what is already gone.
 */
export async function teardownAmbientMesh(mesh: AmbientMesh | undefined): Promise<void> {
  if (!mesh) return;
  await uninstallAgents();
  await resetMesh(mesh.version, [mesh.ambientNamespace, mesh.sidecarNamespace]);
  if (mesh.crdsInstalled) await removeGatewayApiCrds().catch(() => undefined);
  await mesh.repo.close();
}
