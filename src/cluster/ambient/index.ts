/**
 * AmbientDataPlane (src/engine/ports.ts) over the Kubernetes API and the real helm (ADR 20): the node
 * agents read and moved node by node (./kube.ts), their releases upgraded in place and held (./releases.ts),
 * the waypoints read with the revision that serves and renders each (./waypoints.ts).
 */
import type { AmbientDataPlaneView } from '../../domain/upgrade/ambient/index.js';
import type { Waypoint } from '../../domain/upgrade/ambient/waypoints.js';
import type { AgentHold, AmbientDataPlane, RolloutProgress } from '../../engine/ports.js';
import type { Helm } from '../helm/helm.js';
import type { KubeClient } from '../kube/client.js';
import { KubeAmbientNodes } from './kube.js';
import { type AgentRelease, AgentReleases } from './releases.js';
import { KubeWaypoints } from './waypoints.js';

export { CORDONED_BY, cordonChange, KubeAmbientNodes } from './kube.js';
export {
  AgentReleases,
  flatten,
  HOLD_DESCRIPTION,
  holdSets,
  holdsUpdateStrategy,
  userRevision,
} from './releases.js';
export { KubeWaypoints, toWaypoint, WAYPOINT_MANAGED_SELECTOR, waypointDeploymentName } from './waypoints.js';

type Target = { namespace: string; releases: AgentRelease[] };

export class ClusterAmbientDataPlane implements AmbientDataPlane {
  private readonly nodes: KubeAmbientNodes;
  private readonly releases: AgentReleases;
  private readonly waypointReader: KubeWaypoints;

  constructor(client: KubeClient, helm: Helm, o: { pollMs?: number } = {}) {
    this.nodes = new KubeAmbientNodes(client, o);
    this.releases = new AgentReleases(helm);
    this.waypointReader = new KubeWaypoints(client);
  }

  waypoints(signal?: AbortSignal): Promise<Waypoint[]> {
    return this.waypointReader.list(signal);
  }

  inspect(signal?: AbortSignal): Promise<AmbientDataPlaneView> {
    return this.nodes.view(signal);
  }

  checkHoldable(target: Target, version: string, signal?: AbortSignal): Promise<void> {
    return this.releases.checkHoldable(target.releases, version, signal);
  }

  readHolds(target: Target, signal?: AbortSignal): Promise<AgentHold[]> {
    return this.releases.userStrategies(target.releases, target.namespace, signal);
  }

  async upgradeReleases(
    target: Target,
    from: { version: string; revision: string },
    to: { version: string; revision: string },
    prior: AgentHold[] | undefined,
    signal?: AbortSignal,
  ): Promise<AgentHold[]> {
    await this.releases.checkHoldable(target.releases, to.version, signal);
    return this.releases.upgrade(target.releases, target.namespace, from, to, prior, signal);
  }

  replaceOnNodes(nodes: string[], version: string, signal?: AbortSignal): Promise<string[]> {
    return this.nodes.replaceOnNodes(nodes, version, signal);
  }

  verifyNodes(
    nodes: string[],
    version: string,
    opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (p: RolloutProgress) => void },
  ): Promise<void> {
    return this.nodes.waitForNodes(nodes, version, opts);
  }

  setCordon(nodes: string[], cordoned: boolean, signal?: AbortSignal): Promise<string[]> {
    return this.nodes.setCordon(nodes, cordoned, signal);
  }

  releaseHold(namespace: string, holds: AgentHold[], version: string, signal?: AbortSignal): Promise<void> {
    return this.releases.releaseHold(holds, namespace, version, signal);
  }

  rollbackReleases(target: Target, version: string, signal?: AbortSignal): Promise<void> {
    return this.releases.rollback(target.releases, target.namespace, version, signal);
  }
}
