/**
 * The engine's ports: what it needs from a cluster and from the chat side, named for what they do.
 * Real adapters live in src/cluster (client-node, execa) and src/slack (notifier); engine tests use
 * the in-memory stand-in in test/support/cluster-standin.ts.
 *
 * Every mutating method is idempotent: it sets a desired state, so a retried step after a crash
 * converges instead of acting twice.
 *
 * Every method takes the step's AbortSignal last: when the run is superseded (abort, rollback, a lost
 * lease) the adapter stops its requests, waits and processes at once (istioctl: SIGTERM to its process
 * group, SIGKILL after a short grace) and rejects. Adapters retry transient faults themselves (one
 * classification: src/cluster/kube/faults.ts) and give every request its own timeout.
 */
import type { AmbientDataPlaneView } from '../domain/upgrade/ambient/index.js';
import type { AnalysisSpec, WaveAnalysisResult } from '../domain/upgrade/analysis.js';
import type { ChartWindow, MetricSeries, WaveChart } from '../domain/upgrade/chart.js';
import type { GatewayApiGateway } from '../domain/upgrade/gateway-api.js';
import type { InstallationView } from '../domain/upgrade/installation.js';
import type { HelmInstallation, NamespaceTarget, UpgradeRecord } from '../domain/upgrade/record.js';

export interface ControlPlane {
  revision: string; // `default` for an install without a revision
  version: string; // istiod image tag / pilot version
  ready: boolean;
}

export interface RevisionTag {
  tag: string;
  revision: string;
}

export interface NamespaceInfo {
  name: string;
  /** value of `istio-injection` (e.g. `enabled`), null when absent. */
  injection: string | null;
  /** value of `istio.io/rev` (a revision or a tag), null when absent. */
  rev: string | null;
  /** marked `istio-upgrade-bot.io/canary: "true"` (label or annotation): planned first (additive). */
  canary?: boolean;
  /** holds a gateway: planned in waves of its own (set by the mesh read; additive). */
  gateway?: boolean;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface Workload extends WorkloadRef {
  /** Deployments with spec.paused: kubectl refuses to restart them. */
  paused: boolean;
  /** StatefulSets/DaemonSets with updateStrategy OnDelete: a template patch restarts nothing. */
  onDelete: boolean;
}

export interface PodSidecar {
  pod: string;
  namespace: string;
  workload: WorkloadRef | null;
  /** revision from the `sidecar.istio.io/status` annotation; null when the pod has no sidecar. */
  revision: string | null;
  proxyVersion: string | null;
}

export interface MeshInspector {
  controlPlanes(signal?: AbortSignal): Promise<ControlPlane[]>;
  tags(signal?: AbortSignal): Promise<RevisionTag[]>;
  namespaces(signal?: AbortSignal): Promise<NamespaceInfo[]>;
  /** Namespaces that hold gateway Deployments, for planning (optional: absent, none are known). */
  gatewayNamespaces?(signal?: AbortSignal): Promise<string[]>;
  workloads(namespaces: string[], signal?: AbortSignal): Promise<Workload[]>;
  /** Running pods only (Succeeded/Failed ignored). */
  sidecars(namespaces: string[], signal?: AbortSignal): Promise<PodSidecar[]>;
}

export interface PrecheckFinding {
  code: string;
  level: 'Info' | 'Warning' | 'Error';
  message: string;
}

export interface ControlPlaneInstaller {
  /** `istioctl x precheck -o json` with the target version's istioctl. */
  precheck(version: string, signal?: AbortSignal): Promise<PrecheckFinding[]>;
  install(version: string, revision: string, signal?: AbortSignal): Promise<void>;
  /** Throws a CodedError(verify_failed) naming what is missing. */
  verify(revision: string, signal?: AbortSignal): Promise<void>;
  /** Tolerates a partial install (one cancelled half-way) and a revision already gone. */
  uninstall(version: string, revision: string, signal?: AbortSignal): Promise<void>;
}

export interface RevisionTagger {
  setTag(tag: string, revision: string, signal?: AbortSignal): Promise<void>;
  removeTag(tag: string, signal?: AbortSignal): Promise<void>;
}

export interface NamespaceMover {
  /** Sets the namespace's injection labels to point at `target` (removing `istio-injection` for revisions/tags). */
  point(namespace: string, target: NamespaceTarget, signal?: AbortSignal): Promise<void>;
}

export interface GatewayMover {
  /** Points the gateways at `revision` and waits for them; returns the gateways moved. */
  moveGateways(revision: string, signal?: AbortSignal): Promise<WorkloadRef[]>;
}

/**
 * Gateways that an `istioctl install` owns (the default profile's `istio-ingressgateway`: labels
 * `operator.istio.io/component: IngressGateways|EgressGateways` and `istio.io/rev: <revision>`, image
 * baked in, no injection). The canary's install takes them over in place (relabels them with its
 * revision), and `istioctl uninstall --revision R` deletes every one labelled R: without a restore, a
 * rollback deletes the mesh's ingress gateway, and a finish could delete a gateway still owned by the
 * old revision.
 */
export interface InstalledGateways {
  /** The gateway Deployments the install of `revision` owns now. */
  ownedBy(revision: string, signal?: AbortSignal): Promise<WorkloadRef[]>;
  /** Every object of those gateways (Deployment, Service, ServiceAccount, RBAC, PDB, HPA) as it is now,
   * serialised for `restore`. */
  snapshot(revision: string, signal?: AbortSignal): Promise<{ data: string; gateways: WorkloadRef[] }>;
  /** Puts the snapshot's objects back (the old image and revision labels, so the other revision's
   * uninstall no longer owns them) and waits for the gateway Deployments to roll out. Idempotent. */
  restore(snapshot: string, signal?: AbortSignal): Promise<WorkloadRef[]>;
}

export interface RolloutProgress {
  total: number;
  ready: number;
}

export interface WorkloadRestarter {
  /** Patches the pod template's restartedAt with exactly `restartedAt` (no-op if already that value). */
  restart(workloads: WorkloadRef[], restartedAt: string, signal?: AbortSignal): Promise<void>;
  /** Resolves when every rollout is complete as `kubectl rollout status` decides; throws rollout_failed/rollout_timeout. */
  waitForRollouts(
    workloads: WorkloadRef[],
    opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (p: RolloutProgress) => void },
  ): Promise<void>;
}

