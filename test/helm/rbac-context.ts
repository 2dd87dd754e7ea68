// What the chart-RBAC proof (test/helm/rbac.test.ts) shares between its call paths
// (rbac-istioctl.ts, rbac-wave.ts, rbac-proxy-status.ts, rbac-gateway-api.ts, rbac-refusals.ts):
// the names of this run and the clients built along the way. The paths run in order on one cluster.
import { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import { kubectlPath, run, runOk } from '../support/cluster-harness.js';

export const ISTIO = 'istio-system';
export const LONG = { timeout: 900_000 };

export interface RbacRun {
  S: string;
  OLD: string;
  NEW: string;
  /** the release's namespace */
  NS: string;
  /** a namespace the bot upgrades */
  APPS: string;
  /** someone else's namespace, with a Secret */
  OTHER: string;
  RELEASE: string;
  SA: string;
  R_OLD: string;
  R_NEW: string;
  TAG: string;
  /** a ServiceAccount without the chart's Role */
  NO_PS: string;
  dir: string;
  admin: KubeConfig;
  /** a kubeconfig with the chart ServiceAccount's token (set by the token step) */
  tokenConfig: string;
  /** the worker's adapters on that token (set by the token step) */
  a: ClusterAdapters;
}

export function names(S: string, OLD: string, NEW: string) {
  const RELEASE = `h${S}`;
  return {
    S,
    OLD,
    NEW,
    NS: `iub-helm-${S}`,
    APPS: `iub-helm-${S}-apps`,
    OTHER: `iub-helm-${S}-other`,
    RELEASE,
    SA: `${RELEASE}-istio-upgrade-bot`,
    R_OLD: `h${S}-old`,
    R_NEW: `h${S}-new`,
    TAG: `h${S}-stable`,
    NO_PS: `h${S}-no-ps`,
  };
}

export const kubectl = (args: string[]) => runOk(kubectlPath(), args);
export const asBot = (r: RbacRun, args: string[]) =>
  run(kubectlPath(), ['--kubeconfig', r.tokenConfig, ...args]);
/** `kubectl auth can-i` with the bot's own token. */
export const can = async (r: RbacRun, ...args: string[]) =>
  (await asBot(r, ['auth', 'can-i', ...args])).stdout.trim();

/**
 * A SelfSubjectAccessReview with the token in `kubeconfig`, by API group and resource: unlike
 * `kubectl auth can-i`, it needs no discovery, so it also answers for a resource whose CRD is absent.
 */
export async function mayI(
  kubeconfig: string,
  verb: string,
  group: string,
  resource: string,
  namespace?: string,
): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const r = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) } } },
  });
  return r.status?.allowed === true;
}
