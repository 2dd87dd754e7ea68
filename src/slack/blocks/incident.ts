/**
 * An automatic rollback in the incident channels (issue 13): the policy's `onFailure: rollback` rolled
 * an upgrade back without a click, so the people on call are told there, with the evidence — the failed
 * wave's analysis table and reason — and where the thread is. Pure.
 */
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { analysisRows } from './analysis.js';
import { clip, context, cutList, esc, LIMITS, type SlackMessage, section } from './text.js';

/** The wave whose analysis failed (the last one with a failed verdict). */
const failedWave = (r: UpgradeRecord) => [...r.waves].reverse().find((w) => w.analysis?.verdict === 'failed');

export function autoRollbackMessage(r: UpgradeRecord, threadTs?: string): SlackMessage {
  const w = failedWave(r);
  const res = w?.analysis;
  const head = `:rotating_light: *${r.id} is being rolled back automatically* on \`${esc(r.cluster)}\` (${esc(r.from.version)} ← ${esc(r.to.version)}): ${w ? `wave ${w.index} of ${r.waves.length} (${w.namespaces.slice(0, 5).map(esc).join(', ')}${w.namespaces.length > 5 ? ', …' : ''}) failed its traffic analysis` : 'its traffic analysis failed'}, and the cluster's policy says \`onFailure: rollback\`.`;
  const rows = res
    ? cutList(analysisRows(res).map(esc), {
        maxChars: LIMITS.sectionText - 8,
        more: (n) => `…${n} more: /istio status ${r.id}`,
      }).text
    : '';
  const reason = res?.reason ?? r.rollback?.reason ?? '';
  const where = threadTs
    ? `Thread: https://slack.com/archives/${r.channel}/p${threadTs.replace('.', '')}`
    : `In <#${r.channel}>`;
  return {
    text: clip(`${r.id} is being rolled back automatically on ${r.cluster}: ${reason}`, LIMITS.messageText),
    blocks: [
      section(head),
      ...(rows ? [section(`\`\`\`${rows}\`\`\``)] : []),
      context(esc(clip(reason, 1500)), `${where} · \`/istio status ${r.id}\``),
    ],
  };
}