/** Raw proxy-status text (or JSON) for the given revisions, as the source produced it. */
export interface ProxyStatusSource {
  capture(revisions: string[], signal?: AbortSignal): Promise<string[]>;
}

export interface WaveAnalysisRequest {
  spec: AnalysisSpec;
  namespaces: string[];
  /** The wave's workloads, judged one by one when `spec.perWorkload`. */
  workloads: WorkloadRef[];
  /** The baseline window ends here (ISO): when the wave started. */
  baselineEnd: string;
  /** The first wave: the new istiod's own signals are judged too (the spec's control-plane gate). */
  controlPlane?: { revision: string };
}

/** A check of an analysis as it happens (for live progress). */
export interface AnalysisCheck {
  check: number;
  count: number;
  verdict: 'pass' | 'fail' | 'inconclusive';
  failedChecks: number;
}

/**
 * Judges a wave by the mesh's traffic (Istio's standard metrics in the cluster's Prometheus): `count`
 * checks `intervalMs` apart against the spec's thresholds and the baseline before the wave. Read-only.
 * Prometheus being down or a query giving no data makes the result `inconclusive` (never a pass), it
 * does not throw; only a cancelled call rejects. Real adapter: src/analysis.
 */
export interface WaveAnalysis {
  analyze(
    req: WaveAnalysisRequest,
    opts: { signal?: AbortSignal; onCheck?: (c: AnalysisCheck) => void },
  ): Promise<WaveAnalysisResult>;
  /**
   * Each metric of the spec per namespace over `window` (Prometheus' query_range), for the wave's
   * chart. Read-only; rejects when the series cannot be read (the chart is then left out, never the
   * wave). Absent: this analysis draws no chart.
   */
  series?(req: WaveSeriesRequest, signal?: AbortSignal): Promise<MetricSeries[]>;
}

export interface WaveSeriesRequest {
  spec: AnalysisSpec;
  namespaces: string[];
  window: ChartWindow;
}

/**
 * Gateway API gateways of class `istio` (src/domain/upgrade/gateway-api.ts): istiod renders a
 * Deployment for each, and which revision renders it follows the Gateway's or its namespace's
 * `istio.io/rev` label or the `default` tag. Real adapter: src/cluster/gateway-api. A cluster without
 * the Gateway API CRDs has none.
 */
