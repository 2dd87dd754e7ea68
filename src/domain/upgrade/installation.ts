/**
 * How the mesh was installed, and how the bot upgrades it. Pure.
 *
 * Two paths: istiod installed by `istioctl install --revision` (the istioctl canary), and istiod
 * installed by Helm (istio.io "Canary upgrade" with Helm: the `base` release upgraded, the canary a
 * release `istiod-<rev>` with the old release's values, the old release uninstalled at the finish;
 * src/cluster/helm). It refuses, at request time and with what to do instead:
 * - an ambient mesh (ztunnel and istio-cni are upgraded in place, not by revisions) — unless the
 *   ambient rules accept it (src/domain/upgrade/ambient/upgrade.ts: Helm everywhere), then node waves;
 * - a mix of Helm and istioctl revisions (neither path can undo the other's);
 * - a Helm release the bot cannot read or build on: no release Secret, or not `deployed`.
 * A revision whose installer shows no marks (neither Helm's nor istioctl's) is upgraded the istioctl
 * way, and the plan says so. A view that was not read (no InstallationInspector) refuses nothing.
 */
import { err, ok, type Result } from '../result.js';
import { compareVersions, parseVersion, revisionFor } from '../version.js';
import type { HelmInstallation } from './record.js';

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
  /** The Helm canary path, when the old istiod is a Helm release (absent: the istioctl path). */
  helm?: HelmInstallation;
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
  return `The mesh runs in ambient mode (${seen.join('; ')}): ztunnel and istio-cni are upgraded in place, not by revisions: the bot moves them in node waves only when the control plane and both agents are deployed Helm releases it can read.`;
}

/** Why a Helm release cannot carry the Helm canary path; null when it can. */
function helmUnusable(r: RevisionInstall, ns: string): string | null {
  const rel = r.release ?? { name: r.deployment, namespace: ns, status: null };
  if (rel.status === null)
    return `${r.deployment} is marked as the Helm release ${rel.name} in ${rel.namespace}, but its release Secret (sh.helm.release.v1.${rel.name}.v<N>) is not there: helm cannot read its values nor uninstall it.`;
  if (rel.status !== 'deployed')
    return `${r.deployment} is the Helm release ${rel.name} in ${rel.namespace}, whose last revision is ${rel.status}, not deployed: the bot builds the canary on a release that helm shows as deployed.`;
  return null;
}

function helmHint(view: InstallationView, helm: RevisionInstall[], to?: { revision: string }): string {
  const ns = view.istioNamespace;
  const rev = to?.revision ?? '<new-revision>';
  const old = helm.map((r) => r.release?.name ?? r.deployment);
  const base = baseRelease(view) ?? 'istio-base';
  return (
    `Upgrade it with the Istio Helm canary procedure (${HELM_DOC}): \`helm upgrade ${base} istio/base -n ${ns}\` at the target version, ` +
    `\`helm install istiod-${rev} istio/istiod -n ${ns} --set revision=${rev}\` with the values of \`helm get values ${old[0]} -n ${ns}\`, ` +
    `move the namespaces to ${rev}, then \`helm delete ${list(old)} -n ${ns}\`. ` +
    'Charts: https://blob.istio.io/istio-release/charts or oci://ghcr.io/istio/release/charts. Or fix the release with helm, and ask again: the bot then runs these steps itself.'
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
  if (!ambient && others.length === 0) {
    // Every istiod is a Helm release: the Helm canary path, built on the old revision's release.
    const old = helm.find((r) => r.revision === plan?.from?.revision);
    const unusable = old ? helmUnusable(old, view.istioNamespace) : null;
    if (!unusable) {
      const rel = old?.release;
      return ok({
        installers: view.revisions.map(describe),
        commands: helmCommandsFor(plan, view, old),
        ...(rel ? { helm: { kind: 'helm' as const, namespace: rel.namespace, istiod: rel.name } } : {}),
      });
    }
    reasons.push(unusable);
  } else for (const r of helm) reasons.push(`${describe(r)}.`);
  const hints: string[] = [];
  if (helm.length > 0) hints.push(helmHint(view, helm, plan?.to));
  if (ambient) hints.push(AMBIENT_HINT);
  return err({
    code: ambient ? 'ambient_mesh' : others.length > 0 ? 'mixed_installation' : 'helm_managed',
    message: reasons.join(' '),
    hint: hints.join(' '),
  });
}

const baseRelease = (view: InstallationView) =>
  view.helmReleases.find((r) => r.name === 'istio-base' || r.name === 'base')?.name;

const isDowngrade = (from: string, to: string): boolean => {
  const a = parseVersion(from);
  const b = parseVersion(to);
  return a.ok && b.ok && compareVersions(b.value, a.value) < 0;
};

/** What the Helm path runs (src/cluster/helm/control-plane.ts), in the order the steps run it. */
function helmCommandsFor(
  plan: Parameters<typeof checkInstallation>[1],
  view: InstallationView,
  old: RevisionInstall | undefined,
): string[] {
  if (!plan?.from || !old?.release) return [];
  const { from, to } = plan;
  const ns = old.release.namespace;
  const base = baseRelease(view);
  const out = [`istioctl ${to.version} x precheck`];
  const down = isDowngrade(from.version, to.version);
  if (base && down)
    out.push(
      `${base} is not downgraded (a downgrade keeps the newer CRDs: the older base chart would delete those it does not know, with their resources)`,
    );
  else if (base)
    out.push(`helm upgrade ${base} base --version ${to.version} -n ${ns} --reset-then-reuse-values`);
  out.push(
    `helm get values ${old.release.name} -n ${ns} -o json, then helm install istiod-${to.revision} istiod --version ${to.version} -n ${ns} -f <those values> --set revision=${to.revision}`,
    `helm upgrade of each gateway chart release on ${from.revision}: --version ${to.version} --set revision=${to.revision}`,
  );
  out.push(...movesFor(plan));
  if (base) out.push(`helm upgrade ${base} base -n ${ns} --set defaultRevision=${to.revision}`);
  out.push(`helm uninstall ${old.release.name} -n ${ns}`);
  return out;
}

/** How the namespaces and tags move: the same on both paths. */
function movesFor(plan: NonNullable<Parameters<typeof checkInstallation>[1]>): string[] {
  const { to } = plan;
  const out: string[] = [];
  if (plan.tags) {
    out.push(
      `istioctl tag set ${plan.tags.canary} --revision ${to.revision} --overwrite -y (first wave), then ${plan.tags.stable} at the finish`,
    );
  } else {
    out.push(`label each wave's namespaces istio.io/rev=${to.revision} and restart their workloads`);
  }
  out.push(
    `istioctl tag set default --revision ${to.revision} --overwrite -y (and every other tag on ${plan.from?.revision ?? 'the old revision'})`,
  );
  return out;
}

/** What the istioctl path runs (src/cluster/istioctl/commands.ts), in the order the steps run it. */
function commandsFor(plan: Parameters<typeof checkInstallation>[1]): string[] {
  if (!plan?.from) return [];
  const { from, to } = plan;
  const out = [
    `istioctl ${to.version} x precheck`,
    `istioctl ${to.version} install --set revision=${to.revision} -y`,
    ...movesFor(plan),
  ];
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
