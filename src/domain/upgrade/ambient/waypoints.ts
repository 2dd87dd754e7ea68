/**
 * Waypoints (ADR 20, issue 14): Gateway API Gateways of class `istio-waypoint`, the ambient mesh's L7
 * proxies. istiod's gateway deployment controller renders a Deployment for each one it claims, by the
 * same tag-watcher rule as class `istio` (ADR 17, `servingRevision` in ../gateway-api.ts): the
 * Gateway's `istio.io/rev` label, else its namespace's, names a revision or a tag; none means the
 * `default` tag. Its pod template annotation `istio.io/rev` names the revision that rendered it. So a
 * waypoint moves with the tag it follows; after the tag move, these rules say which waypoints are not
 * yet on the new revision, and why. Pure.
 */

/** One waypoint as read from the cluster (AmbientDataPlane.waypoints). */
export interface Waypoint {
  namespace: string;
  name: string;
  /** The Gateway's own `istio.io/rev` label; null when absent. */
  revLabel: string | null;
  /** Its namespace's `istio.io/rev` label; null when absent. */
  namespaceRev: string | null;
  /** istiod deploys it (no address, or one IP address); false: the user deploys it, nothing moves it. */
  managed: boolean;
  /** The Deployment istiod renders for it: the Gateway's name, or its `gateway.istio.io/name-override`. */
  deployment: string;
  /** The revision whose istiod should serve it now (the tag watcher's rule); null: none claims it. */
  servedBy: string | null;
  /** The revision its Deployment runs (pod template annotation `istio.io/rev`); null: not rendered. */
  renderedBy: string | null;
  /** Its Deployment rolled out as `kubectl rollout status` decides (false: none yet, or still rolling). */
  ready: boolean;
}

export interface WaypointLag {
  /** `namespace/name` of the Gateway. */
  waypoint: string;
  /** In words: what is not yet on the revision. */
  why: string;
}

export const waypointKey = (w: { namespace: string; name: string }): string => `${w.namespace}/${w.name}`;

function follows(w: Waypoint): string {
  if (w.revLabel) return `its label \`istio.io/rev=${w.revLabel}\``;
  if (w.namespaceRev) return `its namespace's label \`istio.io/rev=${w.namespaceRev}\``;
  return 'the `default` tag';
}

/**
 * The waypoints istiod deploys that are not yet on `revision` (served by it, rendered by it, rolled
 * out), each with the reason, sorted by `namespace/name`. Waypoints the user deploys (addresses set)
 * are never moved by istiod and are left out. Empty: every waypoint is on `revision`.
 */
export function waypointsNotOn(waypoints: Waypoint[], revision: string): WaypointLag[] {
  const out: WaypointLag[] = [];
  for (const w of waypoints) {
    if (!w.managed) continue;
    const waypoint = waypointKey(w);
    if (w.servedBy === null)
      out.push({
        waypoint,
        why: `no istiod claims it: ${follows(w)} names no running revision or tag of one`,
      });
    else if (w.servedBy !== revision)
      out.push({
        waypoint,
        why: `served by \`${w.servedBy}\`, not \`${revision}\`: it follows ${follows(w)}, which does not point at \`${revision}\``,
      });
    else if (w.renderedBy !== revision)
      out.push({
        waypoint,
        why:
          w.renderedBy === null
            ? `istiod \`${revision}\` has not rendered its Deployment \`${w.deployment}\` yet`
            : `its Deployment \`${w.deployment}\` still runs \`${w.renderedBy}\`: istiod \`${revision}\` has not re-rendered it yet`,
      });
    else if (!w.ready)
      out.push({
        waypoint,
        why: `its Deployment \`${w.deployment}\` is still rolling out to \`${revision}\``,
      });
  }
  return out.sort((a, b) => a.waypoint.localeCompare(b.waypoint));
}

/**
 * The waypoints `revision` still serves or renders (`namespace/name`, sorted): before the old
 * revision is uninstalled this must be empty, or those waypoints would lose their control plane.
 */
export function waypointsOn(waypoints: Waypoint[], revision: string): string[] {
  return waypoints
    .filter((w) => w.managed && (w.servedBy === revision || w.renderedBy === revision))
    .map(waypointKey)
    .sort();
}

/** One line per lagging waypoint, for a step's failure or progress note ("" when none). */
export function renderWaypointLags(lags: WaypointLag[]): string {
  return lags.map((l) => `• \`${l.waypoint}\`: ${l.why}`).join('\n');
}
