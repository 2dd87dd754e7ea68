/**
 * The proxy-status diff of a wave: moved / partial / unchanged workloads, proxies per revision before
 * and after, proxies not synced. Long lists are cut with counts and a pointer to the full list: the
 * file with the whole diff in the thread, and `/istio status ID --details` (`diffDetailMessages`). Pure; within Block Kit limits.
 */
import type { ProxyDiff } from '../../domain/proxystatus/model.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { diffFileName } from './files.js';
import { type Block, context, cutList, esc, LIMITS, type SlackMessage, section } from './text.js';

const LIST_LINES = 15;

const movedLine = (m: ProxyDiff['moved'][number]) =>
  `\`${esc(m.namespace)}/${esc(m.workload)}\` ${esc(m.fromRevision)} → ${esc(m.toRevision)}`;
const partialLine = (p: ProxyDiff['partial'][number]) =>
  `\`${esc(p.namespace)}/${esc(p.workload)}\` ${esc(p.fromRevisions.join(','))} → ${esc(p.toRevisions.join(','))}`;
const revLine = (u: ProxyDiff['unchanged'][number]) =>
  `\`${esc(u.namespace)}/${esc(u.workload)}\` on ${esc(u.revision)}`;
const notSyncedLine = (n: ProxyDiff['notSynced'][number]) =>
  `\`${esc(n.namespace)}/${esc(n.pod)}\` ${esc(n.types.join(', ')) || 'not synced'}`;

/** Proxies per revision, before and after, as a fixed-width table. */
export function revisionTable(diff: ProxyDiff): string {
  const revs = [...new Set([...Object.keys(diff.before), ...Object.keys(diff.after)])].sort();
  const w = Math.max(8, ...revs.map((r) => r.length));
  const rows = revs.map(
    (r) =>
      `${r.padEnd(w)}  ${String(diff.before[r] ?? 0).padStart(6)}  ${String(diff.after[r] ?? 0).padStart(6)}`,
  );
  const table = cutList(
    [`${'revision'.padEnd(w)}  ${'before'.padStart(6)}  ${'after'.padStart(6)}`, ...rows],
    {
      maxChars: LIMITS.sectionText - 60,
      more: (n) => `…${n} more revisions`,
    },
  );
  return `\`\`\`\n${table.text}\n\`\`\``;
}

export function diffSummary(diff: ProxyDiff): string {
  return [
    `*${diff.moved.length}* moved`,
    `*${diff.partial.length}* partial`,
    `*${diff.unchanged.length}* unchanged`,
    `*${diff.added.length}* added`,
    `*${diff.removed.length}* removed`,
    `*${diff.notSynced.length}* not synced`,
  ].join(' · ');
}

function listSection(
  title: string,
  lines: string[],
  moreHint: string,
): { block: Block; left: number } | null {
  if (lines.length === 0) return null;
  const cut = cutList(lines, {
    maxChars: LIMITS.sectionText - title.length - moreHint.length - 30,
    maxLines: LIST_LINES,
    more: (n) => `…and ${n} more: ${moreHint}`,
  });
  return { block: section(`*${title}* (${lines.length})\n${cut.text}`), left: cut.left };
}

/** true when the diff message shows every moved, partial, not-synced, added and removed line. */
export function diffFits(r: UpgradeRecord, wave: number, diff: ProxyDiff): boolean {
  return !diffParts(r, wave, diff).cut;
}

export const diffMessage = (r: UpgradeRecord, wave: number, diff: ProxyDiff, file?: string): SlackMessage =>
  diffParts(r, wave, diff, file).message;

/**
 * The diff of a wave. `file`: the name of the file holding the whole diff in the thread (uploaded when
 * this message cannot show it all); every "more" names it and `/istio status ID --details`.
 */
function diffParts(
  r: UpgradeRecord,
  wave: number,
  diff: ProxyDiff,
  file?: string,
): { message: SlackMessage; cut: boolean } {
  const details = `\`/istio status ${r.id} --details\``;
  const hint = file ? `the file \`${file}\` above has them all (and ${details})` : details;
  const icon = diff.notSynced.length || diff.partial.length ? ':warning:' : ':bar_chart:';
  const blocks: Block[] = [
    section(`${icon} *Proxy-status diff after wave ${wave}* of ${r.id}: ${diffSummary(diff)}`),
    section(`*Proxies per revision*\n${revisionTable(diff)}`),
  ];
  const lists: [string, string[]][] = [
    ['Moved', diff.moved.map(movedLine)],
    ['Partial (some pods on each revision)', diff.partial.map(partialLine)],
    ['Not synced', diff.notSynced.map(notSyncedLine)],
    ['Added', diff.added.map(revLine)],
    ['Removed', diff.removed.map(revLine)],
  ];
  let cut = false;
  for (const [title, lines] of lists) {
    const b = listSection(title, lines, hint);
    if (b) blocks.push(b.block);
    if (b?.left) cut = true;
  }
  blocks.push(context(`Unchanged workloads: ${diff.unchanged.length} · full lists: ${hint}`));
  const text = `Proxy-status diff after wave ${wave} of ${r.id}: ${diff.moved.length} moved, ${diff.partial.length} partial, ${diff.unchanged.length} unchanged, ${diff.notSynced.length} not synced`;
  return { message: { text, blocks }, cut };
}

/**
 * Every line of a diff, for `--details`: split into messages of at most `maxBlocks` sections of at most
 * 3000 characters each, so nothing is cut. At most `maxMessages` messages; beyond that the last says so.
 */
export function diffDetailMessages(
  r: UpgradeRecord,
  wave: number,
  diff: ProxyDiff,
  opts: { maxBlocks?: number; maxMessages?: number; file?: string } = {},
): SlackMessage[] {
  const maxBlocks = opts.maxBlocks ?? 45;
  const maxMessages = opts.maxMessages ?? 4;
  const lines = [
    `*Wave ${wave} of ${r.id}: full proxy-status diff*`,
    ...[
      ['Moved', diff.moved.map(movedLine)],
      ['Partial', diff.partial.map(partialLine)],
      ['Not synced', diff.notSynced.map(notSyncedLine)],
      ['Added', diff.added.map(revLine)],
      ['Removed', diff.removed.map(revLine)],
      ['Unchanged', diff.unchanged.map(revLine)],
    ].flatMap(([t, l]) =>
      (l as string[]).length ? [`*${t}* (${(l as string[]).length})`, ...(l as string[])] : [],
    ),
  ];
  const chunks: string[] = [];
  let cur = '';
  for (const line of lines) {
    const l = line.length > 2900 ? `${line.slice(0, 2899)}…` : line;
    if (cur.length + l.length + 1 > 2900) {
      chunks.push(cur);
      cur = '';
    }
    cur += (cur ? '\n' : '') + l;
  }
  if (cur) chunks.push(cur);
  const messages: SlackMessage[] = [];
  for (let i = 0; i < chunks.length; i += maxBlocks) {
    const part = chunks.slice(i, i + maxBlocks);
    messages.push({
      text: `Wave ${wave} of ${r.id}: full diff, part ${messages.length + 1}`,
      blocks: part.map((c) => section(c)),
    });
  }
  if (messages.length > maxMessages) {
    const left = messages.length - maxMessages + 1;
    const kept = messages.slice(0, maxMessages - 1);
    kept.push({
      text: 'diff too long',
      blocks: [
        section(
          `…${left} more parts not shown: the diff is too long for Slack. The whole diff is in the thread as the file \`${opts.file ?? diffFileName(r, wave)}\`.`,
        ),
      ],
    });
    return kept;
  }
  return messages;
}
