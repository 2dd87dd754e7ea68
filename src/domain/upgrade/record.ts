/**
 * The upgrade record: the one truth about an upgrade, stored in Redis by the engine, rendered by the
 * Slack layer. Plain JSON (no Dates, no classes) so it round-trips through Redis unchanged.
 */
import type { Agent, NodeVersions } from './ambient/data-plane.js';
import type { AnalysisSpec, WaveAnalysisResult } from './analysis.js';
import type { GatewayApiPlan } from './gateway-api.js';
import type { AutoStart, ProgressiveSpec } from './progressive.js';

export type Strategy = 'labels' | 'tags';

/** The steps of an upgrade, in order (canary-workflow.md). Wave steps repeat per wave. */
export const STEPS = [
  'plan',
  'precheck',
  'install_control_plane',
  'verify_control_plane',
  'gateways',
  'await_wave_approval',
  'move_namespaces',
  'restart_workloads',
  'wait_rollouts',
  'verify_sidecars',
  'analyze_wave',
  'post_diff',
  // ambient meshes (ADR 20): the node agents' releases held, then node waves, then the hold given back
  'upgrade_agents',
  'replace_nodes',
  'verify_nodes',
  'release_hold',
  'await_finish_approval',
  'move_tags',
  'grace_period',
  'check_old_unused',
  'uninstall_old',
  'done',
] as const;
export type Step = (typeof STEPS)[number];

/** running: a worker owns the next step. awaiting_approval: nothing runs until a person decides.
 * paused: a person (or an expired approval) paused it. stopped: a step failed; a person retries,
 * rolls back or aborts. aborting: aborted while a step may still be running; the cluster stays
 * locked until that step has really stopped (then `aborted`). rolling_back / rolled_back / aborted /
 * done / planned (dry run) as named. */
export type UpgradeState =
  | 'running'
  | 'aborting'
  | 'awaiting_approval'
  | 'paused'
  | 'stopped'
  | 'rolling_back'
  | 'rolled_back'
  | 'aborted'
  | 'done'
  | 'planned';

export const TERMINAL_STATES: readonly UpgradeState[] = ['rolled_back', 'aborted', 'done', 'planned'];

export type WaveStatus = 'pending' | 'awaiting_approval' | 'running' | 'done' | 'failed' | 'rolled_back';

export interface WaveWorkloadProgress {
  total: number;
  restarted: number;
  ready: number;
}

export interface DiffSummary {
  moved: number;
  partial: number;
  unchanged: number;
  added: number;
  removed: number;
  notSynced: number;
  /** proxies per revision before and after the wave. */
  before: Record<string, number>;
  after: Record<string, number>;
}

export interface Wave {
  index: number; // 1-based, as people count
  namespaces: string[];
  status: WaveStatus;
  approvedBy?: string;
  approvedAt?: string;
  /** The `kubectl.kubernetes.io/restartedAt` stamp for this wave, stored before any restart. */
  restartedAt?: string;
  progress?: WaveWorkloadProgress;
  diff?: DiffSummary;
  /** The traffic analysis after the rollouts (only with `record.analysis`; additive). */
  analysis?: WaveAnalysisResult;
  startedAt?: string;
  finishedAt?: string;
  /** Why each namespace is in this wave, by namespace (planned waves; additive). */
  reasons?: Record<string, string>;
  /** A node wave of an ambient mesh (ADR 20; additive, absent: a namespace wave, whose `namespaces`
   * it moves). A node wave has no namespaces: ztunnel and istio-cni are replaced on `nodes`, and
   * `reasons` are by node. */
  kind?: 'nodes';
  nodes?: string[];
  /** Nodes the wave cordons before and uncordons after (planned: cordon on, not cordoned before). */
  cordon?: string[];
  /** ztunnel and istio-cni per node after the wave (what is posted where sidecar waves get a diff). */
  nodeVersions?: NodeVersions[];
}

/** An agent's Helm release and the `updateStrategy` its user gave it before the hold (null: none). */
export interface AgentHoldRecord {
  agent: Agent;
  release: string;
  userStrategy: Record<string, unknown> | null;
}

/** The ambient data plane of the upgrade (ADR 20; additive, absent: no ztunnel to move). */
export interface AmbientUpgrade {
  /** The namespace of the agents' releases; the releases in the docs' order (ztunnel, istio-cni). */
  namespace: string;
  releases: { agent: Agent; release: string }[];
  /** Labelled istio.io/dataplane-mode=ambient: in no namespace wave, never restarted. */
  ambientNamespaces: string[];
  /** Waypoints (`namespace/name`): they follow the tags at the finish. */
  waypoints: string[];
  /** Nodes whose agents already ran the target (no wave); what ran when requested. */
  upToDate: string[];
  running: string[];
  /** Set (checkpoint) before the first `helm upgrade` of the releases: from then on they may be held. */
  upgradeStartedAt?: string;
  /** What the held upgrade returned (saved right after it): given back by `release_hold`. */
  holds?: AgentHoldRecord[];
}

export interface Approval {
  step: 'await_wave_approval' | 'await_finish_approval';
  wave?: number;
  /** Changes on every new request, so a button from an older message cannot decide a newer one. */
  nonce: string;
  requestedAt: string;
  expiresAt: string;
}

export interface Decision {
  step: Approval['step'];
  wave?: number;
  by: string;
  at: string;
  outcome: 'approved' | 'rolled_back' | 'paused' | 'expired';
  /** Approved outside the change windows to start when the next one opens (ISO; issue 15). */
  startAt?: string;
}

