/**
 * Progressive mode in the thread (ADR 15): when a start is scheduled without a click, and when it
 * moves to a change window's opening. Pure. `HH:MM` in UTC in the fallback text, and Slack's date
 * token (each reader's own time zone) in the blocks.
 */
import { autoStartTarget } from '../../domain/upgrade/progressive.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { ACTION, encodeButton } from './approval.js';
import { clip, context, esc, LIMITS, mention, type SlackMessage, section } from './text.js';

/** `14:32 UTC` (with the date when it is not the day of `now`). */
export function hhmm(iso: string, now = Date.now()): string {
  const t = new Date(iso);
  const day = t.toISOString().slice(0, 10);
  const sameDay = day === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${day} `}${t.toISOString().slice(11, 16)} UTC`;
}

const token = (iso: string, fallback: string) =>
  `<!date^${Math.floor(Date.parse(iso) / 1000)}^{time}${fallback.length > 10 ? ' {date_short}' : ''}|${fallback}>`;

/** The scheduled start of `r.autoStart`, or null when there is none. */
export function autoStartMessage(r: UpgradeRecord, now = Date.now()): SlackMessage | null {
  const a = r.autoStart;
  if (!a) return null;
  const what = autoStartTarget(a);
  const title = what.charAt(0).toUpperCase() + what.slice(1);
  const of = a.wave ? ` of ${r.waves.length}` : '';
  const at = hhmm(a.at, now);
  const why = a.deferred ? `; it waits for the change window: ${a.deferred}` : '';
  // approved by a person to start at the next change window (issue 15), or progressive mode's own
  const how = a.approvedBy ? `approved by ${mention(a.approvedBy)}` : 'without approval';
  const plain = `${title}${of} starts at ${at} ${how} (${a.reason})${why}`;
  return {
    text: clip(`${r.id}: ${plain}`, LIMITS.messageText),
    blocks: [
      section(
        `:fast_forward: *${esc(title)}${of} starts at ${token(a.at, at)} ${how}* (${esc(a.reason)})${a.deferred ? `\n:clock3: It waits for the change window: ${esc(clip(a.deferred, 1500))}` : ''}`,
      ),
      context(
        `${a.approvedBy ? 'Start at the next change window' : `Progressive mode (${r.progressive?.source === 'command' ? '`--auto`' : 'the cluster policy'})`}: \`/istio pause ${r.id}\` stops it before then (resuming asks for an approval); Roll back or \`/istio rollback ${r.id}\` undoes the upgrade.`,
      ),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.pause,
            text: { type: 'plain_text', text: 'Pause' },
            value: encodeButton({ id: r.id, wave: a.wave ?? 0, nonce: 'auto' }),
          },
          {
            type: 'button',
            action_id: ACTION.rollback,
            style: 'danger',
            text: { type: 'plain_text', text: 'Roll back' },
            value: encodeButton({ id: r.id, wave: a.wave ?? 0, nonce: 'auto' }),
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
