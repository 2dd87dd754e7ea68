/**
 * Which cluster a command means when `--cluster` is not given, and which clusters a channel may
 * drive, for refusals that say where to go instead. Pure.
 *
 * A channel bound to exactly one cluster (`clusters: {prod-eu1: {channels: [C…]}}`) means that
 * cluster. Bound to several, it means DEFAULT_CLUSTER when that is one of them, else the person must
 * say which. Bound to none (an incident channel, a channel every cluster allows with `*`), it means
 * DEFAULT_CLUSTER.
 */
import type { Policy } from '../domain/policy.js';
import { esc } from './blocks/text.js';

/** Clusters whose channel list names this channel (not `*`). */
export function boundTo(policy: Policy, channel: string): string[] {
  return Object.entries(policy.clusters)
    .filter(([, c]) => c.channels.includes(channel))
    .map(([name]) => name)
    .sort();
}

/** Clusters this channel may drive: those bound to it and those open to every channel. */
export function drivableFrom(policy: Policy, channel: string): string[] {
  return Object.entries(policy.clusters)
    .filter(([, c]) => c.channels.includes(channel) || c.channels.includes('*'))
    .map(([name]) => name)
    .sort();
}

export type ClusterChoice = { cluster: string } | { ambiguous: string[] };

export function chooseCluster(
  policy: Policy,
  channel: string,
  given: string | undefined,
  defaultCluster: string,
): ClusterChoice {
  if (given) return { cluster: given };
  const bound = boundTo(policy, channel);
  if (bound.length === 1) return { cluster: bound[0]! };
  if (bound.length === 0 || bound.includes(defaultCluster)) return { cluster: defaultCluster };
  return { ambiguous: bound };
}

const names = (l: string[]) => l.map((c) => `\`${esc(c)}\``).join(', ');

/** Appended to a refusal about a cluster: where this channel may go instead. */
export function drivableNote(policy: Policy, channel: string): string {
  const mine = drivableFrom(policy, channel);
  return mine.length ? `From this channel you may drive: ${names(mine)}.` : 'This channel drives no cluster.';
}

export function ambiguousText(clusters: string[], example: string): string {
  return `This channel drives several clusters (${names(clusters)}): say which, e.g. \`${example} --cluster ${esc(clusters[0]!)}\`.`;
}
