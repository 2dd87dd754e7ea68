/** Thread replies besides the phase checklists: warnings, stops, state changes, rollback notices. Pure. */
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { STATE_LABEL, stepLabel } from './labels.js';
import { stoppedText } from './plan.js';
import { clip, context, esc, LIMITS, mention, type SlackMessage, section } from './text.js';

const plain = (s: string): string => s.replace(/<!date\^\d+\^[^|]+\|([^>]+)>/g, '$1');

export function warningMessage(r: UpgradeRecord, message: string): SlackMessage {
  const text = `:warning: ${esc(clip(message, 2900))}`;
  return { text: clip(`${r.id}: ${esc(message)}`, LIMITS.messageText), blocks: [section(text)] };
}

export function stoppedMessage(r: UpgradeRecord): SlackMessage {
  const text = stoppedText(r) ?? `:x: ${r.id} stopped at ${stepLabel(r.step, r)}.`;
  return { text: clip(plain(text), LIMITS.messageText), blocks: [section(text)] };
}

const ENDINGS: Partial<Record<UpgradeRecord['state'], (r: UpgradeRecord) => string>> = {
  done: (r) =>
    `every wave runs \`${esc(r.to.revision)}\`, the revision tags point at it and \`${esc(r.from.revision)}\` is uninstalled.`,
  rolled_back: (r) => `every wave that had moved is back on \`${esc(r.from.revision)}\`.`,
  aborted: () => 'stopped where it was; nothing was undone.',
  planned: () => 'a dry run: nothing was changed.',
};

export function stateChangedMessage(r: UpgradeRecord, by?: string, reason?: string): SlackMessage {
  const who = by ? ` by ${mention(by)}` : '';
  const why = reason ? `: ${esc(clip(reason, 1000))}` : '';
  const end = ENDINGS[r.state]?.(r);
  const verb = r.move === 'downgrade' ? 'downgrade' : 'upgrade';
  const text = end
    ? `${STATE_LABEL[r.state]}${who}: *${r.id}*, the ${verb} ${esc(r.from.version)} → ${esc(r.to.version)} on \`${esc(r.cluster)}\`: ${end}${why ? `\n${why.slice(2)}` : ''}`
    : `${STATE_LABEL[r.state]}${who}${why}`;
  return {
    text: clip(
      plain(`${r.id} is now ${r.state.replace('_', ' ')}${who}${why}${end ? `: ${end}` : ''}`),
      LIMITS.messageText,
    ),
    blocks: [section(text)],
  };
}

/** Posted in the upgrade's thread and in the incident channel when a rollback is asked for there. */
export function rollbackRequestedMessage(
  r: UpgradeRecord,
  by: string,
  reason: string,
  fromChannel: string,
): SlackMessage {
  const text = `:rewind: *Rollback of ${r.id}* (${esc(r.from.version)} ← ${esc(r.to.version)} on \`${esc(r.cluster)}\`) requested by ${mention(by)} from <#${fromChannel}>\n>${esc(clip(reason, 2000))}`;
  return {
    // The fallback text is what notifications show: escaped like the blocks (no <!channel>, no links).
    text: `Rollback of ${r.id} requested by ${by}: ${esc(clip(reason, 2000))}`,
    blocks: [section(text), context(`Follow it with \`/istio status ${r.id}\``)],
  };
}
