// plan.ts: from/to, revisions, waves and every refusal.
import { describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../../src/domain/command/types.js';
import { type MeshView, planUpgrade } from '../../../src/domain/upgrade/plan.js';

const mesh = (over: Partial<MeshView> = {}): MeshView => ({
  controlPlanes: [{ revision: '1-23-1', version: '1.23.1', ready: true }],
  tags: [
    { tag: 'default', revision: '1-23-1' },
    { tag: 'prod-stable', revision: '1-23-1' },
  ],
  namespaces: [
    { name: 'istio-system', injection: null, rev: null },
    { name: 'plain', injection: null, rev: null },
    { name: 'off', injection: 'disabled', rev: '1-23-1' },
    { name: 'a', injection: 'enabled', rev: null },
    { name: 'b', injection: null, rev: '1-23-1' },
    { name: 'c', injection: null, rev: 'prod-stable' },
    ...['d', 'e', 'f', 'g', 'h', 'i', 'j'].map((name) => ({ name, injection: null, rev: '1-23-1' })),
  ],
  ...over,
});
const cmd = (over: Partial<UpgradeCommand> = {}): UpgradeCommand => ({
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  ...over,
});

describe('planUpgrade', () => {
  it('plans one namespace alone, then growing batches (30 %, the rest) of at most 5, alphabetically', () => {
    const p = planUpgrade(cmd(), mesh(), 'prod');
    expect(p).toMatchObject({
      ok: true,
      value: {
        from: { version: '1.23.1', revision: '1-23-1' },
        to: { version: '1.24.2', revision: '1-24-2' },
        move: 'upgrade',
        waves: [['a'], ['b', 'c', 'd'], ['e', 'f', 'g'], ['h', 'i', 'j']],
      },
    });
  });
  it('honours --waves, --revision, maxWaveSize and downgrades', () => {
    expect(planUpgrade(cmd({ waves: [['b'], ['a', 'c']] }), mesh(), 'prod')).toMatchObject({
      value: { waves: [['b'], ['a', 'c']] },
    });
    expect(planUpgrade(cmd({ revision: 'canary' }), mesh(), 'prod')).toMatchObject({
      value: { to: { revision: 'canary' } },
    });
    expect(planUpgrade(cmd(), mesh(), 'prod', { maxWaveSize: 3 })).toMatchObject({
      value: { waves: [['a'], ['b', 'c', 'd'], ['e', 'f', 'g'], ['h', 'i', 'j']] },
    });
    expect(planUpgrade(cmd({ version: '1.22.0' }), mesh(), 'prod')).toMatchObject({
      value: { move: 'downgrade', to: { revision: '1-22-0' } },
    });
  });
  it('skips namespaces already on the target, and with tags strategy records the tags', () => {
    const m = mesh();
    m.controlPlanes.push({ revision: 'x', version: '1.24.0', ready: true });
    const p = planUpgrade(cmd({ strategy: 'tags' }), mesh(), 'prod');
    expect(p).toMatchObject({ ok: true, value: { tags: { stable: 'prod-stable', canary: 'prod-canary' } } });
  });
  it.each([
    [cmd({ waves: [['ghost']] }), mesh(), 'unknown_namespace', /"ghost" does not exist in cluster prod/],
    [cmd({ waves: [['plain']] }), mesh(), 'namespace_not_injected', /"plain" is not injected/],
    [cmd({ waves: [['off']] }), mesh(), 'namespace_not_injected', /"off"/],
    [cmd({ waves: [['a'], ['b', 'a']] }), mesh(), 'invalid_waves', /"a" appears in wave 1 and wave 2/],
    [cmd({ waves: [['Bad']] }), mesh(), 'invalid_namespace', /upper-case/],
    [cmd({ version: '1.26.0' }), mesh(), 'skew_too_large', /jumps 3 minor/],
    [cmd({ version: '1.23.1' }), mesh(), 'same_version', /already runs/],
    [cmd({ version: 'latest' }), mesh(), 'invalid_version', /not an Istio version/],
    [cmd({ revision: 'Bad_Rev' }), mesh(), 'invalid_revision', /not a valid revision/],
    [cmd(), mesh({ controlPlanes: [] }), 'no_control_plane', /No istiod/],
    [
      cmd(),
      mesh({
        controlPlanes: [
          { revision: '1-24-2', version: '1.24.2', ready: true },
          { revision: '1-23-1', version: '1.23.1', ready: true },
        ],
      }),
      'revision_exists',
      /already installed/,
    ],
    [
      cmd(),
      mesh({
        tags: [],
        controlPlanes: [
          { revision: 'r1', version: '1.23.1', ready: true },
          { revision: 'r2', version: '1.23.0', ready: true },
        ],
      }),
      'ambiguous_control_plane',
      /Several control planes/,
    ],
    [cmd({ strategy: 'tags' }), mesh({ tags: [] }), 'tag_missing', /prod-stable/],
  ])('refuses %#: %s', (c, m, code, message) => {
    const p = planUpgrade(c, m, 'prod');
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.error.code).toBe(code);
      expect(p.error.message).toMatch(message);
    }
  });
});

