// The node agents' Helm releases (src/cluster/ambient/releases.ts): which helm calls the held upgrade,
// the hold's release and the rollback make, with which argv. helm is a recording runner answering from
// a release table (the real helm runs in test/cluster-adapters/ambient.test.ts).
import { describe, expect, it } from 'vitest';
import {
  AgentReleases,
  flatten,
  HOLD_DESCRIPTION,
  holdSets,
  holdsUpdateStrategy,
  userRevision,
} from '../../src/cluster/ambient/releases.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import type { HelmRunner } from '../../src/cluster/helm/run.js';
import type { AgentHold } from '../../src/engine/ports.js';

const NS = 'istio-system';
const from = { version: '1.25.3', revision: '1-25-3' };
const to = { version: '1.26.1', revision: '1-26-1' };

interface Rel {
  name: string;
  chart: string;
  history: { version: string; values: Record<string, unknown>; description?: string; status?: string }[];
}

function fakeHelm(releases: Rel[], chartValues: Record<string, string>) {
  const calls: string[][] = [];
  const flag = (args: string[], f: string) => args[args.indexOf(f) + 1]!;
  const out = (v: unknown) => ({
    stdout: typeof v === 'string' ? v : JSON.stringify(v),
    stderr: '',
    exitCode: 0,
  });
  const find = (n: string) => releases.find((r) => r.name === n)!;
  const runner: HelmRunner = async (_bin, args) => {
    calls.push(args);
    const last = (r: Rel) => r.history[r.history.length - 1]!;
    switch (args[0]) {
      case 'version':
        return out('v3.21.4');
      case 'show':
        return out(chartValues[`${args[2]}@${flag(args, '--version')}`] ?? '');
      case 'list':
        return out(
          releases.map((r) => ({
            name: r.name,
            namespace: NS,
            revision: String(r.history.length),
            status: 'deployed',
            chart: `${r.chart}-${last(r).version}`,
          })),
        );
      case 'get': {
        const r = find(args[2]!);
        const rev = args.includes('--revision') ? Number(flag(args, '--revision')) : r.history.length;
        return out(r.history[rev - 1]!.values);
      }
      case 'history':
        return out(
          find(args[1]!).history.map((h, i) => ({
            revision: i + 1,
            status: h.status ?? 'deployed',
            chart: `x-${h.version}`,
            description: h.description ?? 'Upgrade complete',
          })),
        );
      case 'upgrade': {
        const r = find(args[1]!);
        const values = structuredClone(last(r).values) as Record<string, unknown>;
        for (const [i, a] of args.entries()) {
          if (args[i - 1] !== '--set') continue;
          const [k, v] = a.split('=') as [string, string];
          const path = k.split('.');
          let o = values;
          for (const p of path.slice(0, -1)) {
            o[p] ??= {};
            o = o[p] as Record<string, unknown>;
          }
          if (v === 'null') {
            delete o[path.at(-1)!];
            // helm's coalesceTablesFullKey writes the null into the previous revision's values too
            let prev = last(r).values as Record<string, unknown> | undefined;
            for (const p of path.slice(0, -1))
              prev = (prev?.[p] ?? undefined) as Record<string, unknown> | undefined;
            if (prev && typeof prev === 'object') prev[path.at(-1)!] = null;
          } else o[path.at(-1)!] = v;
        }
        const description = args.includes('--description') ? flag(args, '--description') : undefined;
        r.history.push({ version: flag(args, '--version'), values, ...(description ? { description } : {}) });
        return out('');
      }
      case 'rollback': {
        const r = find(args[1]!);
        r.history.push({ ...r.history[Number(args[2]) - 1]!, description: `Rollback to ${args[2]}` });
        return out('');
      }
    }
    throw new Error(`unexpected helm ${args.join(' ')}`);
  };
  const helm = new Helm({
    bin: 'helm',
    charts: { kind: 'repo', url: 'http://repo' },
    target: {},
    home: '/tmp/x',
    timeoutMs: 60_000,
    runner,
  });
  return { helm, calls, releases };
}

