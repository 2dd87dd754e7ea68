/**
 * How the mesh was installed, and whether the bot may upgrade it. Pure.
 *
 * The bot drives one kind of mesh: sidecars with istiod installed by `istioctl install --revision`.
 * It refuses, at request time and with what to do instead:
 * - a Helm-managed istiod (its `istioctl install` of the canary and `istioctl uninstall --revision`
 *   of the old one would leave the Helm releases wrong: the old release still listed, the objects it
 *   owns deleted behind Helm's back);
 * - an ambient mesh (ztunnel and istio-cni are upgraded in place, not by revisions);
 * - a mix of Helm and istioctl revisions.
 * A revision whose installer shows no marks (neither Helm's nor istioctl's) is upgraded the istioctl
 * way, and the plan says so. A view that was not read (no InstallationInspector) refuses nothing.
 */
import { err, ok, type Result } from '../result.js';
import { parseVersion, revisionFor } from '../version.js';

export type Installer = 'helm' | 'istioctl' | 'unknown';

export interface HelmRelease {
  name: string;
  namespace: string;
  /** Release status from the release Secret's `status` label (`deployed`, `failed`, …); null: no Secret found. */
  status: string | null;
  /** Release version (Helm's revision number) from the Secret's `version` label; null: no Secret found. */
  version: number | null;
}

export interface RevisionInstall {
  /** `default` for an istiod without a revision. */
  revision: string;
  /** The istiod Deployment's name (`istiod-<rev>` or `istiod`). */
  deployment: string;
  installer: Installer;
  /** For `helm`: the release that owns the Deployment. */
  release?: HelmRelease;
}

export interface AmbientView {
  /** ztunnel DaemonSets (`app=ztunnel`), as `namespace/name`. */
  ztunnel: string[];
  /** istio-cni DaemonSets (`k8s-app=istio-cni-node`), as `namespace/name`: informative, not ambient alone. */
  cni: string[];
  /** Namespaces labelled `istio.io/dataplane-mode=ambient`. */
  namespaces: string[];
  /** Gateways with `gatewayClassName: istio-waypoint`, as `namespace/name` (none when the CRD is absent). */
  waypoints: string[];
}

export interface InstallationView {
  /** The namespace of the control plane (where Helm's istio releases usually live). */
  istioNamespace: string;
  revisions: RevisionInstall[];
  /** Every Helm release in the Istio namespace (`base`, `istiod`, …), newest version of each. */
  helmReleases: HelmRelease[];
  ambient: AmbientView;
}

export interface InstallationPlan {
  /** Per revision, in words: `1-25-3: istioctl (istiod-1-25-3)`. */
  installers: string[];
  /** The commands the upgrade will run, in order. */
  commands: string[];
}

const HELM_DOC = 'https://istio.io/latest/docs/setup/upgrade/helm/';
const AMBIENT_DOC = 'https://istio.io/latest/docs/ambient/upgrade/helm/';

const list = (xs: string[], max = 5) =>
  xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;

function describe(r: RevisionInstall): string {
  if (r.installer === 'helm' && r.release) {
    const st = r.release.status
      ? `, ${r.release.status} v${r.release.version ?? '?'}`
      : ', no release Secret found';
    return `${r.revision}: Helm release ${r.release.name} in ${r.release.namespace} (${r.deployment}${st})`;
  }
  if (r.installer === 'istioctl') return `${r.revision}: istioctl (${r.deployment})`;
  return `${r.revision}: installer unknown, no Helm or istioctl marks on ${r.deployment}; upgraded the istioctl way`;
}

export function isAmbient(a: AmbientView): boolean {
  return a.ztunnel.length > 0 || a.namespaces.length > 0 || a.waypoints.length > 0;
}

function ambientReason(a: AmbientView): string {
  const seen: string[] = [];
  if (a.ztunnel.length) seen.push(`ztunnel DaemonSet ${list(a.ztunnel)}`);
  if (a.cni.length) seen.push(`istio-cni DaemonSet ${list(a.cni)}`);
  if (a.namespaces.length)
    seen.push(`namespaces labelled istio.io/dataplane-mode=ambient: ${list(a.namespaces)}`);
  if (a.waypoints.length) seen.push(`waypoints (gatewayClassName istio-waypoint): ${list(a.waypoints)}`);
  return `The mesh runs in ambient mode (${seen.join('; ')}): ztunnel and istio-cni are upgraded in place, not by revisions, and the bot does not upgrade them yet.`;
}

