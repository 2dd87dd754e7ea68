// The policy's change windows and freezes per cluster, as written in POLICY_FILE / POLICY_JSON:
//   windows: [{days: "Mon-Thu", hours: "09:00-16:00", timeZone: "Europe/Berlin"}]
//   freezes: [{from: "2026-12-18T18:00:00+01:00", to: "2027-01-04T06:00:00+01:00", reason: "year-end"}]
// Every mistake says what was wrong and how to write it.
import { z } from 'zod';
import {
  type ChangeWindow,
  type Freeze,
  isTimeZone,
  minuteOfDay,
  WEEKDAYS,
  type Weekday,
} from '../domain/calendar.js';

const DASH = /\s*[-–]\s*/;

function dayOf(name: string): Weekday | null {
  const i = WEEKDAYS.findIndex((d) => d.toLowerCase() === name.trim().toLowerCase());
  return i < 0 ? null : ((i + 1) as Weekday);
}

/** `Mon-Thu`, `Mon,Wed,Fri`, `Fri-Mon` (wraps), or an array of those; null when unreadable. */
export function parseDays(v: string | string[]): Weekday[] | null {
  const parts = (Array.isArray(v) ? v : [v]).flatMap((p) => p.split(',')).map((p) => p.trim());
  const out = new Set<Weekday>();
  for (const part of parts) {
    const [a, b, extra] = part.split(DASH);
    const from = dayOf(a ?? '');
    const to = b === undefined ? from : dayOf(b);
    if (from === null || to === null || extra !== undefined) return null;
    for (let d = from; ; d = ((d % 7) + 1) as Weekday) {
      out.add(d);
      if (d === to) break;
    }
  }
  return out.size === 0 ? null : [...out].sort();
}

export const windowSchema = z
  .object({ days: z.union([z.string(), z.array(z.string())]), hours: z.string(), timeZone: z.string() })
  .strict()
  .transform((w, ctx): ChangeWindow => {
    const days = parseDays(w.days);
    if (days === null)
      ctx.addIssue({
        code: 'custom',
        path: ['days'],
        message: `${JSON.stringify(w.days)} is not a list of days: write e.g. "Mon-Thu", "Mon,Wed,Fri" or ["Sat","Sun"]`,
      });
    const [from = '', to = '', extra] = w.hours.trim().split(DASH);
    const a = minuteOfDay(from);
    const b = minuteOfDay(to);
    if (a === null || b === null || a === 24 * 60 || extra !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['hours'],
        message: `"${w.hours}" is not HH:MM-HH:MM: write e.g. "09:00-16:00" (24-hour clock; "22:00-02:00" runs past midnight)`,
      });
    else if (a === b)
      ctx.addIssue({
        code: 'custom',
        path: ['hours'],
        message: `"${w.hours}" starts and ends at the same time: give the window a length, e.g. "09:00-16:00"`,
      });
    if (!isTimeZone(w.timeZone))
      ctx.addIssue({
        code: 'custom',
        path: ['timeZone'],
        message: `"${w.timeZone}" is not an IANA time zone: write e.g. "Europe/Berlin", "America/New_York" or "UTC"`,
      });
    return { days: days ?? [], from, to, timeZone: w.timeZone };
  });

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

const instant = z.string().refine((v) => INSTANT.test(v) && !Number.isNaN(Date.parse(v)), {
  message:
    'is not a date and time with its offset: write e.g. "2026-12-18T18:00:00+01:00" or "2026-12-18T17:00:00Z"',
});

export const freezeSchema = z
  .object({
    from: instant,
    to: instant,
    reason: z.string().trim().min(1, 'say why, e.g. "year-end freeze"').max(300),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (Date.parse(f.to) <= Date.parse(f.from))
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `"${f.to}" is not after "${f.from}": a freeze ends after it starts`,
      });
  })
  .transform((f): Freeze => f);

/** The fields a cluster's policy entry gets: both optional (no windows: any time; no freezes). */
export const calendarFields = {
  windows: z.array(windowSchema).optional(),
  freezes: z.array(freezeSchema).optional(),
};
