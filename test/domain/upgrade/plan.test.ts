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
  it('plans one canary namespace, then waves of at most 5, alphabetically', () => {
    const p = planUpgrade(cmd(), mesh(), 'prod');
    expect(p).toMatchObject({
      ok: true,
      value: {
        from: { version: '1.23.1', revision: '1-23-1' },
        to: { version: '1.24.2', revision: '1-24-2' },
        move: 'upgrade',
        waves: [['a'], ['b', 'c', 'd', 'e', 'f'], ['g', 'h', 'i', 'j']],
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
