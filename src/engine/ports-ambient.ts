/**
 * The ambient data plane's node agents port (issue 14, ADR 20): part of src/engine/ports.ts, in a
 * file of its own. Real adapter: src/cluster/ambient.
 */
import type { AmbientDataPlaneView } from '../domain/upgrade/ambient/index.js';
import type { Waypoint } from '../domain/upgrade/ambient/waypoints.js';
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
  /**
   * Reads, changing nothing, each agent release's `updateStrategy` as its user gave it (null: none,
   * the chart's default): the holds to save in the run record BEFORE `upgradeReleases`, then pass
   * to it as `prior`. Read from helm's history (the newest revision that is not the bot's hold,
   * which the held upgrade marks with its `--description`), so it answers the same before the held
   * upgrade, after it, and after a crash between the two: the held OnDelete is never the user's.
   */
  readHolds(
    target: { namespace: string; releases: { agent: 'ztunnel' | 'cni'; release: string }[] },
    signal?: AbortSignal,
  ): Promise<AgentHold[]>;
  /**
   * A read, at the precheck (before anything changes): throws `helm_failed` naming each target chart
   * that has no `updateStrategy` value (e.g. the 1.25 charts), which the bot cannot hold at OnDelete
   * and so cannot move in node waves. `upgradeReleases` checks the same again.
   */
  checkHoldable(
    target: { namespace: string; releases: { agent: 'ztunnel' | 'cni'; release: string }[] },
    version: string,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * `helm upgrade` of each agent release (`releases`, in order) to `to.version`, its DaemonSet held at
   * OnDelete so no pod is replaced yet; refuses a target chart that cannot be held before any change.
   * Idempotent: a release whose newest revision is the bot's deployed hold at `to.version` is not
   * upgraded again. `prior`: the holds saved from `readHolds` (or an earlier run); a release in it is
   * never re-read. Without `prior` (or for a release missing from it) the hold is read as `readHolds`
   * does, before that release changes. Returns the holds (`prior`'s where given): what
   * `releaseHold` gives back after the last wave.
   */
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
  /**
   * Cordon (`true`): marks each schedulable node of `nodes` unschedulable, with the bot's annotation
   * `istio-upgrade-bot.io/cordoned`; a node someone else cordoned is left alone. Uncordon (`false`):
   * only the nodes carrying the bot's annotation (which it removes), so a node cordoned by someone
   * else stays cordoned. Returns the nodes that are (cordon) or were (uncordon) the bot's — a re-run
   * returns the same list. A node that is gone is skipped. Never a drain.
   */
  setCordon(nodes: string[], cordoned: boolean, signal?: AbortSignal): Promise<string[]>;
  /** After the last node wave: each DaemonSet's update strategy as its user had it. */
  releaseHold(namespace: string, holds: AgentHold[], version: string, signal?: AbortSignal): Promise<void>;
  /**
   * Reads, changing nothing, every waypoint (Gateway of class `istio-waypoint`): the revision whose
   * istiod should serve it now (its `istio.io/rev` label, else its namespace's, a revision or a tag;
   * none: the `default` tag — the same tag-watcher rule as class `istio`, ADR 17), the revision its
   * Deployment runs (pod template annotation `istio.io/rev`; null: not rendered) and whether that
   * Deployment is rolled out. No Gateway API CRDs: none. Call it after the tag move (poll until
   * `waypointsNotOn(list, newRevision)` of src/domain/upgrade/ambient/waypoints.ts is empty, or give
   * its reasons), and before the old revision's uninstall (`waypointsOn(list, oldRevision)` empty).
   */
  waypoints(signal?: AbortSignal): Promise<Waypoint[]>;
  /** Rollback: each release back to its revision before `version` (helm waits for the nodes to roll back). */
  rollbackReleases(
    target: { namespace: string; releases: { agent: 'ztunnel' | 'cni'; release: string }[] },
    version: string,
    signal?: AbortSignal,
  ): Promise<void>;
}