function helmReason(r: RevisionInstall, ns: string): string {
  const rel = r.release ?? { name: r.deployment, namespace: ns };
  return `${r.deployment} is the Helm release ${rel.name} in ${rel.namespace}: the bot does not drive Helm-managed control planes yet (its \`istioctl install\` of the canary and \`istioctl uninstall --revision ${r.revision}\` would leave the Helm releases wrong).`;
}

function helmHint(view: InstallationView, helm: RevisionInstall[], to?: { revision: string }): string {
  const ns = view.istioNamespace;
  const rev = to?.revision ?? '<new-revision>';
  const old = helm.map((r) => r.release?.name ?? r.deployment);
  const base =
    view.helmReleases.find((r) => r.name === 'istio-base' || r.name === 'base')?.name ?? 'istio-base';
  return (
    `Upgrade it with the Istio Helm canary procedure (${HELM_DOC}): \`helm upgrade ${base} istio/base -n ${ns}\` at the target version, ` +
    `\`helm install istiod-${rev} istio/istiod -n ${ns} --set revision=${rev}\` with the values of \`helm get values ${old[0]} -n ${ns}\`, ` +
    `move the namespaces to ${rev}, then \`helm delete ${list(old)} -n ${ns}\`. ` +
    'Charts: https://blob.istio.io/istio-release/charts or oci://ghcr.io/istio/release/charts.'
  );
}

const AMBIENT_HINT = `Follow the ambient upgrade procedure (${AMBIENT_DOC}): the istiod canary first, then istio-cni and ztunnel upgraded in place with Helm node by node, then the tags (waypoints follow them).`;

/**
 * Refuses a mesh the bot cannot upgrade safely, or says which installer each revision has and which
 * commands will run. `to`/`from` (the plan, when it could be made) only fill in the commands.
 */
export function checkInstallation(
  view: InstallationView | undefined,
  plan?: {
    /** Absent when the plan could not be made: no commands then, the hints still name `to`. */
    from?: { version: string; revision: string };
    to: { version: string; revision: string };
    tags?: { stable: string; canary: string };
  },
): Result<InstallationPlan> {
  if (!view)
    return ok({
      installers: ['installation not inspected (no installation reader for this cluster)'],
      commands: commandsFor(plan),
    });
  const helm = view.revisions.filter((r) => r.installer === 'helm');
  const others = view.revisions.filter((r) => r.installer !== 'helm');
  const ambient = isAmbient(view.ambient);
  if (!ambient && helm.length === 0)
    return ok({ installers: view.revisions.map(describe), commands: commandsFor(plan) });
  const reasons: string[] = [];
  if (ambient) reasons.push(ambientReason(view.ambient));
  if (helm.length > 0 && others.length > 0)
    reasons.push(
      `The control planes are a mix the bot cannot undo safely: ${view.revisions.map(describe).join('; ')}.`,
    );
  for (const r of helm) reasons.push(helmReason(r, view.istioNamespace));
  const hints: string[] = [];
  if (helm.length > 0) hints.push(helmHint(view, helm, plan?.to));
  if (ambient) hints.push(AMBIENT_HINT);
  return err({
    code: ambient ? 'ambient_mesh' : others.length > 0 ? 'mixed_installation' : 'helm_managed',
    message: reasons.join(' '),
    hint: hints.join(' '),
  });
}

/** What the istioctl path runs (src/cluster/istioctl/commands.ts), in the order the steps run it. */
function commandsFor(plan: Parameters<typeof checkInstallation>[1]): string[] {
  if (!plan?.from) return [];
  const { from, to } = plan;
  const out = [
    `istioctl ${to.version} x precheck`,
    `istioctl ${to.version} install --set revision=${to.revision} -y`,
  ];
  if (plan.tags) {
    out.push(
      `istioctl tag set ${plan.tags.canary} --revision ${to.revision} --overwrite -y (first wave), then ${plan.tags.stable} at the finish`,
    );
  } else {
    out.push(`label each wave's namespaces istio.io/rev=${to.revision} and restart their workloads`);
  }
  out.push(
    `istioctl tag set default --revision ${to.revision} --overwrite -y (and every other tag on ${from.revision})`,
  );
  out.push(`istioctl ${from.version} uninstall --revision ${from.revision} -y`);
  return out;
}

/** The target of a request whose plan could not be made (for the hints), when its version parses. */
export function requestedTarget(cmd: {
  version: string;
  revision?: string | undefined;
}): { to: { version: string; revision: string } } | undefined {
  const v = parseVersion(cmd.version);
  return v.ok ? { to: { version: cmd.version, revision: cmd.revision ?? revisionFor(v.value) } } : undefined;
}
