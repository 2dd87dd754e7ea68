/**
 * What a person may see where there is no channel to judge by (the App Home): the clusters their
 * channels and roles allow. Pure: the Slack layer resolves channel membership and user groups first.
 *
 * - A member of one of a cluster's channels sees that cluster (those channels may view it).
 * - A member of an incident channel sees every cluster (incident channels may view them all).
 * - A cluster open to every channel (`*`) is seen by whoever the policy names in a role — requester,
 *   approver, operator or incident responder — by user id or user group; a `*` role names nobody in
 *   particular and shows nothing.
 */
import type { Policy, Principal } from './policy.js';

export interface Viewer {
  user: string;
  /** The user-group ids (among those the policy names) the user belongs to. */
  groups: string[];
  /** The channels, among those the policy names, the user is a member of. */
  channels: ReadonlySet<string>;
}

/** Every channel id the policy names (clusters' channels and incident channels; `*` is none). */
export function channelsIn(policy: Policy): string[] {
  const all = [...Object.values(policy.clusters).flatMap((c) => c.channels), ...policy.incidentChannels];
  return [...new Set(all.filter((c) => c !== '*'))].sort();
}

const named = (principals: Principal[], v: Viewer) =>
  principals.some((p) => p !== '*' && (p === v.user || v.groups.includes(p)));

/** Holds a role by name (not through `*`). */
export function holdsRole(policy: Policy, v: Viewer): boolean {
  return [policy.requesters, policy.approvers, policy.operators, policy.incidentResponders].some((l) =>
    named(l, v),
  );
}

/** The clusters `v` may see, sorted by name. */
export function clustersVisibleTo(policy: Policy, v: Viewer): string[] {
  const all = Object.keys(policy.clusters).sort();
  if (policy.incidentChannels.some((c) => v.channels.has(c))) return all;
  const role = holdsRole(policy, v);
  return all.filter((name) => {
    const { channels } = policy.clusters[name]!;
    return channels.some((c) => v.channels.has(c)) || (role && channels.includes('*'));
  });
}
