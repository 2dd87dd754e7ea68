/**
 * Gateway API gateways (`gateway.networking.k8s.io` Gateways of class `istio`, or of a class with
 * istiod's controller name): which istiod serves each one, when the upgrade moves it, and what the plan
 * says about it. Pure.
 *
 * istiod's gateway deployment controller (pilot/pkg/config/kube/gateway/deploymentcontroller.go)
 * renders a Deployment `<name>-<class>` for every such Gateway that its revision claims
 * (pkg/revisions/tag_watcher.go `IsMine`): the Gateway's `istio.io/rev` label, or when it has none
 * its namespace's `istio.io/rev` label, names a revision or a tag of that revision; no value at all
 * means the `default` tag. The Deployment's pod template carries the annotation `istio.io/rev` with
 * the rendering revision, and any change of who claims the Gateway re-renders it (a rollout).
 *
 * So during a canary upgrade a gateway moves:
 * - labelled with the old revision: when the bot relabels it (the control-plane phase, ADR 17);
 * - labelled with a tag, or following `default`: when that tag moves (the finish; the canary tag of
 *   the tags strategy: wave 1);
 * - following its namespace's label: in the wave of that namespace.
 */
import { err, ok, type Result } from '../result.js';
import { parseVersion } from '../version.js';

export const GATEWAY_CLASS = 'istio';

/** istiod's gateway controller name (`features.ManagedGatewayController`): the controller of class
 * `istio`, and of any GatewayClass a user creates with it (deployed exactly like class `istio`). */
export const ISTIO_GATEWAY_CONTROLLER = 'istio.io/gateway-controller';

/** Classes istiod creates for its other controllers (deploymentcontroller.go `builtinClasses`):
 * waypoints and ambient east-west gateways (`istio.io/mesh-controller`, `istio.io/eastwest-controller`:
 * ambient, src/cluster/ambient) and remote gateways (`istio.io/unmanaged-gateway`: never deployed). */
export const OTHER_ISTIO_CLASSES: readonly string[] = ['istio-waypoint', 'istio-remote', 'istio-east-west'];

/**
 * The classes whose Gateways istiod deploys as gateways, as its deployment controller decides
 * (`Reconcile`, read at 1.25.3 and 1.31-dev): a Gateway's class is looked up as a GatewayClass, and its
 * `controllerName` picks the class info; a class with no GatewayClass object falls back to the
 * builtin ones, where only `istio` is istiod's gateway controller. So: every GatewayClass with
 * istiod's controller name, and `istio` while no GatewayClass of that name exists. Pure.
 */
export function istioGatewayClasses(classes: { name: string; controllerName: string }[]): Set<string> {
  const out = new Set(
    classes
      .filter((c) => c.controllerName === ISTIO_GATEWAY_CONTROLLER && !OTHER_ISTIO_CLASSES.includes(c.name))
      .map((c) => c.name),
  );
  if (!classes.some((c) => c.name === GATEWAY_CLASS)) out.add(GATEWAY_CLASS);
  return out;
}

/** A Gateway that istiod deploys as a gateway (class `istio`, or a class with its controller name), as
 * read from the cluster. */
export interface GatewayApiGateway {
  namespace: string;
  name: string;
  /** Its GatewayClass when not `istio` (a custom class with istiod's controller name). */
  className?: string;
  /** The Gateway's own `istio.io/rev` label (a revision or a tag); null when absent. */
  revLabel: string | null;
  /** Its namespace's `istio.io/rev` label; null when absent. */
  namespaceRev: string | null;
  /** istiod deploys it (no address, or one IP address: `IsManaged`); false: the user deploys it. */
  managed: boolean;
  /** The Deployment istiod renders for it: `<name>-istio`, or the `gateway.istio.io/name-override`. */
  deployment: string;
  /** The revision that rendered the Deployment (template annotation `istio.io/rev`); null: none yet. */
  renderedBy: string | null;
}

export interface MeshRevisions {
  controlPlanes: { revision: string }[];
  tags: { tag: string; revision: string }[];
}

