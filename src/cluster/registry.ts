/**
 * The composition root's entry to the cluster adapters: one ClusterPorts per configured cluster
 * (kubeconfig context or in-cluster), built lazily on first use so a broken kubeconfig for one cluster
 * does not stop the others.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterPorts, ClusterRegistry, ProxyStatusSource } from '../engine/ports.js';
import { CodedError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { ClusterAmbientDataPlane } from './ambient/index.js';
import { IstioControlPlane } from './control-plane.js';
import { KubeGatewayApiGateways } from './gateway-api/kube.js';
import { type ChartSource, DEFAULT_ISTIO_HELM_REPO, parseChartSource } from './helm/commands.js';
import { HelmIstio } from './helm/control-plane.js';
import { Helm } from './helm/helm.js';
import type { HelmRunner } from './helm/run.js';
import { KubeInstallationInspector } from './install-kind/kube.js';
import { KubeInstalledGateways } from './installed-gateways/kube.js';
import { Istioctl } from './istioctl/istioctl.js';
import { IstioctlLocator } from './istioctl/locate.js';
import type { IstioctlRunner } from './istioctl/run.js';
import { IN_CLUSTER, KubeClient } from './kube/client.js';
import { KubeGatewayMover } from './kube/gateways.js';
import { KubeMeshInspector } from './kube/inspector.js';
import { KubeNamespaceMover } from './kube/namespaces.js';
import { KubeRestarter } from './kube/restart.js';
import { IstioctlProxyStatus } from './proxy-status/istioctl.js';
import { KubernetesProxyStatus } from './proxy-status/kubernetes.js';
import { type SynczOptions, SynczProxyStatus } from './proxy-status/syncz.js';

export type ProxyStatusKind = 'istioctl' | 'syncz' | 'kubernetes';

export interface ClusterConfig {
  name: string;
  /** kubeconfig context, or `in-cluster`. */
  context: string;
  /** kubeconfig file (default: KUBECONFIG / ~/.kube/config). */
  kubeconfig?: string | undefined;
}

export interface ClusterRegistryOptions {
  clusters: ClusterConfig[];
  /** Default: the first cluster. */
  defaultCluster?: string | undefined;
  istioctlDir: string;
  /** Where downloaded istioctl binaries go (default: istioctlDir). */
  istioctlCacheDir?: string | undefined;
  downloadUrl?: string | undefined;
  istioctlTimeoutMs: number;
  proxyStatusSource: ProxyStatusKind;
  logger: Logger;
  istioNamespace?: string;
  /** IstioOperator overlay for installs (`-f`). */
  installOverlay?: string | undefined;
  /** Longest one Kubernetes request may take (KUBE_REQUEST_TIMEOUT, default 30 s); watches keep their own. */
  kubeRequestTimeoutMs?: number | undefined;
  /** Time within which a Kubernetes request's transient faults are retried (KUBE_RETRY_BUDGET, default 60 s). */
  kubeRetryBudgetMs?: number | undefined;
  /** Concurrent API requests per wave (default 16). */
  concurrency?: number;
  /** Namespaces holding injected gateways (default: all). */
  gatewayNamespaces?: string[] | undefined;
  /** The Helm canary path: the helm binary (HELM_PATH, default `helm`), the Istio charts
   * (ISTIO_HELM_REPO, default the official repository) and helm's own directory. */
  helm?: { bin?: string | undefined; repo?: string | undefined; home?: string | undefined };
  /** Test hooks. */
  istioctlRunner?: IstioctlRunner;
  helmRunner?: HelmRunner;
  syncz?: SynczOptions;
  watchTimeoutSeconds?: number;
}

/** Everything of one cluster: the engine's ports plus the concrete adapters for extra calls. */
export interface ClusterAdapters extends ClusterPorts {
  name: string;
  kube: KubeClient;
  inspector: KubeMeshInspector;
  restarter: KubeRestarter;
  gateways: KubeGatewayMover;
  controlPlane: IstioControlPlane;
  istioctl: Istioctl;
  locator: IstioctlLocator;
}

