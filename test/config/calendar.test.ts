// Change windows and freezes in the policy: how they are written, and what a mistake is told.
import { describe, expect, it } from 'vitest';
import { parseDays } from '../../src/config/calendar.js';
import { loadConfig } from '../../src/config/index.js';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'abcdefabcdef',
  CLUSTERS: 'prod=ctx-prod',
};
const withCluster = (prod: Record<string, unknown>) =>
  loadConfig({
    ...base,
    POLICY_JSON: JSON.stringify({
      requesters: ['U1'],
      approvers: ['S1'],
      clusters: { prod: { channels: ['C1'], ...prod } },
    }),
  });
const problems = (prod: Record<string, unknown>): string[] => {
  const r = withCluster(prod);
  return r.ok ? [] : r.error;
};

describe('parseDays', () => {
  it.each([
    ['Mon-Thu', [1, 2, 3, 4]],
    ['Mon–Thu', [1, 2, 3, 4]],
    ['mon - thu', [1, 2, 3, 4]],
    ['Mon,Wed,Fri', [1, 3, 5]],
    [
      ['Sat', 'Sun'],
      [6, 7],
    ],
    ['Fri-Mon', [1, 5, 6, 7]],
    ['Mon-Fri,Sun', [1, 2, 3, 4, 5, 7]],
    ['Mon-Thurs', null],
    ['Monday', null],
    ['Mon-Tue-Wed', null],
    ['', null],
    [[], null],
  ] as [string | string[], number[] | null][])('%j → %j', (v, want) => {
    expect(parseDays(v)).toEqual(want);
  });
});

describe('policy: windows and freezes per cluster', () => {
  it('reads them into the policy', () => {
    const r = withCluster({
      windows: [{ days: 'Mon-Thu', hours: '09:00-16:00', timeZone: 'Europe/Berlin' }],
      freezes: [{ from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year-end' }],
    });
    expect(r.ok && r.value.policy.clusters.prod).toEqual({
      channels: ['C1'],
      windows: [{ days: [1, 2, 3, 4], from: '09:00', to: '16:00', timeZone: 'Europe/Berlin' }],
      freezes: [{ from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year-end' }],
    });
  });

  it('both are optional', () => {
    expect(withCluster({}).ok).toBe(true);
  });

  it.each([
    [
      { windows: [{ days: 'Mon-Thurs', hours: '09:00-16:00', timeZone: 'UTC' }] },
      'windows.0.days: "Mon-Thurs" is not a list of days: write e.g. "Mon-Thu"',
    ],
    [
      { windows: [{ days: 'Mon', hours: '9-16', timeZone: 'UTC' }] },
      'windows.0.hours: "9-16" is not HH:MM-HH:MM: write e.g. "09:00-16:00"',
    ],
    [
      { windows: [{ days: 'Mon', hours: '24:00-02:00', timeZone: 'UTC' }] },
      'windows.0.hours: "24:00-02:00" is not HH:MM-HH:MM',
    ],
    [
      { windows: [{ days: 'Mon', hours: '09:00-09:00', timeZone: 'UTC' }] },
      'windows.0.hours: "09:00-09:00" starts and ends at the same time',
    ],
    [
      { windows: [{ days: 'Mon', hours: '09:00-16:00', timeZone: 'CET+1' }] },
      'windows.0.timeZone: "CET+1" is not an IANA time zone: write e.g. "Europe/Berlin"',
    ],
    [{ windows: [{ days: 'Mon', hours: '09:00-16:00' }] }, 'windows.0.timeZone: Required'],
    [
      { windows: [{ days: 'Mon', hours: '09:00-16:00', timeZone: 'UTC', tz: 'x' }] },
      "windows.0: Unrecognized key(s) in object: 'tz'",
    ],
    [
      { freezes: [{ from: '2026-12-18', to: '2027-01-04T06:00:00+01:00', reason: 'year-end' }] },
      'freezes.0.from: is not a date and time with its offset: write e.g. "2026-12-18T18:00:00+01:00"',
    ],
    [
      { freezes: [{ from: '2026-12-18T18:00:00', to: '2027-01-04T06:00:00Z', reason: 'year-end' }] },
      'freezes.0.from: is not a date and time with its offset',
    ],
    [
      { freezes: [{ from: '2027-01-04T06:00:00Z', to: '2026-12-18T18:00:00Z', reason: 'year-end' }] },
      'freezes.0.to: "2026-12-18T18:00:00Z" is not after "2027-01-04T06:00:00Z"',
    ],
    [
      { freezes: [{ from: '2026-12-18T18:00:00Z', to: '2027-01-04T06:00:00Z', reason: ' ' }] },
      'freezes.0.reason: say why, e.g. "year-end freeze"',
    ],
  ])('%j is refused: %s', (prod, message) => {
    const got = problems(prod);
    expect(
      got.some((p) => p.includes(`clusters.prod.${message}`)),
      got.join('\n'),
    ).toBe(true);
  });
});
