/**
 * A wave's traffic analysis in the thread (issue 13): a compact table per target — success rate before
 * → after, p99 before → after, verdict — with the reason; when it did not pass, a second message with
 * the Roll back button (the table stays as evidence when the button's message is replaced). Pure.
 */
import type { Measurement, WaveAnalysisResult } from '../../domain/upgrade/analysis.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { ACTION, encodeButton } from './approval.js';
import { type Block, clip, context, cutList, esc, LIMITS, type SlackMessage, section } from './text.js';

const ICON: Record<WaveAnalysisResult['verdict'], string> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  inconclusive: ':grey_question:',
};

const SUFFIX: Record<string, string> = { '%': '%', ms: 'ms', s: 's', count: '' };
const fmt = (v: number | null, unit: string) =>
  v === null
    ? '–'
    : `${Math.abs(v) >= 100 || (unit === 'count' && v % 1 === 0) ? v.toFixed(0) : v.toFixed(1)}${SUFFIX[unit] ?? ''}`;
const MARK: Record<Measurement['verdict'], string> = { pass: 'ok', fail: 'FAIL', no_data: 'no data' };

/** One line per target: `app-b  success 99.9% → 70.0% FAIL  p99 24.9ms → 24.9ms ok`. */
export function analysisRows(res: WaveAnalysisResult): string[] {
  const byTarget = new Map<string, Measurement[]>();
  for (const m of res.measurements) byTarget.set(m.target, [...(byTarget.get(m.target) ?? []), m]);
  const width = Math.min(30, Math.max(...[...byTarget.keys()].map((t) => t.length), 6));
  return [...byTarget].map(([target, ms]) => {
    const cells = ms.map(
      (m) =>
        `${m.metric.replace(/^request-/, '')} ${fmt(m.baseline, m.unit)} → ${fmt(m.value, m.unit)} ${MARK[m.verdict]}`,
    );
    return `${target.padEnd(width).slice(0, width)}  ${cells.join('  ')}`;
  });
}

/** One line for other messages (the next approval): `Wave 1 traffic analysis: passed (2 of 2 checks passed)`. */
export function verdictLine(wave: number, res: WaveAnalysisResult): string {
  return `${ICON[res.verdict]} Wave ${wave} traffic analysis: *${res.verdict}* — ${esc(clip(res.reason, 500))}`;
}

/** Said instead of the chart when it could not be read or drawn (the table is the evidence). */
export const chartMissing = (wave: number, why: string) =>
  `:warning: The chart of wave ${wave} could not be drawn: ${esc(clip(why, 600))}. The table is the whole evidence.`;

export function analysisMessage(
  r: UpgradeRecord,
  wave: number,
  res: WaveAnalysisResult,
  /** Why the chart that should follow could not be drawn. */
  noChart?: string,
): SlackMessage {
  const rows = cutList(analysisRows(res).map(esc), {
    maxChars: LIMITS.sectionText - 8,
    more: (n) => `…${n} more: /istio status ${r.id}`,
  });
  const blocks: Block[] = [
    section(`${ICON[res.verdict]} *Wave ${wave} of ${r.waves.length}: traffic analysis ${res.verdict}*`),
    section(`\`\`\`${rows.text || 'nothing measured'}\`\`\``),
    context(
      esc(clip(res.reason, 1500)),
      `\`${esc(res.spec)}\` · ${res.checks} check(s), ${res.failedChecks} failed · ${res.queries} Prometheus queries · baseline → now`,
    ),
    ...(noChart === undefined ? [] : [context(chartMissing(wave, noChart))]),
  ];
  return {
    text: clip(`${r.id}: wave ${wave} traffic analysis ${res.verdict}: ${res.reason}`, LIMITS.messageText),
    blocks,
  };
}

/** The Roll back button under an analysis carries this nonce; its message's ts is kept under
 * `analysisActionsKey(wave)` (the newest one per wave), so a click is checked against it. */
export const ANALYSIS_NONCE = 'analysis';
export const analysisActionsKey = (wave: number): string => `analysis:actions:wave:${wave}`;

/** After an analysis that did not pass and paused the upgrade: what to do, with Roll back. */
export function analysisActionsMessage(
  r: UpgradeRecord,
  wave: number,
  res: WaveAnalysisResult,
): SlackMessage {
  const text = `:double_vertical_bar: *${r.id} is paused*: wave ${wave} ${res.verdict === 'failed' ? 'failed' : 'could not be judged by'} its traffic analysis. Roll back, or \`/istio resume ${r.id}\` to analyse again.`;
  return {
    text: `${r.id} paused: wave ${wave} traffic analysis ${res.verdict}`,
    blocks: [
      section(text),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.rollback,
            style: 'danger',
            text: { type: 'plain_text', text: 'Roll back' },
            value: encodeButton({ id: r.id, wave, nonce: ANALYSIS_NONCE }),
            confirm: {
              title: { type: 'plain_text', text: `Roll back ${r.id}?` },
              text: {
                type: 'mrkdwn',
                text: clip(
                  `Undo every wave done so far and move the gateways back to \`${r.from.revision}\`.`,
                  300,
                ),
              },
              confirm: { type: 'plain_text', text: 'Roll back' },
              deny: { type: 'plain_text', text: 'Cancel' },
              style: 'danger',
            },
          },
        ],
      },
    ],
  };
}
