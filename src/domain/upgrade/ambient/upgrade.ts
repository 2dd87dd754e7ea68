/**
 * An ambient mesh's request, accepted (ADR 20): the Helm canary path for istiod (ADR 14) plus the
 * node agents moved in node waves after the namespace waves. Pure.
 *
 * Accepted only when the mesh is otherwise one the Helm path takes (every istiod a deployed Helm
 * release) and the ambient rules accept its data plane (./plan.ts: agents Helm releases, one
 * DaemonSet each, the skew); anything else keeps its exact refusal (./refusal.ts). Ambient namespaces
 * are in no namespace wave (the plan takes injected namespaces only): their pods are never restarted,
 * ztunnel serves them. A namespace labelled both ambient and for injection is mid-migration: its pods
 * have sidecars, and "the sidecar takes precedence over ztunnel for pods that have both"
 * (istio.io/latest/docs/ambient/migrate/enable-ambient-mode/), so it moves in its wave like any
 * sidecar namespace — left out, its sidecars would stay on the old revision.
 */
import { err, ok, type Result } from '../../result.js';
import { checkInstallation, type InstallationPlan, type InstallationView } from '../installation.js';
import type { UpgradePlan } from '../plan.js';
import type { AmbientUpgrade, Wave } from '../record.js';
import { type AmbientDataPlaneView, type AmbientPlan, planAmbient } from './plan.js';

export interface AmbientOptions {
  /** The skew override for test meshes (config AMBIENT_MAX_MINOR_SKEW; default Istio's 1). */
  maxMinorSkew?: number;
  maxNodesPerWave?: number;
  /** Cordon each node wave's nodes around the replacement (config AMBIENT_CORDON). */
  cordon?: boolean;
}

export interface AcceptedAmbient {
  installation: InstallationPlan;
  ambient: AmbientPlan;
}

/**
 * The installation plan and the ambient plan of an ambient mesh the bot can upgrade, or null when it
 * cannot (the caller then refuses with ./refusal.ts); an error when the data plane's own rules refuse.
 */
export function acceptAmbient(
  view: InstallationView | undefined,
  data: AmbientDataPlaneView | undefined,
  plan: UpgradePlan,
  o: AmbientOptions = {},
): Result<AcceptedAmbient> | null {
  if (!view || !data) return null;
  // The control plane as if it were not ambient: it must take the Helm canary path.
  const noAmbient = { ztunnel: [], cni: [], namespaces: [], waypoints: [] };
  const cp = checkInstallation({ ...view, ambient: noAmbient }, plan);
  if (!cp.ok || !cp.value.helm) return null;
  const a = planAmbient(data, {
    from: plan.from,
    to: plan.to,
    controlPlaneHelm: true,
    ...(o.maxMinorSkew === undefined ? {} : { maxMinorSkew: o.maxMinorSkew }),
    ...(o.maxNodesPerWave === undefined ? {} : { maxNodesPerWave: o.maxNodesPerWave }),
    ...(o.cordon === undefined ? {} : { cordon: o.cordon }),
  });
  if (!a.ok) return err(a.error);
  const commands = [...cp.value.commands];
  const at = commands.findIndex((c) => c.startsWith('istioctl tag set default'));
  commands.splice(at < 0 ? commands.length : at, 0, ...a.value.commands);
  return ok({
    installation: {
      ...cp.value,
      installers: [
        ...cp.value.installers,
        ...(a.value.running.length ? [`ambient: ${a.value.running.join(', ')}`] : []),
      ],
      commands,
    },
    ambient: a.value,
  });
}

/** The ambient namespaces no namespace wave restarts (those labelled for injection too are in one). */
export function notRestarted(waves: string[][], ambientNamespaces: string[]): string[] {
  return ambientNamespaces.filter((n) => !waves.some((w) => w.includes(n)));
}

/** The node waves as record waves, numbered after the `after` namespace waves. */
export function nodeWaveRecords(a: AmbientPlan, after: number): Wave[] {
  return a.nodeWaves.map((w, i) => ({
    index: after + i + 1,
    kind: 'nodes' as const,
    namespaces: [],
    nodes: w.nodes,
    ...(w.cordon.length ? { cordon: w.cordon } : {}),
    status: 'pending' as const,
    reasons: w.reasons,
  }));
}

/** What the record keeps of the ambient plan. */
export function ambientUpgrade(a: AmbientPlan): AmbientUpgrade {
  return {
    namespace: a.namespace,
    releases: a.releases,
    ambientNamespaces: a.ambientNamespaces,
    waypoints: a.waypoints,
    upToDate: a.upToDate,
    running: a.running,
  };
}