/** What decides which istiod claims the Gateway. */
export type Follows =
  | { by: 'label'; value: string; tag: boolean }
  | { by: 'namespace'; value: string; tag: boolean }
  | { by: 'default' };

export const gatewayKey = (g: { namespace: string; name: string }) => `${g.namespace}/${g.name}`;

export function follows(g: GatewayApiGateway, mesh: MeshRevisions): Follows {
  const isTag = (v: string) => mesh.tags.some((t) => t.tag === v);
  if (g.revLabel !== null && g.revLabel !== '')
    return { by: 'label', value: g.revLabel, tag: isTag(g.revLabel) };
  if (g.namespaceRev !== null && g.namespaceRev !== '')
    return { by: 'namespace', value: g.namespaceRev, tag: isTag(g.namespaceRev) };
  return { by: 'default' };
}

/**
 * The revision whose istiod claims the Gateway (IsMine): the value names a revision, or a tag of it;
 * no value means the `default` tag (or an istiod without revision). null: no istiod claims it.
 */
export function servingRevision(g: GatewayApiGateway, mesh: MeshRevisions): string | null {
  const f = follows(g, mesh);
  const value = f.by === 'default' ? null : f.value;
  if (value === null) {
    const tagged = mesh.tags.find((t) => t.tag === 'default')?.revision;
    if (tagged) return tagged;
    return mesh.controlPlanes.some((c) => c.revision === 'default') ? 'default' : null;
  }
  if (mesh.controlPlanes.some((c) => c.revision === value)) return value;
  return mesh.tags.find((t) => t.tag === value)?.revision ?? null;
}

/** When the upgrade moves a gateway from the old revision to the new one. */
export type MoveWhen =
  | { at: 'gateways' }
  | { at: 'wave'; wave: number }
  | { at: 'finish'; tag: string }
  | { at: 'none'; why: string };

export interface UpgradeShape {
  from: { version: string; revision: string };
  to: { version: string; revision: string };
  strategy: 'labels' | 'tags';
  tags?: { stable: string; canary: string };
  waves: string[][];
}

/** When `g` (claimed by the old revision now) moves, following what the steps do. */
export function moveOf(g: GatewayApiGateway, mesh: MeshRevisions, u: UpgradeShape): MoveWhen {
  const f = follows(g, mesh);
  const canary = u.strategy === 'tags' ? u.tags?.canary : undefined;
  const byTag = (tag: string): MoveWhen => {
    if (tag === canary)
      return u.waves.length > 0
        ? { at: 'wave', wave: 1 }
        : { at: 'none', why: `the canary tag \`${tag}\` moves only in a wave, and there is none` };
    return { at: 'finish', tag };
  };
  if (f.by === 'label') return f.tag ? byTag(f.value) : { at: 'gateways' };
  // Without a label of its own it follows its namespace, which its wave labels `istio.io/rev`.
  const wave = u.waves.findIndex((w) => w.includes(g.namespace));
  if (wave >= 0) return { at: 'wave', wave: wave + 1 };
  if (f.by === 'default') return byTag('default');
  if (f.tag) return byTag(f.value);
  return {
    at: 'none',
    why: `it follows its namespace's label \`istio.io/rev=${f.value}\`, and namespace \`${g.namespace}\` is in no wave`,
  };
}

export interface GatewayApiPlanEntry {
  /** `namespace/name` of the Gateway. */
  gateway: string;
  deployment: string;
  /** Who claims it now (null: nobody — no `default` tag, istio#56767). */
  servedBy: string | null;
  /** In words: what decides its revision, and when it moves. */
  follows: string;
  moves: string;
}

export interface GatewayApiPlan {
  gateways: GatewayApiPlanEntry[];
  warnings: string[];
}

const followsText = (f: Follows): string =>
  f.by === 'default'
    ? 'the `default` tag (no `istio.io/rev` label)'
    : `${f.by === 'label' ? 'its' : "its namespace's"} label \`istio.io/rev=${f.value}\` (${f.tag ? 'a tag' : 'a revision'})`;

