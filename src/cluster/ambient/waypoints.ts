/**
 * Waypoints over the Kubernetes API (AmbientDataPlane.waypoints, ADR 20; domain:
 * src/domain/upgrade/ambient/waypoints.ts): Gateways of class `istio-waypoint`
 * (gateway.networking.k8s.io v1, then v1beta1; a cluster without the CRDs has none), what istiod's
 * tag watcher decides claims each one, and the Deployment istiod's gateway deployment controller
 * renders for it (pilot/pkg/config/kube/gateway `classInfos`: class `istio-waypoint` is the
 * `istio.io/mesh-controller`, template `waypoint`, no name suffix — the Deployment is named like the
 * Gateway — and label `gateway.istio.io/managed=istio.io-mesh-controller`).
 *
 * The claim is read as istiod's tag watcher reads it (pkg/revisions/tag_watcher.go): running istiod
 * revisions (Deployments `app=istiod`, label `istio.io/rev`, none: `default`) and tags (the
 * MutatingWebhookConfigurations labelled `istio.io/tag`, whose `istio.io/rev` names the revision);
 * then `servingRevision` (src/domain/upgrade/gateway-api.ts), the same rule as class `istio`.
 * Every request through KubeClient.request (own timeout, transient faults retried, the caller's signal).
 */
import { CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import type { Waypoint } from '../../domain/upgrade/ambient/waypoints.js';
import { type MeshRevisions, servingRevision } from '../../domain/upgrade/gateway-api.js';
import { type GatewayObj, isManaged, liveGateways, renderedBy } from '../gateway-api/kube.js';
import { WAYPOINT_CLASS } from '../install-kind/kube.js';
import type { KubeClient } from '../kube/client.js';
import { listAll } from '../kube/paged.js';
import { deploymentStatus } from '../kube/rollout-status.js';

const REV = 'istio.io/rev';
const TAG = 'istio.io/tag';
/** The label istiod's mesh controller puts on the waypoint Deployments it renders. */
export const WAYPOINT_MANAGED_SELECTOR = 'gateway.istio.io/managed=istio.io-mesh-controller';

/** The Deployment istiod renders for a waypoint: the Gateway's own name, or its name-override. Pure. */
export const waypointDeploymentName = (g: GatewayObj): string =>
  g.metadata?.annotations?.['gateway.istio.io/name-override'] || (g.metadata?.name ?? '');

/** The read model of one waypoint (pure). */
export function toWaypoint(
  g: GatewayObj,
  nsRev: Map<string, string | null>,
  deployments: Map<string, V1Deployment>,
  mesh: MeshRevisions,
): Waypoint {
  const namespace = g.metadata?.namespace ?? '';
  const deployment = waypointDeploymentName(g);
  const revLabel = g.metadata?.labels?.[REV] ?? null;
  const namespaceRev = nsRev.get(namespace) ?? null;
  const managed = isManaged(g);
  const d = deployments.get(`${namespace}/${deployment}`);
  return {
    namespace,
    name: g.metadata?.name ?? '',
    revLabel,
    namespaceRev,
    managed,
    deployment,
    servedBy: servingRevision(
      { namespace, name: '', revLabel, namespaceRev, managed, deployment, renderedBy: null },
      mesh,
    ),
    renderedBy: renderedBy(d),
    ready: d ? deploymentStatus(d).done : false,
  };
}

export class KubeWaypoints {
  private readonly custom: CustomObjectsApi;
  constructor(private readonly client: KubeClient) {
    this.custom = client.kc.makeApiClient(CustomObjectsApi);
  }

  /** Every waypoint (class `istio-waypoint`, not being deleted), sorted by namespace/name. */
  async list(signal?: AbortSignal): Promise<Waypoint[]> {
    const gateways = await this.gateways(signal);
    if (gateways.length === 0) return [];
    const [namespaces, deployments, mesh] = await Promise.all([
      listAll(this.client, 'list Namespaces', signal, (page, o) =>
        this.client.core.listNamespace({ ...page }, o),
      ),
      listAll(this.client, 'list waypoint Deployments', signal, (page, o) =>
        this.client.apps.listDeploymentForAllNamespaces(
          { labelSelector: WAYPOINT_MANAGED_SELECTOR, ...page },
          o,
        ),
      ),
      this.mesh(signal),
    ]);
    const nsRev = new Map(namespaces.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[REV] ?? null]));
    const byName = new Map(
      deployments.map((d) => [`${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`, d]),
    );
    return gateways
      .map((g) => toWaypoint(g, nsRev, byName, mesh))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  /** Running istiod revisions and the tags their webhooks carry, as the tag watcher sees them. */
  private async mesh(signal?: AbortSignal): Promise<MeshRevisions> {
    const [istiods, webhooks] = await Promise.all([
      listAll(this.client, 'list istiod Deployments', signal, (page, o) =>
        this.client.apps.listDeploymentForAllNamespaces({ labelSelector: 'app=istiod', ...page }, o),
      ),
      listAll(this.client, 'list tag webhooks', signal, (page, o) =>
        this.client.admission.listMutatingWebhookConfiguration({ labelSelector: TAG, ...page }, o),
      ),
    ]);
    return {
      controlPlanes: istiods
        .filter((d) => !d.metadata?.deletionTimestamp)
        .map((d) => ({ revision: d.metadata?.labels?.[REV] || 'default' })),
      tags: webhooks
        .map((w) => ({ tag: w.metadata?.labels?.[TAG] ?? '', revision: w.metadata?.labels?.[REV] ?? '' }))
        .filter((t) => t.tag !== '' && t.revision !== ''),
    };
  }

  private async gateways(signal?: AbortSignal): Promise<GatewayObj[]> {
    const served = await liveGateways(this.client, this.custom, 'waypoints', signal);
    return (served?.gateways ?? []).filter((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS);
  }
}