describe('planUpgrade: maxMinorJump (operator override of the canary skew, default 2)', () => {
  const on = (version: string): MeshView =>
    mesh({
      controlPlanes: [{ revision: 'cur', version, ready: true }],
      tags: [{ tag: 'default', revision: 'cur' }],
    });
  it.each([
    // from, to, maxMinorJump, expected: a move, or a refusal code
    ['1.23.1', '1.25.0', undefined, 'upgrade'],
    ['1.23.1', '1.26.0', undefined, 'skew_too_large'],
    ['1.23.1', '1.26.0', 2, 'skew_too_large'],
    ['1.23.1', '1.26.0', 3, 'upgrade'],
    ['1.25.3', '1.31-dev', undefined, 'skew_too_large'],
    ['1.25.3', '1.31-dev', 5, 'skew_too_large'],
    ['1.25.3', '1.31-dev', 6, 'upgrade'],
    ['1.31-dev', '1.25.3', 6, 'downgrade'],
    ['1.31-dev', '1.25.3', undefined, 'skew_too_large'],
    ['1.23.1', '1.24.0', 0, 'skew_too_large'],
    ['1.23.1', '1.23.2', 0, 'upgrade'],
    ['1.23.1', '2.0.0', 99, 'major_jump'],
    ['1.23.1', '1.23.1', 99, 'same_version'],
  ] as const)('%s → %s with maxMinorJump=%s: %s', (from, to, maxMinorJump, expected) => {
    const p = planUpgrade(
      cmd({ version: to }),
      on(from),
      'prod',
      maxMinorJump === undefined ? {} : { maxMinorJump },
    );
    if (expected === 'upgrade' || expected === 'downgrade') {
      expect(p).toMatchObject({ ok: true, value: { move: expected, to: { version: to } } });
    } else {
      expect(p).toMatchObject({ ok: false, error: { code: expected } });
      if (expected === 'skew_too_large')
        expect(p.ok || p.error.message).toMatch(new RegExp(`at most ${maxMinorJump ?? 2}\\b`));
    }
  });
});