const HOLDABLE = '_internal_defaults_do_not_set:\n  updateStrategy:\n    type: RollingUpdate\n';
const charts = {
  'ztunnel@1.26.1': HOLDABLE,
  'cni@1.26.1': HOLDABLE,
  'ztunnel@1.25.3': 'hub: x\n# updateStrategy.rollingUpdate in a comment\n',
};
const agents = [
  { agent: 'ztunnel' as const, release: 'ztunnel' },
  { agent: 'cni' as const, release: 'istio-cni' },
];

describe('pure parts', () => {
  it.each([
    [HOLDABLE, true],
    ['updateStrategy:\n  type: RollingUpdate\n', true],
    ['hub: x\n  # `updateStrategy.rollingUpdate.maxUnavailable` here:\n  rollingMaxUnavailable: 1\n', false],
  ])('holdsUpdateStrategy %#', (v, want) => expect(holdsUpdateStrategy(v)).toBe(want));

  it('holdSets: OnDelete, the revision re-pointed only where it named the old one, a pinned old tag set to the target, never a null', () => {
    expect(holdSets({ revision: '1-25-3', tag: '1.25.3', global: { tag: '1.25.3' } }, from, to)).toEqual([
      ['updateStrategy.type', 'OnDelete'],
      ['revision', '1-26-1'],
      ['tag', '1.26.1'],
      ['global.tag', '1.26.1'],
    ]);
    expect(holdSets({ revision: 'canary', tag: 'custom' }, from, to)).toHaveLength(1);
  });

  it.each([
    ['none held: the newest', [['deployed', 'Upgrade complete']], 1],
    [
      'the newest hold skipped',
      [
        ['superseded', 'Install complete'],
        ['deployed', HOLD_DESCRIPTION],
      ],
      1,
    ],
    [
      'a failed held upgrade skipped too (helm put its error in the description)',
      [
        ['superseded', 'Install complete'],
        ['superseded', HOLD_DESCRIPTION],
        ['failed', 'Upgrade "ztunnel" failed: context deadline exceeded'],
      ],
      1,
    ],
    [
      'the hold given back counts as the user’s',
      [
        ['superseded', 'Install complete'],
        ['superseded', HOLD_DESCRIPTION],
        ['deployed', 'Upgrade complete'],
      ],
      3,
    ],
    ['only holds: none', [['deployed', HOLD_DESCRIPTION]], null],
  ] as const)('userRevision: %s', (_w, h, want) =>
    expect(
      userRevision(
        h.map(([status, description], i) => ({ revision: i + 1, status, chartVersion: '1', description })),
      ),
    ).toBe(want),
  );

  it('flatten', () =>
    expect(
      flatten('updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }),
    ).toEqual([
      ['updateStrategy.type', 'RollingUpdate'],
      ['updateStrategy.rollingUpdate.maxUnavailable', '2'],
    ]));
});

describe('AgentReleases', () => {
  const setup = (zvalues: Record<string, unknown> = {}) =>
    fakeHelm(
      [
        { name: 'ztunnel', chart: 'ztunnel', history: [{ version: '1.25.3', values: zvalues }] },
        { name: 'istio-cni', chart: 'cni', history: [{ version: '1.25.3', values: { profile: 'ambient' } }] },
      ],
      charts,
    );

  it('holds, re-runs without a second upgrade, gives back the user strategy, rolls back', async () => {
    const user = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '2' } };
    const { helm, calls, releases } = setup({ revision: '1-25-3', updateStrategy: user });
    const r = new AgentReleases(helm);
    await r.checkHoldable(agents, to.version);
    const holds = await r.upgrade(agents, NS, from, to, undefined);
    expect(holds).toEqual([
      { ...agents[0], userStrategy: user },
      { ...agents[1], userStrategy: null },
    ]);
    const z = releases[0]!.history.at(-1)!;
    expect(z).toMatchObject({
      version: '1.26.1',
      values: { revision: '1-26-1', updateStrategy: { type: 'OnDelete', rollingUpdate: user.rollingUpdate } },
    });
    // nothing of the user's own revision was touched (helm writes a --set null into it)
    expect(releases[0]!.history[0]!.values.updateStrategy).toEqual(user);
    expect(releases[1]!.history.at(-1)!.values).toEqual({
      profile: 'ambient',
      updateStrategy: { type: 'OnDelete' },
    });

    const upgrades = () => calls.filter((c) => c[0] === 'upgrade').length;
    expect(upgrades()).toBe(2);
    expect(await r.upgrade(agents, NS, from, to, holds)).toEqual(holds); // a retried step
    expect(upgrades()).toBe(2);

    await r.releaseHold(holds, NS, to.version);
    expect(releases[0]!.history.at(-1)!.values.updateStrategy).toEqual(user);
    expect(releases[1]!.history.at(-1)!.values.updateStrategy).toBeUndefined();
    expect(
      calls
        .filter((c) => c[0] === 'upgrade')
        .slice(-2)
        .map((c) => c.slice(c.indexOf('--reset-then-reuse-values'))),
    ).toEqual([
      [
        '--reset-then-reuse-values',
        '--set',
        'updateStrategy.type=RollingUpdate',
        '--set',
        'updateStrategy.rollingUpdate.maxUnavailable=2',
        '--wait',
        '--timeout',
        '60s',
      ],
      ['--reset-then-reuse-values', '--set', 'updateStrategy=null', '--wait', '--timeout', '60s'],
    ]);
    await r.releaseHold(holds, NS, to.version); // given back already: nothing more
    expect(upgrades()).toBe(4);

    await r.rollback(agents, NS, to.version);
    expect(calls.filter((c) => c[0] === 'rollback').map((c) => c.slice(0, 3))).toEqual([
      ['rollback', 'istio-cni', '1'],
      ['rollback', 'ztunnel', '1'],
    ]);
    expect(releases.map((x) => x.history.at(-1)!.version)).toEqual(['1.25.3', '1.25.3']);
  });

  it('the user’s strategy survives a crash between the held upgrade and the save: read back from helm’s history, never the held OnDelete', async () => {
    const user = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '3' } };
    const { helm, calls } = setup({ revision: '1-25-3', updateStrategy: user });
    const r = new AgentReleases(helm);
    const want: AgentHold[] = [
      { ...agents[0]!, userStrategy: user },
      { ...agents[1]!, userStrategy: null },
    ];
    // the engine's order: read, save, then upgrade with what it saved
    const saved = await r.userStrategies(agents, NS);
    expect(saved).toEqual(want);
    expect(calls.filter((c) => c[0] === 'upgrade')).toEqual([]); // the read changed nothing
    await r.upgrade(agents, NS, from, to, undefined); // ... the worker dies before saving its answer
    const held = calls.filter((c) => c[0] === 'upgrade');
    expect(held.map((c) => c[c.indexOf('--description') + 1])).toEqual([HOLD_DESCRIPTION, HOLD_DESCRIPTION]);
    // the retried step, with nothing saved: the same holds, no second upgrade
    expect(await r.userStrategies(agents, NS)).toEqual(want);
    expect(await r.upgrade(agents, NS, from, to, undefined)).toEqual(want);
    expect(calls.filter((c) => c[0] === 'upgrade')).toHaveLength(2);
    // with prior: never re-read (a prior saying null stays null)
    const prior = want.map((h) => ({ ...h, userStrategy: null }));
    const before = calls.length;
    expect(await r.upgrade(agents, NS, from, to, prior)).toEqual(prior);
    expect(calls.slice(before).filter((c) => c[0] === 'get')).toEqual([]);
  });

  it('a target chart that cannot be held is refused before any change', async () => {
    const { helm, calls } = setup();
    await expect(new AgentReleases(helm).checkHoldable(agents.slice(0, 1), '1.25.3')).rejects.toThrow(
      /ztunnel 1\.25\.3 has no updateStrategy value: .* node waves/,
    );
    expect(calls.map((c) => c[0])).toEqual(['show']);
  });
});
