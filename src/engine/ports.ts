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
import type { NodeVersions } from '../domain/upgrade/ambient/index.js';
import type { WaveAnalysisResult } from '../domain/upgrade/analysis.js';
import type { WaveChart } from '../domain/upgrade/chart.js';
import type { GatewayApiGateway } from '../domain/upgrade/gateway-api.js';
import type { InstallationView } from '../domain/upgrade/installation.js';
import type { HelmInstallation, NamespaceTarget, UpgradeRecord } from '../domain/upgrade/record.js';
import type { AmbientDataPlane } from './ports-ambient.js';
import type { WaveAnalysis } from './ports-analysis.js';

export type { AgentHold, AmbientDataPlane } from './ports-ambient.js';
export type {
  AnalysisCheck,
  WaveAnalysis,
  WaveAnalysisRequest,
  WaveSeriesRequest,
} from './ports-analysis.js';

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
  /** After a node wave (ADR 20): ztunnel and istio-cni per node, where sidecar waves get the diff. */
  | { type: 'node_versions'; key: string; record: UpgradeRecord; wave: number; rows: NodeVersions[] }
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
