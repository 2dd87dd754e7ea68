/**
 * Who may do what, decided from the policy and the record, never from a button's value.
 * Pure: the Slack layer resolves user-group membership first and passes it in.
 * Every "no" carries a reason a person can act on.
 */
import type { Calendar } from './calendar.js';
import type { AnalysisSpec } from './upgrade/analysis.js';
import type { ClusterAnalysisPolicy } from './upgrade/analysis-choice.js';
import type { UpgradeRecord } from './upgrade/record.js';

/** `U…`/`W…` user ids, `S…` user-group ids, or `*` for anyone. */
export type Principal = string;

export interface Policy {
  requesters: Principal[];
  approvers: Principal[];
  /** May pause/resume/abort/retry/roll back. The requester always may for their own upgrade. */
  operators: Principal[];
  /** Cluster name → channels that may drive it (`*` = any channel), and the traffic analysis every
   * wave on it must pass by default (issue 13; absent: none), other named ones (`--analysis NAME`),
   * whether `--analysis none` is allowed, and progressive mode (src/domain/upgrade/analysis-choice.ts). */
  clusters: Record<
    string,
    { channels: string[]; analysis?: AnalysisSpec } & ClusterAnalysisPolicy & Calendar
  >;
  /** Channels where status and rollback are allowed for every cluster. */
  incidentChannels: string[];
  /**
   * Who may roll back from an incident channel. Default: the operators and approvers
   * (`defaultIncidentResponders`); `*` (anyone who can join the channel) only when written.
   */
  incidentResponders: Principal[];
  /** The requester cannot approve their own upgrade's waves unless this is explicitly false. */
  fourEyes: boolean;
}

export interface Who {
  user: string;
  /** The user-group ids (among those the policy names) the user belongs to. */
  groups: string[];
  channel: string;
}

export type Verdict = { allowed: true } | { allowed: false; code: string; reason: string };

const yes: Verdict = { allowed: true };
const no = (code: string, reason: string): Verdict => ({ allowed: false, code, reason });

/** Those who may already stop an upgrade elsewhere: the operators and the approvers. */
export function defaultIncidentResponders(p: Pick<Policy, 'operators' | 'approvers'>): Principal[] {
  return [...new Set([...p.operators, ...p.approvers])];
}

export function matches(principals: Principal[], who: Who): boolean {
  return principals.some((p) => p === '*' || p === who.user || who.groups.includes(p));
}

/** The user-group ids a policy mentions, so the caller knows which groups to resolve. */
export function groupsIn(policy: Policy): string[] {
  const all = [...policy.requesters, ...policy.approvers, ...policy.operators, ...policy.incidentResponders];
  return [...new Set(all.filter((p) => p.startsWith('S')))];
}

export const isIncidentChannel = (policy: Policy, channel: string): boolean =>
  policy.incidentChannels.includes(channel);

export function channelDrives(policy: Policy, channel: string, cluster: string): Verdict {
  const c = policy.clusters[cluster];
  if (!c) {
    const known = Object.keys(policy.clusters);
    return no(
      'unknown_cluster',
      `Cluster "${cluster}" is not configured. Known clusters: ${known.join(', ') || 'none'}.`,
    );
  }
  if (c.channels.includes('*') || c.channels.includes(channel)) return yes;
  return no(
    'channel_not_allowed',
    `This channel may not drive cluster "${cluster}". Use one of its channels: ${c.channels.map((ch) => `<#${ch}>`).join(', ')}.`,
  );
}

export function mayRequest(policy: Policy, who: Who, cluster: string): Verdict {
  if (isIncidentChannel(policy, who.channel) && !policy.clusters[cluster]?.channels.includes(who.channel)) {
    return no('incident_channel', 'Incident channels may check status and roll back, not start upgrades.');
  }
  const ch = channelDrives(policy, who.channel, cluster);
  if (!ch.allowed) return ch;
  if (!matches(policy.requesters, who)) {
    return no(
      'not_requester',
      'You are not on the list of people who may request upgrades (policy `requesters`).',
    );
  }
  return yes;
}

export function mayApprove(policy: Policy, who: Who, record: UpgradeRecord): Verdict {
  if (!matches(policy.approvers, who)) {
    return no('not_approver', 'You are not an approver for upgrades (policy `approvers`).');
  }
  if (policy.fourEyes && who.user === record.requester) {
    return no(
      'four_eyes',
      `You requested ${record.id}, so someone else must approve it (four-eyes rule; \`fourEyes: false\` turns it off).`,
    );
  }
  const ch = channelDrives(policy, who.channel, record.cluster);
  return ch.allowed ? yes : ch;
}

export type ControlAction = 'pause' | 'resume' | 'abort' | 'retry' | 'rollback';

/** Pause/resume/abort/retry/rollback from the upgrade's own channel (or one that drives its cluster). */
export function mayControl(policy: Policy, who: Who, record: UpgradeRecord, action: ControlAction): Verdict {
  if (action === 'rollback' && isIncidentChannel(policy, who.channel))
    return mayIncidentRollback(policy, who);
  const ch = channelDrives(policy, who.channel, record.cluster);
  if (!ch.allowed) return ch;
  if (who.user === record.requester || matches(policy.operators, who) || matches(policy.approvers, who))
    return yes;
  return no(
    'not_operator',
    `You may not ${action} ${record.id}: only its requester, approvers and operators may.`,
  );
}

function mayIncidentRollback(policy: Policy, who: Who): Verdict {
  if (!matches(policy.incidentResponders, who) && !matches(policy.operators, who)) {
    return no('not_responder', 'You are not an incident responder (policy `incidentResponders`).');
  }
  return yes;
}

/** A rollback from an incident channel must say why: the reason is posted and audited. */
export function rollbackNeedsReason(policy: Policy, channel: string, reason: string | undefined): Verdict {
  if (isIncidentChannel(policy, channel) && !reason?.trim()) {
    return no(
      'reason_required',
      'A rollback from an incident channel needs a reason: `/istio rollback up-7k3q <why, e.g. INC-123 5xx in payments>`.',
    );
  }
  return yes;
}

/** status, list and ps: channels that drive the cluster, and incident channels. */
export function mayView(policy: Policy, channel: string, cluster?: string): Verdict {
  if (isIncidentChannel(policy, channel)) return yes;
  if (cluster) return channelDrives(policy, channel, cluster);
  const any = Object.values(policy.clusters).some(
    (c) => c.channels.includes('*') || c.channels.includes(channel),
  );
  return any
    ? yes
    : no('channel_not_allowed', 'This channel drives no cluster and is not an incident channel.');
}