describe('planUpgrade: waves planned like a person would', () => {
  const names = (n: number, prefix = 'ns') =>
    Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  const meshOf = (
    apps: string[],
    extra: { name: string; canary?: boolean; gateway?: boolean; rev?: string }[] = [],
  ): MeshView =>
    mesh({
      namespaces: [
        { name: 'istio-system', injection: null, rev: null, gateway: true },
        ...apps.map((name) => ({ name, injection: null, rev: '1-23-1' })),
        ...extra.map(({ rev, ...n }) => ({ injection: null, rev: rev ?? '1-23-1', ...n })),
      ],
    });
  const sizes = (m: MeshView, maxWaveSize?: number) => {
    const p = planUpgrade(cmd(), m, 'prod', maxWaveSize === undefined ? {} : { maxWaveSize });
    if (!p.ok) return expect.fail(p.error.message);
    return p.value.waves.map((w) => w.length);
  };

  it.each([
    // namespaces to move, wave size, wave sizes: 1, 10 %, 30 %, the rest, each capped and even;
    // a batch that would not grow is left out
    [0, 5, []],
    [1, 5, [1]],
    [2, 5, [1, 1]],
    [3, 5, [1, 2]],
    [10, 5, [1, 3, 3, 3]],
    [10, 50, [1, 3, 6]],
    [20, 5, [1, 2, 3, 3, 4, 4, 3]],
    [100, 50, [1, 10, 30, 30, 29]],
    [300, 50, [1, 30, 45, 45, 45, 45, 45, 44]],
    [300, 1000, [1, 30, 90, 179]],
    [7, 1, [1, 1, 1, 1, 1, 1, 1]],
    [25, 50, [1, 3, 8, 13]],
  ])('%i namespaces, waves of at most %i: %j', (n, size, want) => {
    const got = sizes(meshOf(names(n)), size);
    expect(got).toEqual(want);
    expect(got.reduce((a, b) => a + b, 0)).toBe(n);
    for (const s of got) expect(s).toBeLessThanOrEqual(size);
  });

  it('canaries first (capped), then gateway namespaces in waves of their own, then growing batches; each namespace once', () => {
    const m = meshOf(names(10), [
      { name: 'zz-canary', canary: true },
      { name: 'aa-canary', canary: true },
      { name: 'mm-canary', canary: true },
      { name: 'istio-ingress', gateway: true },
      { name: 'edge', gateway: true, canary: true },
      { name: 'done', rev: '1-24-2', canary: true },
    ]);
    const p = planUpgrade(cmd(), m, 'prod', { maxWaveSize: 2 });
    if (!p.ok) return expect.fail(p.error.message);
    expect(p.value.waves).toEqual([
      ['aa-canary', 'mm-canary'],
      ['zz-canary'],
      ['edge', 'istio-ingress'],
      ['ns-000'],
      ['ns-001', 'ns-002'],
      ['ns-003'],
      ['ns-004', 'ns-005'],
      ['ns-006', 'ns-007'],
      ['ns-008', 'ns-009'],
    ]);
    expect(p.value.reasons).toHaveLength(p.value.waves.length);
    expect(p.value.reasons[0]).toEqual({
      'aa-canary': 'marked as a canary (istio-upgrade-bot.io/canary): goes first',
      'mm-canary': 'marked as a canary (istio-upgrade-bot.io/canary): goes first',
    });
    expect(p.value.reasons[2]?.edge).toMatch(/holds a gateway: in a wave of its own/);
    expect(p.value.reasons[3]).toEqual({ 'ns-000': 'first alone: a canary of the data plane' });
    expect(p.value.reasons[4]?.['ns-001']).toBe('growing batches: the next 30 % of 10 namespaces');
    expect(p.value.reasons[5]?.['ns-003']).toBe('growing batches: the next 30 % of 10 namespaces');
    expect(p.value.reasons[8]?.['ns-009']).toBe('growing batches: the rest, at most 2 a wave');
    for (const [i, w] of p.value.waves.entries()) expect(Object.keys(p.value.reasons[i]!).sort()).toEqual(w);
    const all = p.value.waves.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain('done');
    expect(all).not.toContain('istio-system');
  });

  it('the 10 % batch, when it grows, says so', () => {
    const p = planUpgrade(cmd(), meshOf(names(40)), 'prod', { maxWaveSize: 50 });
    if (!p.ok) return expect.fail(p.error.message);
    expect(p.value.waves.map((w) => w.length)).toEqual([1, 4, 12, 23]);
    expect(Object.values(p.value.reasons[1]!)).toEqual(
      Array(4).fill('growing batches: the next 10 % of 40 namespaces'),
    );
  });

  it('--waves still wins over the markers, and says so', () => {
    const m = meshOf(['a', 'b'], [{ name: 'c', canary: true }]);
    const p = planUpgrade(cmd({ waves: [['b'], ['c', 'a']] }), m, 'prod');
    expect(p).toMatchObject({
      ok: true,
      value: {
        waves: [['b'], ['c', 'a']],
        reasons: [{ b: 'named in --waves' }, { c: 'named in --waves', a: 'named in --waves' }],
      },
    });
  });

  it('a fractional or zero wave size is read as a whole number of at least 1', () => {
    expect(sizes(meshOf(names(3)), 0)).toEqual([1, 1, 1]);
    expect(sizes(meshOf(names(10)), 2.7)).toEqual([1, 2, 1, 2, 2, 2]);
  });
});
