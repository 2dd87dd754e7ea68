/** `/istio status` and `/istio list`. Pure. */
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import type { Refusal } from '../../engine/api.js';
import { decisionText } from './approval.js';
import { STATE_LABEL, stepLabel } from './labels.js';
import { planMessage } from './plan.js';
import {
  type Block,
  capBlocks,
  context,
  cutList,
  esc,
  escKeepingChannels,
  LIMITS,
  mention,
  type SlackMessage,
  section,
  when,
} from './text.js';

export function statusMessage(r: UpgradeRecord): SlackMessage {
  const plan = planMessage(r);
  const decisions = r.decisions.slice(-10).map((d) => `• ${decisionText(r, d)}`);
  const blocks: Block[] = [...plan.blocks.slice(0, -1)];
  if (decisions.length) blocks.push(section(`*Decisions*\n${decisions.join('\n')}`));
  if (r.threadTs)
    blocks.push(context(`Thread: https://slack.com/archives/${r.channel}/p${r.threadTs.replace('.', '')}`));
  return { text: plan.text, blocks: capBlocks(blocks, (n) => `…${n} more blocks`) };
}

export function listMessage(records: UpgradeRecord[], title = 'Recent upgrades'): SlackMessage {
  if (records.length === 0)
    return {
      text: 'No upgrades yet.',
      blocks: [section('No upgrades yet. Start one with `/istio upgrade <version>`.')],
    };
  const lines = records.map(
    (r) =>
      `\`${r.id}\` \`${esc(r.cluster)}\` ${esc(r.from.version)} → ${esc(r.to.version)} · ${STATE_LABEL[r.state]} · ${stepLabel(r.step, r)} · by ${mention(r.requester)} ${when(r.createdAt)}`,
  );
  return titledList(title, lines);
}

/** One section: a bold title over the lines, cut to Slack's limit with a count of the rest. */
function titledList(title: string, lines: string[]): SlackMessage {
  const cut = cutList(lines, { maxChars: LIMITS.sectionText - 40, more: (n) => `…and ${n} more` });
  return { text: `${title}: ${lines.length}`, blocks: [section(`*${title}*\n${cut.text}`)] };
}

/** `/istio list --refusals`: who was refused what, where and why, newest first; `scope` says which. */
export function refusalsMessage(refusals: Refusal[], scope = 'every cluster'): SlackMessage {
  if (refusals.length === 0)
    return {
      text: `No refused requests on ${scope}.`,
      blocks: [section(`No refused requests on record for ${scope}.`)],
    };
  const lines = refusals.map(
    (r) =>
      `${when(r.at)} ${mention(r.user)} in <#${r.channel}>: *${esc(r.action)}*${r.upgradeId ? ` (\`${r.upgradeId}\`)` : ''} — ${escKeepingChannels(r.reason)}`,
  );
  return titledList(`Latest refused requests on ${scope}`, lines);
}
