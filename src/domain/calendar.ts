/**
 * Change windows and freezes of a cluster (issue 15). Pure: the time is passed in, and local time in
 * a window's IANA time zone comes from the platform's Intl — no offsets computed by hand, so daylight
 * saving time is whatever the time-zone database says.
 *
 * - A freeze (`from`, `to`: instants with their offset; `reason`) refuses new upgrades and approvals.
 * - Windows (days, hours, time zone) bound when an approval may start a wave or the finish. Without
 *   windows, any time outside a freeze is open. `to` at or before `from` runs past midnight.
 * - A rollback is never blocked: nothing here is asked for one.
 */
import type { Verdict } from './policy.js';

/** ISO weekday: Monday 1 … Sunday 7. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ChangeWindow {
  days: Weekday[];
  /** local `HH:MM`, inclusive. */
  from: string;
  /** local `HH:MM` (or `24:00`), exclusive; at or before `from`: the window ends the next day. */
  to: string;
  /** IANA name, e.g. `Europe/Berlin`. */
  timeZone: string;
}

export interface Freeze {
  /** ISO 8601 instants with an offset or `Z`, e.g. `2026-12-18T18:00:00+01:00`. */
  from: string;
  to: string;
  reason: string;
}

export interface Calendar {
  windows?: ChangeWindow[];
  freezes?: Freeze[];
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

const MINUTE = 60_000;
/** How far the next window is looked for: a week and a day covers every weekly window. */
const SEARCH_MINUTES = 8 * 24 * 60;

const clocks = new Map<string, Intl.DateTimeFormat>();

function clockOf(timeZone: string): Intl.DateTimeFormat {
  let f = clocks.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    clocks.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the time zone. */
export function isTimeZone(name: string): boolean {
  try {
    clockOf(name);
    return true;
  } catch {
    return false;
  }
}

/** `HH:MM` → minutes after midnight; null when it is no time of day (`24:00` is the day's end). */
export function minuteOfDay(hhmm: string): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > 24 * 60 ? null : minutes;
}

/** The weekday and minute of the day at instant t in the time zone, as a wall clock there shows. */
export function localTime(t: number, timeZone: string): { day: Weekday; minute: number } {
  let day = 1;
  let hour = 0;
  let minute = 0;
  for (const p of clockOf(timeZone).formatToParts(t)) {
    if (p.type === 'weekday') day = WEEKDAYS.indexOf(p.value as (typeof WEEKDAYS)[number]) + 1;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day: day as Weekday, minute: hour * 60 + minute };
}

export function inWindow(w: ChangeWindow, t: number): boolean {
  const { day, minute } = localTime(t, w.timeZone);
  const from = minuteOfDay(w.from) ?? 0;
  const to = minuteOfDay(w.to) ?? 0;
  if (from < to) return w.days.includes(day) && minute >= from && minute < to;
  const yesterday = (day === 1 ? 7 : day - 1) as Weekday;
  return (w.days.includes(day) && minute >= from) || (w.days.includes(yesterday) && minute < to);
}

/** `Mon–Thu 09:00–16:00 Europe/Berlin` (runs of days joined by –, others by commas). */
export function describeWindow(w: ChangeWindow): string {
  const days = [...new Set(w.days)].sort();
  const runs: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
    const a = WEEKDAYS[days[i]! - 1];
    const b = WEEKDAYS[days[j]! - 1];
    runs.push(j === i ? `${a}` : j === i + 1 ? `${a},${b}` : `${a}–${b}`);
    i = j + 1;
  }
  return `${runs.join(',')} ${w.from}–${w.to} ${w.timeZone}`;
}

/** The freeze in force at t (of several overlapping ones, the reason of the one ending last) and when
 * the freeze ends, counting freezes that overlap or touch it; null when none is. */
export function freezeAt(cal: Calendar | undefined, t: number): { freeze: Freeze; until: number } | null {
  const freezes = cal?.freezes ?? [];
  const span = (f: Freeze) => [Date.parse(f.from), Date.parse(f.to)] as const;
  let current: Freeze | null = null;
  let until = t;
  for (const f of freezes) {
    const [a, b] = span(f);
    if (a <= t && t < b && b > until) {
      current = f;
      until = b;
    }
  }
  if (current === null) return null;
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of freezes) {
      const [a, b] = span(f);
      if (a <= until && b > until) {
        until = b;
        grew = true;
      }
    }
  }
  return { freeze: current, until };
}

/** The first minute at or after t inside one of the windows (t itself when inside); null if none. */
function nextWindowStart(windows: ChangeWindow[], t: number): number | null {
  if (windows.some((w) => inWindow(w, t))) return t;
  const first = Math.ceil((t + 1) / MINUTE) * MINUTE;
  for (let i = 0; i < SEARCH_MINUTES; i++) {
    const at = first + i * MINUTE;
    if (windows.some((w) => inWindow(w, at))) return at;
  }
  return null;
}

/** The first instant at or after t that is inside a window (if there are windows) and in no freeze. */
export function nextOpening(cal: Calendar | undefined, t: number): number | null {
  const windows = cal?.windows ?? [];
  let at = t;
  for (let hops = 0; hops < 1000; hops++) {
    const frozen = freezeAt(cal, at);
    if (frozen) {
      at = frozen.until;
      continue;
    }
    if (windows.length === 0) return at;
    const next = nextWindowStart(windows, at);
    if (next === null) return null;
    if (next === at) return at;
    at = next;
  }
  return null;
}

/** `Mon, 7 Dec 2026, 09:00 Europe/Berlin (2026-12-07T08:00:00.000Z)`. */
export function describeInstant(t: number, timeZone = 'UTC'): string {
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(t);
  return `${local} ${timeZone} (${new Date(t).toISOString()})`;
}

const yes: Verdict = { allowed: true };

/** A new upgrade (not a dry run, which changes nothing) is refused during a freeze. */
export function mayStartUpgrade(
  cal: Calendar | undefined,
  cluster: string,
  now: number,
  dryRun = false,
): Verdict {
  const frozen = dryRun ? null : freezeAt(cal, now);
  if (!frozen) return yes;
  return {
    allowed: false,
    code: 'change_freeze',
    reason: `Cluster ${cluster} is in a change freeze until ${describeInstant(frozen.until, cal?.windows?.[0]?.timeZone)}: ${frozen.freeze.reason}. No new upgrade starts before it ends (a dry run may).`,
  };
}

/**
 * An approval that starts a wave or the finish is refused during a freeze and outside the windows,
 * with when it could be given.
 */
export function mayApproveAt(cal: Calendar | undefined, cluster: string, now: number): Verdict {
  const frozen = freezeAt(cal, now);
  const windows = cal?.windows ?? [];
  if (!frozen && (windows.length === 0 || windows.some((w) => inWindow(w, now)))) return yes;
  const next = nextOpening(cal, now);
  const zone = windows[0]?.timeZone ?? 'UTC';
  const when =
    next === null ? 'no window opens in the next week' : `approve from ${describeInstant(next, zone)}`;
  if (frozen) {
    return {
      allowed: false,
      code: 'change_freeze',
      reason: `Cluster ${cluster} is in a change freeze until ${describeInstant(frozen.until, zone)}: ${frozen.freeze.reason}. Nothing moves before it ends; ${when}.`,
    };
  }
  return {
    allowed: false,
    code: 'outside_change_window',
    reason: `Cluster ${cluster} is outside its change windows (${windows.map(describeWindow).join('; ')}): ${when}.`,
  };
}
