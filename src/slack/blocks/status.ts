/** `/istio status` and `/istio list`. Pure. */
import type { UpgradeRecord, Wave } from '../../domain/upgrade/record.js';
import type { Refusal } from '../../engine/api.js';
import { analysisRows } from './analysis.js';
import { decisionText } from './approval.js';
import { planFileName } from './files.js';
import { STATE_LABEL, stepLabel, WAVE_ICON } from './labels.js';
import { nodeWaveSections } from './nodes.js';
import {
  GATEWAY_API_TITLE,
  gatewayApiLines,
  planMessage,
  type WaveTiming,
  waveLine,
  waveStarts,
} from './plan.js';
import { statusAnalysisLines } from './status-analysis.js';
import {
  type Block,
  capBlocks,
  clip,
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

/** Joins lines into sections of at most ~2,900 characters each, cutting nothing. */
export function chunkSections(lines: string[], max = LIMITS.sectionText - 100): string[] {
  const out: string[] = [];
  let cur = '';
  for (const l0 of lines) {
    const l = l0.length > max ? `${l0.slice(0, max - 1)}…` : l0;
    if (cur && cur.length + l.length + 1 > max) {
      out.push(cur);
      cur = '';
    }
    cur += (cur ? '\n' : '') + l;
  }
  if (cur) out.push(cur);
  return out;
}

/** `/istio status ID`: the plan with every wave (over several sections), state, decisions, thread link. */
export function statusMessage(r: UpgradeRecord, timing?: WaveTiming): SlackMessage {
  const plan = planMessage(r, timing);
  const decisions = r.decisions.slice(-10).map((d) => `• ${decisionText(r, d)}`);
  const starts = waveStarts(r, timing);
  const waves = chunkSections(r.waves.map((w) => waveLine(r, w, starts.get(w.index))));
  const blocks: Block[] = [
    ...plan.blocks.slice(0, 2),
    ...waves.map((t, i) => section(i === 0 ? `*Waves*\n${t}` : t)),
    // the plan's Gateway API section is cut; here every gateway, over as many sections as it takes
    ...plan.blocks.slice(3, -1).filter((b) => !JSON.stringify(b).includes(GATEWAY_API_TITLE)),
  ];
  const gatewayApi = [
    ...gatewayApiLines(r),
    ...(r.gatewayApi?.warnings ?? []).map((w) => `:warning: ${esc(w)}`),
  ];
  for (const [i, t] of chunkSections(gatewayApi).entries())
    blocks.push(section(i === 0 ? `${GATEWAY_API_TITLE}\n${t}` : t));
  const analysis = statusAnalysisLines(r);
  if (analysis.length) for (const t of chunkSections(analysis)) blocks.push(section(t));
  if (decisions.length) blocks.push(section(`*Decisions*\n${decisions.join('\n')}`));
  if (r.threadTs)
    blocks.push(context(`Thread: https://slack.com/archives/${r.channel}/p${r.threadTs.replace('.', '')}`));
  return {
    text: plan.text,
    blocks: capBlocks(
      blocks,
      (n) =>
        `…${n} more sections: \`/istio status ${r.id} --wave N\` lists one wave, the file \`${planFileName(r)}\` in the thread all of them`,
    ),
  };
}

/**
 * `/istio status ID --wave N`: the wave's state, approval, progress, diff counts and every namespace,
 * over as many messages as it takes (each within Block Kit's limits).
 */
export function waveMessages(r: UpgradeRecord, w: Wave, maxBlocks = 45): SlackMessage[] {
  if (w.kind === 'nodes')
    return [
      {
        text: `Wave ${w.index} of ${r.id}: a node wave, ${(w.nodes ?? []).length} nodes`,
        blocks: nodeWaveSections(r, w).map((t) => section(t)),
      },
    ];
  const facts = [
    `${WAVE_ICON[w.status]} *Wave ${w.index} of ${r.waves.length} of ${r.id}* on \`${esc(r.cluster)}\`: ${w.status.replace('_', ' ')}, ${w.namespaces.length} namespace(s) to \`${esc(r.to.revision)}\``,
    w.approvedBy ? `Approved by ${mention(w.approvedBy)}${w.approvedAt ? ` ${when(w.approvedAt)}` : ''}` : '',
    w.progress
      ? `Workloads restarted ${w.progress.restarted}/${w.progress.total}, ready ${w.progress.ready}/${w.progress.total}`
      : '',
    w.analysis
      ? `Traffic analysis: *${w.analysis.verdict}* — ${esc(clip(w.analysis.reason, 300))}\n\`\`\`${analysisRows(w.analysis).map(esc).join('\n')}\`\`\``
      : '',
    w.diff
      ? `Proxy-status diff: ${w.diff.moved} moved, ${w.diff.partial} partial, ${w.diff.unchanged} unchanged, ${w.diff.notSynced} not synced (\`/istio status ${r.id} --details\`)`
      : '',
  ].filter(Boolean);
  const ns = chunkSections(w.namespaces.map((n) => `\`${esc(n)}\``));
  const sections = [
    facts.join('\n'),
    ...ns.map((t, i) => (i === 0 ? `*Namespaces* (${w.namespaces.length})\n${t}` : t)),
  ];
  const out: SlackMessage[] = [];
  for (let i = 0; i < sections.length; i += maxBlocks) {
    out.push({
      text: `Wave ${w.index} of ${r.id}: ${w.namespaces.length} namespaces${out.length ? `, part ${out.length + 1}` : ''}`,
      blocks: sections.slice(i, i + maxBlocks).map((t) => section(t)),
    });
  }
  return out;
}

export function listMessage(
  records: UpgradeRecord[],
  title = 'Recent upgrades',
  more?: string,
): SlackMessage {
  if (records.length === 0 && title !== 'Recent upgrades')
    return { text: `${title}: none`, blocks: [section(`*${title}*\nNo upgrades on this page.`)] };
  if (records.length === 0)
    return {
      text: 'No upgrades yet.',
      blocks: [section('No upgrades yet. Start one with `/istio upgrade <version>`.')],
    };
  const lines = records.map(
    (r) =>
      `\`${r.id}\` \`${esc(r.cluster)}\` ${esc(r.from.version)} → ${esc(r.to.version)} · ${STATE_LABEL[r.state]} · ${stepLabel(r.step, r)} · by ${mention(r.requester)} ${when(r.createdAt)}`,
  );
  const m = titledList(title, lines);
  if (more) m.blocks.push(context(more));
  return m;
}

/** A bold title over the lines, packed into as many sections as they need (at most 5, each within
 * Slack's section limit); past that, cut with a count of the rest. */
function titledList(title: string, lines: string[]): SlackMessage {
  const max = LIMITS.sectionText - 40;
  const blocks: Block[] = [];
  let chunk: string[] = [`*${title}*`];
  let size = chunk[0]!.length;
  let i = 0;
  for (; i < lines.length && blocks.length < 5; i++) {
    const line = lines[i]!;
    if (size + line.length + 1 > max && chunk.length > 0) {
      blocks.push(section(chunk.join('\n')));
      chunk = [];
      size = 0;
      if (blocks.length === 5) break;
    }
    chunk.push(line);
    size += line.length + 1;
  }
  if (chunk.length > 0 && blocks.length < 5) blocks.push(section(chunk.join('\n')));
  else i -= chunk.length;
  const rest = lines.slice(i);
  if (rest.length > 0) {
    const cut = cutList(rest, { maxChars: 0, more: (n) => `…and ${n} more` });
    blocks.push(context(cut.text || `…and ${rest.length} more`));
  }
  return { text: `${title}: ${lines.length}`, blocks };
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