function movesText(m: MoveWhen, u: UpgradeShape): string {
  switch (m.at) {
    case 'gateways':
      return `the bot sets its label to \`${u.to.revision}\` after the canary is ready, before wave 1`;
    case 'wave':
      return `moves in wave ${m.wave} with its namespace${u.strategy === 'tags' && m.wave === 1 ? ' (or the canary tag)' : ''}`;
    case 'finish':
      return `moves at the finish, when \`${m.tag}\` moves to \`${u.to.revision}\``;
    case 'none':
      return `does not move: ${m.why}`;
  }
}

/**
 * Target versions whose gateway rollouts dropped traffic (istio#59959): everything before 1.29.5,
 * and 1.30 (the fix shipped in 1.29.5 and 1.31.0). A dev build of 1.31 counts as before 1.31.0.
 */
export function rollDropsTraffic(version: string): boolean {
  const v = parseVersion(version);
  if (!v.ok) return true;
  const { major, minor, patch, prerelease } = v.value;
  if (major !== 1) return major < 1;
  if (minor === 29) return patch < 5;
  if (minor === 31) return patch === 0 && prerelease !== null;
  return minor < 31;
}

/**
 * The plan for the mesh's Gateway API gateways, or a refusal when one claimed by the old revision
 * would never move (the old revision's uninstall would leave it without a control plane).
 */
export function planGatewayApi(
  gateways: GatewayApiGateway[],
  mesh: MeshRevisions,
  u: UpgradeShape,
): Result<GatewayApiPlan> {
  const entries: GatewayApiPlanEntry[] = [];
  const warnings: string[] = [];
  const stuck: string[] = [];
  let moving = 0;
  for (const g of [...gateways].sort((a, b) => gatewayKey(a).localeCompare(gatewayKey(b)))) {
    const servedBy = servingRevision(g, mesh);
    const f = follows(g, mesh);
    const base = { gateway: gatewayKey(g), deployment: `${g.namespace}/${g.deployment}`, servedBy };
    if (!g.managed) {
      entries.push({
        ...base,
        follows: followsText(f),
        moves: 'not deployed by istiod (it has addresses): not moved',
      });
      continue;
    }
    if (servedBy !== u.from.revision) {
      const why =
        servedBy === null
          ? 'no revision claims it now (no `default` tag or no such tag/revision, istio#56767)'
          : servedBy === u.to.revision
            ? `already on \`${servedBy}\``
            : `on \`${servedBy}\`, which this upgrade does not change`;
      const m = servedBy === null && f.by === 'default' ? moveOf(g, mesh, u) : null;
      entries.push({
        ...base,
        follows: followsText(f),
        moves:
          m && m.at === 'finish'
            ? `${why}; the finish points \`default\` at \`${u.to.revision}\`, which then deploys it`
            : why,
      });
      continue;
    }
    const m = moveOf(g, mesh, u);
    if (m.at === 'none') stuck.push(`${gatewayKey(g)}: ${m.why}`);
    else moving++;
    entries.push({ ...base, follows: followsText(f), moves: movesText(m, u) });
  }
  if (stuck.length > 0)
    return err({
      code: 'gateway_api_stuck',
      message: `Gateway API gateway(s) on ${u.from.revision} would never move, and uninstalling ${u.from.revision} would leave them without a control plane: ${stuck.join('; ')}.`,
      hint: 'Put their namespaces in --waves, or label each Gateway `istio.io/rev=<current revision>` so the bot moves it before the waves.',
    });
  if (moving > 0 && rollDropsTraffic(u.to.version))
    warnings.push(
      `Moving a Gateway API gateway replaces its pods; before Istio 1.29.5 / 1.31.0 that dropped about 30 s of traffic through it (istio#59959), and ${u.to.version} is affected: move in a quiet window.`,
    );
  return ok({ gateways: entries, warnings });
}