export function createClusterAdapters(c: ClusterConfig, o: ClusterRegistryOptions): ClusterAdapters {
  const logger = o.logger.child({ cluster: c.name });
  const kube = new KubeClient(
    { context: c.context, kubeconfig: c.kubeconfig },
    {
      requestTimeoutMs: o.kubeRequestTimeoutMs,
      ...(o.kubeRetryBudgetMs !== undefined ? { retry: { budgetMs: o.kubeRetryBudgetMs } } : {}),
      logger,
    },
  );
  const istioNamespace = o.istioNamespace ?? 'istio-system';
  const locator = new IstioctlLocator({
    dir: o.istioctlDir,
    cacheDir: o.istioctlCacheDir,
    downloadUrl: o.downloadUrl,
    logger,
  });
  const istioctl = new Istioctl({
    locator,
    target: {
      ...(c.context !== IN_CLUSTER ? { context: c.context } : {}),
      ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
      istioNamespace,
    },
    timeoutMs: o.istioctlTimeoutMs,
    logger,
    ...(o.istioctlRunner ? { runner: o.istioctlRunner } : {}),
  });
  const inspector = new KubeMeshInspector(kube, istioNamespace);
  const restarter = new KubeRestarter(kube, {
    concurrency: o.concurrency ?? 16,
    logger,
    ...(o.watchTimeoutSeconds ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}),
  });
  const gateways = new KubeGatewayMover(kube, restarter, inspector, {
    namespaces: o.gatewayNamespaces,
    logger,
  });
  const controlPlane = new IstioControlPlane(istioctl, locator, kube, inspector, {
    istioNamespace,
    overlay: o.installOverlay,
  });
  const charts: ChartSource = parseChartSource(o.helm?.repo ?? DEFAULT_ISTIO_HELM_REPO) ?? {
    kind: 'repo',
    url: DEFAULT_ISTIO_HELM_REPO,
  };
  const helmCli = new Helm({
    bin: o.helm?.bin ?? 'helm',
    charts,
    target: {
      ...(c.context !== IN_CLUSTER ? { context: c.context } : {}),
      ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    },
    home: o.helm?.home ?? join(tmpdir(), 'istio-upgrade-bot-helm'),
    timeoutMs: o.istioctlTimeoutMs,
    logger,
    ...(o.helmRunner ? { runner: o.helmRunner } : {}),
  });
  const helm = new HelmIstio(helmCli, controlPlane, gateways, logger);
  let proxyStatus: ProxyStatusSource;
  switch (o.proxyStatusSource) {
    case 'syncz':
      proxyStatus = new SynczProxyStatus(inspector, o.syncz);
      break;
    case 'kubernetes':
      proxyStatus = new KubernetesProxyStatus(inspector);
      break;
    default:
      proxyStatus = new IstioctlProxyStatus(istioctl, locator, inspector);
  }
  return {
    name: c.name,
    kube,
    inspector,
    installer: controlPlane,
    tagger: controlPlane,
    mover: new KubeNamespaceMover(kube),
    gateways,
    installedGateways: new KubeInstalledGateways(kube, restarter, { istioNamespace, logger }),
    installation: new KubeInstallationInspector(kube, istioNamespace),
    gatewayApi: new KubeGatewayApiGateways(kube, restarter, { logger }),
    helm,
    ambient: new ClusterAmbientDataPlane(kube, helmCli),
    restarter,
    proxyStatus,
    controlPlane,
    istioctl,
    locator,
  };
}

export interface AdaptersRegistry extends ClusterRegistry {
  get(name: string): ClusterAdapters | undefined;
}

export function createClusterRegistry(o: ClusterRegistryOptions): AdaptersRegistry {
  if (o.clusters.length === 0) {
    throw new CodedError(ErrorCode.ConfigInvalid, 'CLUSTERS names no cluster');
  }
  const names = o.clusters.map((c) => c.name);
  const def = o.defaultCluster ?? names[0]!;
  if (!names.includes(def)) {
    throw new CodedError(
      ErrorCode.ConfigInvalid,
      `DEFAULT_CLUSTER "${def}" is not one of ${names.join(', ')}`,
    );
  }
  const built = new Map<string, ClusterAdapters>();
  return {
    names: () => [...names],
    defaultName: () => def,
    get(name: string) {
      const c = o.clusters.find((x) => x.name === name);
      if (!c) return undefined;
      let a = built.get(name);
      if (!a) {
        a = createClusterAdapters(c, o);
        built.set(name, a);
      }
      return a;
    },
  };
}
