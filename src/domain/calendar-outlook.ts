/**
 * What a cluster's calendar says about now, for people (the App Home): open (until when), closed
 * (opens when) or frozen (why, until when), and the next freeze ahead. Pure, on top of calendar.ts:
 * local times come from Intl, never from offsets computed here.
 */
import {
  type Calendar,
  describeInstant,
  type Freeze,
  freezeAt,
  inWindow,
  mayApproveAt,
  nextOpening,
} from './calendar.js';
import type { Verdict } from './policy.js';

const MINUTE = 60_000;
/** How far ahead a window's end is looked for (a week and a day covers every weekly window). */
const SEARCH_MINUTES = 8 * 24 * 60;

export type Outlook =
  /** Changes may run now; `until` is when that stops (a window's end or a freeze's start), null: not within a week. */
  | { state: 'open'; until: number | null; nextFreeze: Freeze | null }
  /** Outside every window; `opensAt` null: no window opens within a week. */
  | { state: 'closed'; opensAt: number | null; nextFreeze: Freeze | null }
  | { state: 'frozen'; freeze: Freeze; until: number; opensAt: number | null; nextFreeze: Freeze | null };

/** The first freeze that starts after t (by its start). */
export function nextFreezeAfter(cal: Calendar | undefined, t: number): Freeze | null {
  const ahead = (cal?.freezes ?? []).filter((f) => Date.parse(f.from) > t);
  ahead.sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
  return ahead[0] ?? null;
}

/** The first minute after t outside every window (t itself when outside); null when none within a week. */
function windowEnd(cal: Calendar, t: number): number | null {
  const windows = cal.windows ?? [];
  const first = Math.floor(t / MINUTE) * MINUTE + MINUTE;
  for (let i = 0; i < SEARCH_MINUTES; i++) {
    const at = first + i * MINUTE;
    if (!windows.some((w) => inWindow(w, at))) return at;
  }
  return null;
}

export function outlook(cal: Calendar | undefined, now: number): Outlook {
  const frozen = freezeAt(cal, now);
  if (frozen) {
    return {
      state: 'frozen',
      freeze: frozen.freeze,
      until: frozen.until,
      opensAt: nextOpening(cal, now),
      nextFreeze: nextFreezeAfter(cal, frozen.until - 1),
    };
  }
  const nextFreeze = nextFreezeAfter(cal, now);
  const windows = cal?.windows ?? [];
  const open = windows.length === 0 || windows.some((w) => inWindow(w, now));
  if (!open) return { state: 'closed', opensAt: nextOpening(cal, now), nextFreeze };
  const freezeStart = nextFreeze ? Date.parse(nextFreeze.from) : null;
  const end = windows.length === 0 ? null : windowEnd(cal!, now);
  const until = end === null ? freezeStart : freezeStart === null ? end : Math.min(end, freezeStart);
  return { state: 'open', until, nextFreeze };
}

/**
 * When each of `count` waves, one after the other, can start at the earliest: inside a window and
 * outside every freeze, the first at or after `from`, each next one no earlier than `gapMs` after the
 * one before it (a bake time; 0 when a person approves each). null: no opening within a week of the
 * wave before it (and for every wave after it).
 */
export function earliestStarts(
  cal: Calendar | undefined,
  from: number,
  count: number,
  gapMs = 0,
): (number | null)[] {
  const out: (number | null)[] = [];
  let at: number | null = from;
  for (let i = 0; i < count; i++) {
    at = at === null ? null : nextOpening(cal, i === 0 ? at : at + gapMs);
    out.push(at);
  }
  return out;
}

/** `Tue 1 Dec 09:00 Europe/Berlin`: short, for buttons and wave lines (local time from Intl). */
export function shortInstant(t: number, timeZone = 'UTC'): string {
  const s = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(t);
  return `${s.replace(/,/g, '')} ${timeZone}`;
}

/** The time zone a cluster's times are shown in: its first window's, else UTC. */
export const zoneOf = (cal: Calendar | undefined): string => cal?.windows?.[0]?.timeZone ?? 'UTC';

/**
 * An approval that starts a wave or the finish, at `now`: inside a window it starts now (whatever a
 * button said); outside, refused with when the next window opens — unless the person asked to start at
 * the next window (`asked`, the opening their button showed), which is then the start, provided it is
 * still the next opening (the policy may have changed since the button was drawn).
 */
export function approvalTiming(
  cal: Calendar | undefined,
  cluster: string,
  now: number,
  asked?: string,
): { verdict: Verdict; startAt?: string } {
  const open = mayApproveAt(cal, cluster, now);
  if (open.allowed || asked === undefined) return { verdict: open };
  const next = nextOpening(cal, now);
  if (next === null) return { verdict: open };
  if (Date.parse(asked) !== next)
    return {
      verdict: {
        allowed: false,
        code: 'window_changed',
        reason: `The next change window of ${cluster} opens ${describeInstant(next, zoneOf(cal))}, not at the time the button showed: nothing was approved. Use the button for the new time.`,
      },
    };
  return { verdict: { allowed: true }, startAt: new Date(next).toISOString() };
}
