// What the calendar says about now (the App Home): open until, closed until, frozen — fixed clock,
// several time zones and a DST change.
import { describe, expect, it } from 'vitest';
import type { Calendar, ChangeWindow, Weekday } from '../../src/domain/calendar.js';
import { approvalTiming, earliestStarts, outlook, shortInstant } from '../../src/domain/calendar-outlook.js';

const win = (days: Weekday[], from: string, to: string, timeZone: string): ChangeWindow => ({
  days,
  from,
  to,
  timeZone,
});
const at = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const BERLIN: Calendar = { windows: [win([1, 2, 3, 4], '09:00', '16:00', 'Europe/Berlin')] };
const NEW_YORK: Calendar = { windows: [win([1, 2, 3, 4, 5], '09:00', '17:00', 'America/New_York')] };
const YEAR_END = { from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year-end' };

describe('outlook', () => {
  it.each([
    // Berlin winter: open Tue 10:00 until 16:00 local (15:00Z)
    [BERLIN, '2026-12-01T09:00:00Z', 'open', '2026-12-01T15:00:00.000Z'],
    // Berlin summer (CEST): 16:00 local is 14:00Z
    [BERLIN, '2026-07-07T08:00:00Z', 'open', '2026-07-07T14:00:00.000Z'],
    // Friday: closed, opens Monday 09:00 local
    [BERLIN, '2026-12-04T10:00:00Z', 'closed', '2026-12-07T08:00:00.000Z'],
    // the weekend of the change to summer time: Monday 09:00 is CEST already (07:00Z)
    [BERLIN, '2026-03-28T12:00:00Z', 'closed', '2026-03-30T07:00:00.000Z'],
    // New York across its own DST change (8 Mar 2026): Fri 6 Mar closes 17:00 EST = 22:00Z; Mon opens 09:00 EDT = 13:00Z
    [NEW_YORK, '2026-03-06T21:00:00Z', 'open', '2026-03-06T22:00:00.000Z'],
    [NEW_YORK, '2026-03-07T12:00:00Z', 'closed', '2026-03-09T13:00:00.000Z'],
  ])('%j at %s is %s, changing at %s', (cal, now, state, change) => {
    const o = outlook(cal as Calendar, at(now as string));
    expect(o.state).toBe(state);
    expect(iso(o.state === 'open' ? o.until : o.state === 'closed' ? o.opensAt : null)).toBe(change);
  });

  it('an open window ends early at a freeze that starts inside it, and names that freeze', () => {
    const cal: Calendar = { ...BERLIN, freezes: [{ ...YEAR_END, from: '2026-12-17T12:00:00+01:00' }] };
    const o = outlook(cal, at('2026-12-17T09:00:00Z'));
    expect(o).toMatchObject({ state: 'open', until: at('2026-12-17T11:00:00Z') });
    expect(o.nextFreeze?.reason).toBe('year-end');
  });

  it('during a freeze: its reason, its end, and the first window after it', () => {
    const o = outlook({ ...BERLIN, freezes: [YEAR_END] }, at('2026-12-20T12:00:00Z'));
    expect(o.state).toBe('frozen');
    if (o.state !== 'frozen') return;
    expect(o.freeze.reason).toBe('year-end');
    expect(iso(o.until)).toBe('2027-01-04T05:00:00.000Z');
    expect(iso(o.opensAt)).toBe('2027-01-04T08:00:00.000Z'); // Monday 09:00 Berlin
  });

  it('no windows: open with no end, or until the next freeze', () => {
    expect(outlook(undefined, at('2026-12-01T09:00:00Z'))).toEqual({
      state: 'open',
      until: null,
      nextFreeze: null,
    });
    const o = outlook({ freezes: [YEAR_END] }, at('2026-12-01T09:00:00Z'));
    expect(o).toMatchObject({ state: 'open', until: at(YEAR_END.from) });
  });
});

describe('earliestStarts', () => {
  it('one after another: each inside a window, a bake time apart, past a freeze', () => {
    const cal: Calendar = {
      ...BERLIN,
      freezes: [{ from: '2026-12-02T00:00:00Z', to: '2026-12-03T00:00:00Z', reason: 'audit' }],
    };
    // Tue 15:00 Berlin; 2 h apart: wave 2 would be at 17:00 (closed) → Wed, frozen → Thu 09:00
    const starts = earliestStarts(cal, at('2026-12-01T14:00:00Z'), 3, 2 * 3600_000);
    expect(starts.map(iso)).toEqual([
      '2026-12-01T14:00:00.000Z',
      '2026-12-03T08:00:00.000Z',
      '2026-12-03T10:00:00.000Z',
    ]);
    expect(shortInstant(starts[1]!, 'Europe/Berlin')).toBe('Thu 3 Dec 09:00 Europe/Berlin');
  });

  it('past a long freeze: the first window after it, for every wave', () => {
    const always = { freezes: [{ from: '2026-12-01T00:00:00Z', to: '2027-02-01T00:00:00Z', reason: 'x' }] };
    const cal: Calendar = { windows: [win([1], '09:00', '10:00', 'UTC')], ...always };
    expect(earliestStarts(cal, at('2026-12-01T12:00:00Z'), 2).map(iso)).toEqual([
      '2027-02-01T09:00:00.000Z',
      '2027-02-01T09:00:00.000Z',
    ]);
  });
});

describe('approvalTiming', () => {
  const fri = at('2026-12-04T10:00:00Z'); // Friday 11:00 Berlin
  const mon = '2026-12-07T08:00:00.000Z'; // Monday 09:00 Berlin
  it.each([
    [
      'inside a window: starts now, whatever the button said',
      at('2026-12-03T09:00:00Z'),
      mon,
      true,
      undefined,
    ],
    ['outside, not asked: refused with the next opening', fri, undefined, false, undefined],
    ['outside, asked for the next opening: scheduled for it', fri, mon, true, mon],
    ['outside, a button for another time: refused', fri, '2026-12-08T08:00:00.000Z', false, undefined],
  ])('%s', (_what, now, asked, allowed, startAt) => {
    const t = approvalTiming(BERLIN, 'prod', now as number, asked as string | undefined);
    expect(t.verdict.allowed).toBe(allowed);
    expect(t.startAt).toBe(startAt);
    if (!t.verdict.allowed && asked) expect(t.verdict.code).toBe('window_changed');
  });
});
