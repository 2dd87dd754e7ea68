/**
 * The ambient data plane's node agents port (issue 14, ADR 20): part of src/engine/ports.ts, in a
 * file of its own. Real adapter: src/cluster/ambient.
 */
import type { AmbientDataPlaneView } from '../domain/upgrade/ambient/index.js';
import type { RolloutProgress } from './ports.js';

/** An agent's Helm release and the `updateStrategy` value its user gave it before the hold (null: none). */
export interface AgentHold {
  agent: 'ztunnel' | 'cni';
  release: string;
  userStrategy: Record<string, unknown> | null;
}

/**
 * The ambient data plane's node agents, ztunnel and istio-cni (ADR 20): read, upgraded in place with
 * Helm and moved node by node. Real adapter: src/cluster/ambient. Every mutation is idempotent.
 */
export interface AmbientDataPlane {
  /** The agents' DaemonSets (and their Helm releases), pods by node, nodes, ambient namespaces, waypoints. */
  inspect(signal?: AbortSignal): Promise<AmbientDataPlaneView>;
  /** `helm upgrade` of each agent release (`releases`, in order) to `to.version`, its DaemonSet held at
   * OnDelete so no pod is replaced yet; refuses a target chart that cannot be held before any change.
   * `prior`: the holds of an earlier run (a retried step keeps what the first run saw). */
  upgradeReleases(
    target: { namespace: string; releases: { agent: 'ztunnel' | 'cni'; release: string }[] },
    from: { version: string; revision: string },
    to: { version: string; revision: string },
    prior: AgentHold[] | undefined,
    signal?: AbortSignal,
  ): Promise<AgentHold[]>;
  /** Deletes the agent pods on `nodes` not on `version` (their DaemonSet recreates them); returns those deleted. */
  replaceOnNodes(nodes: string[], version: string, signal?: AbortSignal): Promise<string[]>;
  /** Waits until each node runs one ready pod of each agent at `version`; throws verify_failed naming the rest. */
  verifyNodes(
    nodes: string[],
    version: string,
    opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (p: RolloutProgress) => void },
  ): Promise<void>;
  setCordon(nodes: string[], cordoned: boolean, signal?: AbortSignal): Promise<void>;
  /** After the last node wave: each DaemonSet's update strategy as its user had it. */
  releaseHold(namespace: string, holds: AgentHold[], version: string, signal?: AbortSignal): Promise<void>;
  /** Rollback: each release back to its revision before `version` (helm waits for the nodes to roll back). */
  rollbackReleases(
    target: { namespace: string; releases: { agent: 'ztunnel' | 'cni'; release: string }[] },
    version: string,
    signal?: AbortSignal,
  ): Promise<void>;
}
