/** Thread replies: one per step, warnings, stops and state changes. Pure. */
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { STATE_LABEL, stepLabel } from './labels.js';
import { stoppedText } from './plan.js';
import { clip, context, esc, LIMITS, mention, type SlackMessage, section } from './text.js';

const plain = (s: string): string => s.replace(/<!date\^\d+\^[^|]+\|([^>]+)>/g, '$1');

export function stepStartedMessage(r: UpgradeRecord, step: string, wave?: number): SlackMessage {
  const text = `:arrow_forward: ${stepLabel(step, r, wave)}…`;
  return { text: plain(text), blocks: [section(text)] };
}

export function stepFinishedMessage(
  r: UpgradeRecord,
  step: string,
  wave?: number,
  detail?: string,
): SlackMessage {
  const text = `:heavy_check_mark: ${stepLabel(step, r, wave)}${detail ? `: ${esc(clip(detail, 2500))}` : ''}`;
  return { text: clip(plain(text), LIMITS.messageText), blocks: [section(text)] };
}

export function warningMessage(r: UpgradeRecord, message: string): SlackMessage {
  const text = `:warning: ${esc(clip(message, 2900))}`;
  return { text: clip(`${r.id}: ${esc(message)}`, LIMITS.messageText), blocks: [section(text)] };
}

export function stoppedMessage(r: UpgradeRecord): SlackMessage {
  const text = stoppedText(r) ?? `:x: ${r.id} stopped at ${stepLabel(r.step, r)}.`;
  return { text: clip(plain(text), LIMITS.messageText), blocks: [section(text)] };
}

export function stateChangedMessage(r: UpgradeRecord, by?: string, reason?: string): SlackMessage {
  const who = by ? ` by ${mention(by)}` : '';
  const why = reason ? `: ${esc(clip(reason, 1000))}` : '';
  const text = `${STATE_LABEL[r.state]}${who}${why}`;
  return { text: plain(`${r.id} is now ${r.state}${who}${why}`), blocks: [section(text)] };
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
