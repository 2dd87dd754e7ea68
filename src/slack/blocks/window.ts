/**
 * "Start at the next window" on an approval message (issue 15): outside the cluster's change windows,
 * next to **Approve**, a button that says when the wave (or the finish) would start — `Start at Mon 7
 * Dec 09:00 Europe/Berlin` — and carries that opening, so the engine can check it is still the next.
 * Pure.
 */
import type { types } from '@slack/bolt';
import { type Calendar, mayApproveAt, nextOpening } from '../../domain/calendar.js';
import { shortInstant, zoneOf } from '../../domain/calendar-outlook.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { type ButtonRef, encodeButton } from './approval.js';
import { clip } from './text.js';

export const START_AT_ACTION = 'approve_at_window';

/** The next opening and its zone when the cluster is closed now (outside its windows or frozen) and a
 * window opens within a week; undefined when approvals are allowed now or nothing opens. */
export interface WindowStart {
  at: number;
  zone: string;
}

export function windowStart(cal: Calendar | undefined, now: number): WindowStart | undefined {
  if (mayApproveAt(cal, '', now).allowed) return undefined;
  const at = nextOpening(cal, now);
  return at === null ? undefined : { at, zone: zoneOf(cal) };
}

export const startLabel = (s: WindowStart): string => clip(`Start at ${shortInstant(s.at, s.zone)}`, 75);

/** The button, for the approval `ref` of `r`. */
export function startButton(r: UpgradeRecord, ref: ButtonRef, s: WindowStart): types.Button {
  const what = ref.wave ? `wave ${ref.wave} of ${r.id}` : `the finish of ${r.id}`;
  const label = startLabel(s);
  return {
    type: 'button',
    action_id: START_AT_ACTION,
    text: { type: 'plain_text', text: label },
    value: encodeButton({ ...ref, startAt: Math.floor(s.at / 1000) }),
    confirm: {
      title: { type: 'plain_text', text: clip(label, 100) },
      text: {
        type: 'mrkdwn',
        text: clip(
          `Approve ${what} now, to start when the next change window opens (${shortInstant(s.at, s.zone)})? Abort or roll back cancels it.`,
          300,
        ),
      },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Not yet' },
    },
  };
}
