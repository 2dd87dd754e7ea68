// Change windows and freezes (issue 15): fixed instants, several time zones, both DST changes.
import { describe, expect, it } from 'vitest';
import {
  type Calendar,
  type ChangeWindow,
  describeWindow,
  freezeAt,
  inWindow,
  mayApproveAt,
  mayStartUpgrade,
  nextOpening,
  type Weekday,
} from '../../src/domain/calendar.js';

const win = (days: Weekday[], from: string, to: string, timeZone: string): ChangeWindow => ({
  days,
  from,
  to,
  timeZone,
});
const BERLIN = win([1, 2, 3, 4], '09:00', '16:00', 'Europe/Berlin');
const NEW_YORK = win([1, 2, 3, 4, 5], '09:00', '17:00', 'America/New_York');
const KOLKATA = win([1], '09:00', '10:00', 'Asia/Kolkata');
const OVERNIGHT = win([6], '22:00', '02:00', 'UTC');
const at = (iso: string) => Date.parse(iso);

describe('inWindow: local wall-clock time in the window’s zone', () => {
  it.each([
    // Berlin, winter (CET, UTC+1) and summer (CEST, UTC+2)
    [BERLIN, '2026-12-03T08:00:00Z', true], // Thu 09:00
    [BERLIN, '2026-12-03T07:59:00Z', false], // Thu 08:59
    [BERLIN, '2026-12-03T14:59:00Z', true], // Thu 15:59
    [BERLIN, '2026-12-03T15:00:00Z', false], // Thu 16:00: the end is exclusive
    [BERLIN, '2026-12-04T10:00:00Z', false], // Fri 11:00
    [BERLIN, '2026-07-02T07:00:00Z', true], // Thu 09:00 CEST
    [BERLIN, '2026-07-02T06:59:00Z', false],
    // New York, EST (UTC−5) and EDT (UTC−4)
    [NEW_YORK, '2026-12-03T14:00:00Z', true],
    [NEW_YORK, '2026-12-03T13:59:00Z', false],
    [NEW_YORK, '2026-07-02T13:00:00Z', true],
    [NEW_YORK, '2026-07-02T12:59:00Z', false],
    // Kolkata, a half-hour offset (UTC+5:30)
    [KOLKATA, '2026-12-07T03:30:00Z', true], // Mon 09:00
    [KOLKATA, '2026-12-07T03:29:00Z', false],
    // Past midnight: Saturday 22:00 to Sunday 02:00
    [OVERNIGHT, '2026-12-05T23:00:00Z', true], // Sat 23:00
    [OVERNIGHT, '2026-12-06T01:59:00Z', true], // Sun 01:59, from Saturday's window
    [OVERNIGHT, '2026-12-06T02:00:00Z', false],
    [OVERNIGHT, '2026-12-06T22:30:00Z', false], // Sunday's own evening: not a window day
    [OVERNIGHT, '2026-12-04T23:00:00Z', false], // Friday
  ])('%j at %s: %s', (w, iso, want) => {
    expect(inWindow(w, at(iso))).toBe(want);
  });
});

describe('nextOpening: the first instant inside a window and outside every freeze', () => {
  const freeze = (from: string, to: string, reason = 'freeze'): Calendar['freezes'] => [{ from, to, reason }];
  it.each([
    ['inside a window: now', { windows: [BERLIN] }, '2026-12-03T10:00:00Z', '2026-12-03T10:00:00.000Z'],
    ['Friday → Monday 09:00 CET', { windows: [BERLIN] }, '2026-12-04T10:00:00Z', '2026-12-07T08:00:00.000Z'],
    ['Thursday 16:00 → Monday', { windows: [BERLIN] }, '2026-12-03T15:00:00Z', '2026-12-07T08:00:00.000Z'],
    // Berlin's clocks go back on Sunday 25 Oct 2026: Monday 09:00 is 08:00Z, not 07:00Z
    [
      'across the autumn DST change',
      { windows: [BERLIN] },
      '2026-10-23T12:00:00Z',
      '2026-10-26T08:00:00.000Z',
    ],
    // New York's clocks go forward on Sunday 8 Mar 2026: Monday 09:00 is 13:00Z, not 14:00Z
    [
      'across the spring DST change (New York)',
      { windows: [NEW_YORK] },
      '2026-03-06T23:00:00Z',
      '2026-03-09T13:00:00.000Z',
    ],
    // 02:30 does not exist on 29 Mar 2026 in Berlin (02:00 → 03:00): the window opens at 03:00 CEST
    [
      'a window starting in the skipped hour',
      { windows: [win([7], '02:30', '04:00', 'Europe/Berlin')] },
      '2026-03-28T12:00:00Z',
      '2026-03-29T01:00:00.000Z',
    ],
    // 02:30 happens twice on 25 Oct 2026 in Berlin: the first (CEST, 00:30Z)
    [
      'a window starting in the repeated hour',
      { windows: [win([7], '02:30', '03:00', 'Europe/Berlin')] },
      '2026-10-24T12:00:00Z',
      '2026-10-25T00:30:00.000Z',
    ],
    ['a half-hour zone', { windows: [KOLKATA] }, '2026-12-04T10:00:00Z', '2026-12-07T03:30:00.000Z'],
    [
      'a freeze over Monday and Tuesday morning: when it ends, inside the window',
      { windows: [BERLIN], freezes: freeze('2026-12-07T00:00:00+01:00', '2026-12-09T12:00:00+01:00') },
      '2026-12-04T10:00:00Z',
      '2026-12-09T11:00:00.000Z',
    ],
    [
      'a freeze ending at night: the next window after it',
      { windows: [BERLIN], freezes: freeze('2026-12-03T00:00:00Z', '2026-12-03T20:00:00Z') },
      '2026-12-03T10:00:00Z',
      '2026-12-07T08:00:00.000Z',
    ],
    [
      'no windows: the end of the freeze (touching freezes chained)',
      {
        freezes: [
          { from: '2026-12-18T18:00:00+01:00', to: '2026-12-28T00:00:00+01:00', reason: 'year end' },
          { from: '2026-12-28T00:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year end, part 2' },
        ],
      },
      '2026-12-20T12:00:00Z',
      '2027-01-04T05:00:00.000Z',
    ],
    ['no windows, no freeze: now', {}, '2026-12-20T12:00:00Z', '2026-12-20T12:00:00.000Z'],
  ])('%s', (_what, cal, now, want) => {
    const t = nextOpening(cal as Calendar, at(now));
    expect(t === null ? null : new Date(t).toISOString()).toBe(want);
  });

  it('a window on no day never opens: null', () => {
    expect(
      nextOpening({ windows: [win([], '09:00', '10:00', 'UTC')] }, at('2026-12-03T10:00:00Z')),
    ).toBeNull();
  });
});