export interface GatewayApiGateways {
  list(signal?: AbortSignal): Promise<GatewayApiGateway[]>;
  /** Sets the Gateway's `istio.io/rev` label to `value` (null removes it). Idempotent; a Gateway that
   * is gone is skipped (returns false). */
  setRevLabel(
    gateway: { namespace: string; name: string },
    value: string | null,
    signal?: AbortSignal,
  ): Promise<boolean>;
  /** Waits until each gateway's Deployment is rendered by `revision` (template annotation
   * `istio.io/rev`), rolled out, and every live pod of it carries that revision; throws
   * CodedError(verify_failed) naming those that are not. */
  verify(
    gateways: { namespace: string; name: string }[],
    revision: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void>;
}

/**
 * How each istiod revision was installed (Helm or istioctl) and whether the mesh is ambient, for
 * planning: `request` refuses what the bot cannot upgrade safely (src/domain/upgrade/installation.ts).
 * Reads only. Real adapter: src/cluster/install-kind.
 */
export interface InstallationInspector {
  inspect(signal?: AbortSignal): Promise<InstallationView>;
}

/**
 * The Helm canary path (istio.io "Canary upgrade" with Helm) for one upgrade of a mesh whose istiod
 * is a Helm release (`record.installer`): the same ports as the istioctl path, in Helm terms. The
 * engine takes them instead of the cluster's `installer`, `tagger` and `gateways` for that upgrade
 * (src/engine/installers.ts), so the steps do not change. Real adapter: src/cluster/helm.
 * - install: `helm upgrade` of the `base` release to the target version, then `helm install
 *   istiod-<rev>` of the `istiod` chart at the target version with the old istiod release's values
 *   and `revision=<rev>`; uninstall of the canary: `helm uninstall istiod-<rev>`, `base` rolled back;
 *   uninstall of the old revision: `helm uninstall` of its release.
 * - tags: `istioctl tag set/remove` (ADR 14); `default` also sets the `base` release's `defaultRevision`.
 * - gateways: the `gateway` chart's releases on the old revision upgraded in place to the target
 *   version with `revision=<rev>`; moved back: rolled back.
 */
export interface HelmControlPlanes {
  forUpgrade(
    installation: HelmInstallation,
    from: { version: string; revision: string },
    to: { version: string; revision: string },
  ): { installer: ControlPlaneInstaller; tagger: RevisionTagger; gateways: GatewayMover };
}

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

/** Everything the engine needs from one cluster. */
export interface ClusterPorts {
  inspector: MeshInspector;
  installer: ControlPlaneInstaller;
  tagger: RevisionTagger;
  mover: NamespaceMover;
  gateways: GatewayMover;
  installedGateways: InstalledGateways;
  restarter: WorkloadRestarter;
  proxyStatus: ProxyStatusSource;
  /** The cluster's traffic analysis (absent: no Prometheus configured for it). */
  analysis?: WaveAnalysis;
  /** How the mesh was installed (absent: not inspected, nothing refused for it). */
  installation?: InstallationInspector;
  /** The Helm canary path (absent: a Helm-managed mesh cannot be upgraded on this cluster). */
  helm?: HelmControlPlanes;
  /** Gateway API gateways (absent: none are known). */
  gatewayApi?: GatewayApiGateways;
  /** The ambient node agents (absent: an ambient mesh is refused on this cluster). */
  ambient?: AmbientDataPlane;
}

/** The configured cluster names: configuration, not a connection (all a ROLE=bot process has). */
export interface ClusterNames {
  names(): string[];
  defaultName(): string;
}

export interface ClusterRegistry extends ClusterNames {
  get(name: string): ClusterPorts | undefined;
}

/** What the engine tells people. The notifier decides how it looks; `key` is stable per event, so a
 * notifier can skip an event it already posted when a step is re-run after a crash. */
export type UpgradeEvent =
  | { type: 'planned'; key: string; record: UpgradeRecord }
  | { type: 'step_started'; key: string; record: UpgradeRecord; step: string; wave?: number }
  | {
      type: 'step_finished';
      key: string;
      record: UpgradeRecord;
      step: string;
      wave?: number;
      detail?: string;
    }
  | { type: 'approval_requested'; key: string; record: UpgradeRecord }
  | { type: 'approval_decided'; key: string; record: UpgradeRecord }
  | { type: 'wave_progress'; key: string; record: UpgradeRecord; wave: number; progress: RolloutProgress }
  | { type: 'wave_diff'; key: string; record: UpgradeRecord; wave: number; diff: unknown }
  | {
      type: 'wave_analysis';
      key: string;
      record: UpgradeRecord;
      wave: number;
      result: WaveAnalysisResult;
      /** The chart's data, or why there is none (absent: the analysis draws no chart). */
      chart?: WaveChart;
    }
  | { type: 'warning'; key: string; record: UpgradeRecord; message: string }
  | { type: 'stopped'; key: string; record: UpgradeRecord }
  /** Progressive mode: `record.autoStart` says what starts without approval, when, and why. */
  | { type: 'auto_start'; key: string; record: UpgradeRecord }
  | { type: 'state_changed'; key: string; record: UpgradeRecord; by?: string; reason?: string };

export interface Notifier {
  notify(event: UpgradeEvent): Promise<void>;
}
