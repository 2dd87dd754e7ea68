/**
 * The App Home view (views.publish, `type: "home"`). Pure. Within Block Kit's limits for a Home tab:
 * at most 100 blocks (clusters past what fits are named in one line, not dropped silently), every
 * text clipped to its block's limit.
 */
import { describeInstant, describeWindow } from '../../domain/calendar.js';
import type { Outlook } from '../../domain/calendar-outlook.js';
import type { Policy } from '../../domain/policy.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { STATE_LABEL, stepLabel } from '../blocks/labels.js';
import { type Block, context, cutList, divider, esc, header, LIMITS, section, when } from '../blocks/text.js';
import type { ClusterHome, HomeData, Maybe } from './gather.js';
import { isUnavailable } from './gather.js';

export const HOME_MAX_BLOCKS = 100;
export const HOME_CALLBACK_ID = 'istio_home';
const PER_CLUSTER = 4;

export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: Block[];
}

const code = (s: string) => `\`${esc(s)}\``;

function planesText(c: ClusterHome): string {
  const cp = c.controlPlanes;
  if (isUnavailable(cp)) return `:warning: Control planes unavailable: ${esc(cp.unavailable)}`;
  if (cp.length === 0) return 'No Istio control plane found.';
  const lines = cp.map(
    (p) => `• ${code(p.revision)} Istio ${esc(p.version)}${p.ready ? '' : ' :warning: not ready'}`,
  );
  return `Control planes:\n${cutList(lines, { maxChars: 1500, more: (n) => `…and ${n} more` }).text}`;
}

function activeText(c: ClusterHome): string {
  const a = c.active;
  if (isUnavailable(a)) return `:warning: Upgrades unavailable: ${esc(a.unavailable)}`;
  if (a === null) return 'No upgrade in progress.';
  const r = a.record;
  const id = a.link ? `<${a.link}|${esc(r.id)}>` : `${code(r.id)} (\`/istio status ${esc(r.id)}\`)`;
  const wave = r.currentWave ? ` · wave ${r.currentWave} of ${r.waves.length}` : '';
  // a start scheduled at a window's opening (or by progressive mode) says when
  const at = r.autoStart ? `\n:fast_forward: starts ${when(r.autoStart.at)}` : '';
  return [
    `*Upgrade ${id}*: ${esc(r.from.version)} → ${esc(r.to.version)}, requested by <@${esc(r.requester)}> in <#${esc(r.channel)}>`,
    `${STATE_LABEL[r.state]} · ${stepLabel(r.step, r)}${wave}${at}`,
  ].join('\n');
}

function outlookText(o: Outlook, zone: string, windows: string): string {
  const at = (t: number) => describeInstant(t, zone);
  const freeze = o.nextFreeze
    ? ` Next freeze from ${at(Date.parse(o.nextFreeze.from))}: ${esc(o.nextFreeze.reason)}.`
    : '';
  const opens = (t: number | null) => (t === null ? 'no window opens within a week' : `opens ${at(t)}`);
  switch (o.state) {
    case 'frozen':
      return `:snowflake: Change freeze until ${at(o.until)}: ${esc(o.freeze.reason)}; ${opens(o.opensAt)}.${freeze}`;
    case 'closed':
      return `:red_circle: Outside the change windows (${windows}); ${opens(o.opensAt)}.${freeze}`;
    default:
      return o.until === null
        ? `:large_green_circle: Changes may run now${windows ? ` (${windows})` : ''}.${freeze}`
        : `:large_green_circle: Change window open until ${at(o.until)}${windows ? ` (${windows})` : ''}.${freeze}`;
  }
}

function clusterBlocks(c: ClusterHome, policy: Policy): Block[] {
  const windows = (policy.clusters[c.name]?.windows ?? []).map(describeWindow).join('; ');
  return [
    section(`*Cluster ${code(c.name)}*\n${planesText(c)}`),
    section(activeText(c)),
    context(outlookText(c.outlook, c.timeZone, esc(windows))),
    divider(),
  ];
}

function finishedText(f: Maybe<UpgradeRecord[]>): string {
  if (isUnavailable(f)) return `:warning: Finished upgrades unavailable: ${esc(f.unavailable)}`;
  if (f.length === 0) return 'None yet.';
  const lines = f.map(
    (r) =>
      `• ${code(r.id)} on ${code(r.cluster)}: ${esc(r.from.version)} → ${esc(r.to.version)}, ${STATE_LABEL[r.state]} ${when(r.updatedAt)}`,
  );
  return cutList(lines, {
    maxChars: LIMITS.sectionText - 100,
    more: (n) => `…and ${n} more: \`/istio list\` in a cluster's channel`,
  }).text;
}

const NOTHING =
  'You see no cluster here. The Home tab shows the clusters whose channels you are a member of, every cluster ' +
  'when you are in an incident channel, and clusters open to every channel when the policy names you (or a ' +
  'user group of yours) as a requester, approver, operator or incident responder. Ask to be added to a ' +
  "cluster's channel to follow its upgrades.";

export function homeView(data: HomeData, policy: Policy): HomeView {
  const head: Block[] = [
    header('Istio upgrades'),
    context(
      `As of ${when(new Date(data.now).toISOString())}. Clusters your channels and role let you see; reopen the tab to refresh. \`/istio help\` in a cluster's channel for commands.`,
    ),
  ];
  if (data.clusters.length === 0)
    return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks: [...head, section(NOTHING)] };
  const tail: Block[] = [header('Last finished upgrades'), section(finishedText(data.finished))];
  const room = HOME_MAX_BLOCKS - head.length - tail.length;
  const fits = Math.floor(room / PER_CLUSTER);
  const shown =
    data.clusters.length <= fits
      ? data.clusters
      : data.clusters.slice(0, Math.floor((room - 1) / PER_CLUSTER));
  const left = data.clusters.slice(shown.length);
  const more = left.length
    ? [
        context(
          `${left.length} more cluster(s) do not fit here: ${left.map((c) => code(c.name)).join(', ')}. \`/istio status\` in their channels.`,
        ),
      ]
    : [];
  const blocks = [...head, ...shown.flatMap((c) => clusterBlocks(c, policy)), ...more, ...tail];
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks };
}