describe('freezeAt', () => {
  const cal: Calendar = {
    freezes: [
      { from: '2026-12-18T18:00:00+01:00', to: '2026-12-24T00:00:00+01:00', reason: 'year end' },
      { from: '2026-12-20T00:00:00Z', to: '2026-12-22T00:00:00Z', reason: 'datacenter move' },
    ],
  };
  it.each([
    ['2026-12-18T16:59:59Z', null, null],
    ['2026-12-18T17:00:00Z', 'year end', '2026-12-23T23:00:00.000Z'], // from is inclusive
    ['2026-12-21T00:00:00Z', 'year end', '2026-12-23T23:00:00.000Z'], // the one ending last
    ['2026-12-23T23:00:00Z', null, null], // to is exclusive
  ])('at %s: %s until %s', (now, reason, until) => {
    const f = freezeAt(cal, at(now));
    expect(f?.freeze.reason ?? null).toBe(reason);
    expect(f ? new Date(f.until).toISOString() : null).toBe(until);
  });
});

describe('the rules: a new upgrade, an approval; a rollback is never asked', () => {
  const cal: Calendar = {
    windows: [BERLIN],
    freezes: [
      { from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year-end freeze' },
    ],
  };
  it('during a freeze a new upgrade is refused with the reason and the end; a dry run is not', () => {
    const v = mayStartUpgrade(cal, 'prod', at('2026-12-21T10:00:00Z'));
    expect(v).toMatchObject({ allowed: false, code: 'change_freeze' });
    expect(!v.allowed && v.reason).toMatch(
      /prod is in a change freeze until .*\(2027-01-04T05:00:00\.000Z\): year-end freeze/,
    );
    expect(mayStartUpgrade(cal, 'prod', at('2026-12-21T10:00:00Z'), true)).toEqual({ allowed: true });
  });

  it('outside a window a new upgrade may be planned (only its approvals wait)', () => {
    expect(mayStartUpgrade(cal, 'prod', at('2026-12-05T10:00:00Z'))).toEqual({ allowed: true });
    expect(mayStartUpgrade(undefined, 'prod', at('2026-12-05T10:00:00Z'))).toEqual({ allowed: true });
  });

  it.each([
    ['inside a window', '2026-12-03T10:00:00Z', null, null],
    [
      'outside every window',
      '2026-12-04T10:00:00Z',
      'outside_change_window',
      /prod is outside its change windows \(Mon–Thu 09:00–16:00 Europe\/Berlin\): approve from Mon,? 7 Dec 2026, 09:00 Europe\/Berlin \(2026-12-07T08:00:00\.000Z\)/,
    ],
    [
      'in a freeze',
      '2026-12-21T10:00:00Z',
      'change_freeze',
      /change freeze until .*\(2027-01-04T05:00:00\.000Z\): year-end freeze\. Nothing moves before it ends; approve from .*\(2027-01-04T08:00:00\.000Z\)/,
    ],
  ])('an approval %s', (_what, now, code, reason) => {
    const v = mayApproveAt(cal, 'prod', at(now));
    if (code === null) expect(v).toEqual({ allowed: true });
    else {
      expect(v).toMatchObject({ allowed: false, code });
      expect(!v.allowed && v.reason).toMatch(reason!);
    }
  });

  it('no calendar: always allowed', () => {
    expect(mayApproveAt(undefined, 'prod', at('2026-12-05T03:00:00Z'))).toEqual({ allowed: true });
  });
});

describe('describeWindow', () => {
  it.each([
    [[1, 2, 3, 4], 'Mon–Thu 09:00–16:00 Europe/Berlin'],
    [[1, 3, 5], 'Mon,Wed,Fri 09:00–16:00 Europe/Berlin'],
    [[6, 7], 'Sat,Sun 09:00–16:00 Europe/Berlin'],
    [[1, 2, 3, 5, 6, 7], 'Mon–Wed,Fri–Sun 09:00–16:00 Europe/Berlin'],
  ] as [Weekday[], string][])('%j → %s', (days, want) => {
    expect(describeWindow({ ...BERLIN, days })).toBe(want);
  });
});
