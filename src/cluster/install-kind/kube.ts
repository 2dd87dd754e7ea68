/**
 * InstallationInspector over the Kubernetes API: reads only (list), every request through
 * KubeClient.request (own timeout, transient faults retried, the caller's AbortSignal).
 *
 * - istiod Deployments (`app=istiod`) in the Istio namespace, classified by classify.ts;
 * - Helm release Secrets (`owner=helm`, type `helm.sh/release.v1`) in the Istio namespace and in
 *   every namespace a Deployment's `meta.helm.sh/release-namespace` names;
 * - ambient: ztunnel and istio-cni DaemonSets in any namespace (one list, matched by classify.ts
 *   `agentOf`: the ztunnel chart labels its DaemonSet `app.kubernetes.io/name`, not `app`), namespaces
 *   labelled `istio.io/dataplane-mode=ambient`, Gateways of class `istio-waypoint` (Gateway API v1,
 *   then v1beta1; a cluster without the Gateway API CRDs has no waypoints, not an error).
 * Gateways and Secrets are optional reads: a 403 on them (the bot's chart grants neither by default
 * when `rbac.istioctlSecretsAccess=false`) reads as none; Helm's annotations on istiod and the
 * ztunnel DaemonSet still tell a Helm-managed or ambient mesh.
 */
import { CustomObjectsApi, type V1DaemonSet, type V1Secret } from '@kubernetes/client-node';
import type { InstallationView } from '../../domain/upgrade/installation.js';
import type { InstallationInspector } from '../../engine/ports.js';
import { CodedError } from '../../errors.js';
import type { KubeClient } from '../kube/client.js';
import { type Listed, listAll } from '../kube/paged.js';
import { agentOf, classify, helmOwner, helmReleases } from './classify.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const WAYPOINT_CLASS = 'istio-waypoint';

interface GatewayObj {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: unknown };
  spec?: { gatewayClassName?: string };
}

/** A read the bot's ServiceAccount may not be granted: forbidden reads as empty. */
async function forbiddenAsEmpty<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof CodedError && e.details.status === 403) return [];
    throw e;
  }
}

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class KubeInstallationInspector implements InstallationInspector {
  private custom: CustomObjectsApi | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly istioNamespace = 'istio-system',
  ) {}

  async inspect(signal?: AbortSignal): Promise<InstallationView> {
    const ns = this.istioNamespace;
    const [deployments, daemonSets, ambientNs, waypoints] = await Promise.all([
      listAll(this.client, `list istiod Deployments in ${ns}`, signal, (page, o) =>
        this.client.apps.listNamespacedDeployment({ namespace: ns, labelSelector: 'app=istiod', ...page }, o),
      ),
      listAll(this.client, 'list DaemonSets', signal, (page, o) =>
        this.client.apps.listDaemonSetForAllNamespaces({ ...page }, o),
      ),
      listAll(this.client, 'list ambient Namespaces', signal, (page, o) =>
        this.client.core.listNamespace({ labelSelector: 'istio.io/dataplane-mode=ambient', ...page }, o),
      ),
      forbiddenAsEmpty(this.waypoints(signal)),
    ]);
    const agents = (kind: 'ztunnel' | 'cni') =>
      daemonSets
        .filter((d: V1DaemonSet) => !d.metadata?.deletionTimestamp && agentOf(d) === kind)
        .map(key)
        .sort();
    const live = deployments.filter((d) => !d.metadata?.deletionTimestamp);
    const releaseNamespaces = new Set([ns]);
    for (const d of live) {
      const owner = helmOwner(d, ns);
      if (owner) releaseNamespaces.add(owner.namespace);
    }
    const secrets = await Promise.all(
      [...releaseNamespaces].map(async (rns) => ({
        rns,
        items: await forbiddenAsEmpty(
          listAll(this.client, `list Helm release Secrets in ${rns}`, signal, (page, o) =>
            this.client.core.listNamespacedSecret(
              { namespace: rns, labelSelector: 'owner=helm', ...page },
              o,
            ),
          ),
        ),
      })),
    );
    const releases = secrets.flatMap(({ rns, items }) => helmReleases(items as V1Secret[], rns));
    return {
      istioNamespace: ns,
      revisions: live
        .map((d) => classify(d, ns, releases))
        .sort((a, b) => a.revision.localeCompare(b.revision)),
      helmReleases: releases.filter((r) => r.namespace === ns),
      ambient: {
        ztunnel: agents('ztunnel'),
        cni: agents('cni'),
        namespaces: ambientNs
          .filter((n) => !n.metadata?.deletionTimestamp)
          .map((n) => n.metadata?.name ?? '')
          .filter(Boolean)
          .sort(),
        waypoints,
      },
    };
  }

  /** Waypoints; a 404 (no Gateway API CRD, or not that version) tries the next version, then none. */
  private async waypoints(signal?: AbortSignal): Promise<string[]> {
    this.custom ??= this.client.kc.makeApiClient(CustomObjectsApi);
    const custom = this.custom;
    for (const version of ['v1', 'v1beta1']) {
      const items = await listAll(
        this.client,
        `list Gateways (${GATEWAY_GROUP}/${version})`,
        signal,
        (page, o) =>
          custom.listClusterCustomObject(
            { group: GATEWAY_GROUP, version, plural: 'gateways', ...page },
            o,
          ) as Promise<Listed<GatewayObj>>,
        true,
      );
      if (items === null) continue;
      return items
        .filter((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS && !g.metadata?.deletionTimestamp)
        .map(key)
        .sort();
    }
    return [];
  }
}
