import { describe, expect, it } from 'vitest';
import {
  checkCanarySkew,
  classifyMove,
  compareVersions,
  formatVersion,
  type IstioVersion,
  parseVersion,
  revisionFor,
  validateLabel,
  validateRevision,
} from '../../src/domain/version.js';

const v = (s: string): IstioVersion => {
  const r = parseVersion(s);
  if (!r.ok) throw new Error(`fixture ${s} did not parse`);
  return r.value;
};

describe('parseVersion', () => {
  it.each([
    ['1.24.2', { major: 1, minor: 24, patch: 2, prerelease: null, flavor: null }],
    ['v1.24.2', { major: 1, minor: 24, patch: 2, prerelease: null, flavor: null }],
    ['1.25.0-beta.1', { major: 1, minor: 25, patch: 0, prerelease: 'beta.1', flavor: null }],
    ['1.26.0-rc.0', { major: 1, minor: 26, patch: 0, prerelease: 'rc.0', flavor: null }],
    ['1.24.2-distroless', { major: 1, minor: 24, patch: 2, prerelease: null, flavor: 'distroless' }],
    [
      '1.25.0-beta.1-distroless',
      { major: 1, minor: 25, patch: 0, prerelease: 'beta.1', flavor: 'distroless' },
    ],
    [' 1.9.0 ', { major: 1, minor: 9, patch: 0, prerelease: null, flavor: null }],
    ['1.31-dev', { major: 1, minor: 31, patch: 0, prerelease: 'dev', flavor: null, dev: true }],
  ])('%s', (input, want) => {
    expect(parseVersion(input)).toEqual({ ok: true, value: want });
  });

  it.each(['', '1.24', '1.24.x', 'latest', '1.24.2; rm -rf /', '1..2', '1.24.2-BETA', '01.2.3.4'])(
    'refuses %j with how to write it',
    (input) => {
      const r = parseVersion(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid_version');
        expect(r.error.hint).toMatch(/1\.24\.2/);
      }
    },
  );
});

describe('revisions', () => {
  it.each([
    ['1.24.2', '1-24-2'],
    ['1.25.0-beta.1', '1-25-0-beta-1'],
    ['1.24.2-distroless', '1-24-2'],
    ['1.31-dev', '1-31-dev'],
  ])('%s → %s', (input, rev) => {
    expect(revisionFor(v(input))).toBe(rev);
    expect(validateRevision(rev)).toBeNull();
  });

  it.each([
    ['1.24.2', /not a valid revision/],
    ['Canary', /not a valid revision/],
    ['-canary', /not a valid revision/],
    ['a'.repeat(64), /not a valid revision/],
    ['default', /reserved/],
    ['', /not a valid revision/],
  ])('refuses %j', (name, msg) => {
    expect(validateRevision(name)?.message).toMatch(msg);
  });

  it('accepts a 63-character revision', () => {
    expect(validateRevision('a'.repeat(63))).toBeNull();
  });
});

describe('compare and classify', () => {
  it.each([
    ['1.24.2', '1.24.3', -1],
    ['1.24.10', '1.24.9', 1],
    ['1.25.0-beta.1', '1.25.0', -1],
    ['1.25.0-alpha.3', '1.25.0-beta.1', -1],
    ['1.25.0-rc.1', '1.25.0-rc.0', 1],
    ['1.24.2-distroless', '1.24.2', 0],
    ['2.0.0', '1.99.9', 1],
    ['1.31-dev', '1.31.0-alpha.1', -1],
    ['1.31-dev', '1.30.9', 1],
  ])('%s vs %s = %d', (a, b, want) => {
    expect(compareVersions(v(a), v(b))).toBe(want);
  });

  it.each([
    ['1.24.2', '1.26.3', 'upgrade'],
    ['1.26.3', '1.24.2', 'downgrade'],
    ['1.24.2', '1.24.2-distroless', 'same'],
  ])('%s → %s is %s', (a, b, want) => {
    expect(classifyMove(v(a), v(b))).toBe(want);
  });
});

describe('checkCanarySkew', () => {
  it.each([
    ['1.24.2', '1.26.0', 'upgrade'],
    ['1.24.2', '1.24.5', 'upgrade'],
    ['1.26.0', '1.24.2', 'downgrade'],
  ])('%s → %s allowed as %s', (a, b, move) => {
    expect(checkCanarySkew(v(a), v(b))).toEqual({ ok: true, value: move });
  });

  it.each([
    ['1.20.1', '1.25.0', 'skew_too_large', /1\.20\.1 → 1\.22\.x → 1\.24\.x → 1\.25\.0/],
    ['1.22.0', '1.25.1', 'skew_too_large', /1\.22\.0 → 1\.24\.x → 1\.25\.1/],
    ['1.26.0', '1.22.0', 'skew_too_large', /1\.26\.0 → 1\.24\.x → 1\.22\.0/],
    ['1.24.2', '1.24.2', 'same_version', /status/],
    ['1.24.2', '2.0.0', 'major_jump', /one major/],
    ['1.25.3', '1.31-dev', 'skew_too_large', /1\.25\.3 → 1\.27\.x → 1\.29\.x → 1\.31-dev/],
  ])('%s → %s refused (%s) with the way there', (a, b, code, hint) => {
    const r = checkCanarySkew(v(a), v(b));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.hint).toMatch(hint);
    }
  });
});

it('a wider jump can be allowed explicitly (maxJump)', () => {
  expect(checkCanarySkew(v('1.25.3'), v('1.31-dev'), 6)).toEqual({ ok: true, value: 'upgrade' });
  expect(formatVersion(v('1.31-dev'))).toBe('1.31-dev');
});

describe('validateLabel', () => {
  it.each([
    ['payments', null],
    ['a-1', null],
    ['Payments', /upper-case/],
    ['pay;rm', /lowercase letters/],
    ['$(id)', /lowercase letters/],
    ['a'.repeat(64), /64 characters/],
    ['-x', /start and end/],
    ['', /empty/],
  ])('namespace %j', (name, want) => {
    const r = validateLabel('namespace', name);
    if (want === null) expect(r).toBeNull();
    else {
      expect(r?.message).toMatch(want);
      expect(r?.message).toContain(`"${name}"`);
    }
  });
  it('formats without flavor unless asked', () => {
    expect(formatVersion(v('1.24.2-distroless'))).toBe('1.24.2');
    expect(formatVersion(v('1.24.2-distroless'), true)).toBe('1.24.2-distroless');
  });
});