export interface AuditEntry {
  at: string;
  actor: string; // Slack user id, or `engine`
  channel?: string;
  action: string; // requested, approved, refused, paused, resumed, rollback, aborted, step_started, ...
  detail?: string;
  /** The same refusal repeated by the same person: counted here instead of appended (`at` is the last). */
  times?: number;
}

/** Audit entries kept on a record; older ones are dropped and counted in `auditDropped`. */
export const AUDIT_KEPT = 200;

/** Undo actions recorded after each completed step and run in reverse on rollback. */
export type Compensation =
  | {
      kind: 'move_namespaces_back';
      wave: number;
      namespaces: string[];
      to: NamespaceTarget;
      /** The restartedAt stamp used when undoing, stored before the first restart (additive). */
      restartedAt?: string;
    }
  | { kind: 'move_gateways_back'; revision: string }
  | { kind: 'uninstall_canary'; revision: string }
  /** The gateways the old revision's install owned (taken over in place by the canary's install):
   * put back from the snapshot in blob `blob` before the canary is uninstalled (which would delete them). */
  | { kind: 'restore_gateways'; revision: string; blob: string; gateways: string[] }
  /** Every tag as it was before the canary install (which may create `default` → canary by itself):
   * tags pointing at the canary `revision` are re-pointed or removed. */
  | { kind: 'restore_tags'; revision: string; before: { tag: string; revision: string }[] }
  | { kind: 'restore_tag'; tag: string; revision: string }
  /** Gateway API gateways the bot relabelled `istio.io/rev=<to>`: their labels put back (null: none),
   * then verified on `revision` (ADR 17). */
  | {
      kind: 'gateway_api_labels_back';
      revision: string;
      gateways: { gateway: string; label: string | null }[];
    }
  /** Gateway API gateways that move by themselves (a tag, their namespace): after the undo recorded
   * before this one, wait until istiod has rendered them on `revision` again. */
  | { kind: 'verify_gateway_api'; revision: string; phase: string; gateways: string[] }
  /** The node agents' releases (ADR 20): `helm rollback` of each to its revision before `version`
   * (recorded before the held upgrade; helm waits while the replaced nodes roll back). */
  | {
      kind: 'rollback_agents';
      namespace: string;
      releases: { agent: Agent; release: string }[];
      version: string;
    }
  /** Nodes a node wave cordoned (recorded before the cordon, dropped once uncordoned). */
  | { kind: 'uncordon'; wave: number; nodes: string[] };

/**
 * A control plane installed with Helm (istio.io "Canary upgrade" with Helm): the namespace of its
 * releases and the release of the old istiod. The upgrade runs helm instead of `istioctl install`
 * (src/cluster/helm); absent on a record: the istioctl path.
 */
export interface HelmInstallation {
  kind: 'helm';
  namespace: string;
  /** The old istiod's release (`istiod`, `istiod-1-25-3`): its values are carried over, and it is
   * uninstalled at the finish. */
  istiod: string;
}

/** Where a namespace points: a revision (labels strategy) or a tag (tags strategy). */
export type NamespaceTarget = { revision: string } | { tag: string } | { injection: 'enabled' };

export interface UpgradeRecord {
  id: string; // short, typeable: `up-7k3q`
  cluster: string;
  from: { version: string; revision: string };
  to: { version: string; revision: string };
  move: 'upgrade' | 'downgrade';
  strategy: Strategy;
  /** tags strategy only: the stable and canary tag names (`prod-stable`, `prod-canary`). */
  tags?: { stable: string; canary: string };
  waves: Wave[];
  dryRun: boolean;
  requester: string;
  channel: string;
  threadTs?: string;
  state: UpgradeState;
  step: Step;
  /** index (1-based) of the wave the step belongs to, when it is a wave step. */
  currentWave?: number;
  approval?: Approval;
  decisions: Decision[];
  stopped?: { step: Step; code: string; cause: string; at: string };
  rollback?: { by: string; reason: string; channel: string; at: string; uninstallCanary: boolean };
  /** The traffic analysis every wave must pass (the policy's spec for the cluster, copied when the
   * upgrade was requested; absent: no analysis step). Additive. */
  analysis?: AnalysisSpec;
  /** Progressive mode (ADR 15): a wave whose predecessor's analysis passed starts by itself after the
   * bake time (policy `progressive` or `--auto`, copied when requested; absent: every start is approved). */
  progressive?: ProgressiveSpec;
  /** The start the engine makes without a click, while it waits (state running at an approval step). */
  autoStart?: AutoStart;
  /** What the plan found about gateways, for the plan message (additive). */
  gateways?: { inPlace: string[]; injected?: string[] };
  /** The Gateway API gateways of class `istio` and when they move (additive; absent: none). */
  gatewayApi?: GatewayApiPlan;
  compensations: Compensation[];
  /** How the control plane is installed, when not with istioctl (additive; absent: istioctl). */
  installer?: HelmInstallation;
  /** An ambient mesh's node agents, moved in node waves after the namespace waves (additive, ADR 20). */
  ambient?: AmbientUpgrade;
  /** Slack message timestamps, owned by the notifier (key → ts). */
  messages: Record<string, string>;
  audit: AuditEntry[];
  /** How many of the oldest audit entries were dropped to keep the record bounded (AUDIT_KEPT). */
  auditDropped?: number;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every write; the store refuses a write based on an older revision. */
  rev: number;
  /** Step-run sequence (additive): bumped each time the engine schedules a step run; the job id
   * carries it, so a job from an older run (after pause, retry, rollback) is recognised as stale. */
  seq?: number;
}
