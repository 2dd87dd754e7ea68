// The Helm canary path's adapter (src/cluster/helm/control-plane.ts): which helm calls each port
// method makes, in order, with which argv, and that a re-run skips what Helm already has. helm here is
// a recording runner answering from a release table (the real helm runs in
// test/e2e/scenarios-14-helm.e2e.ts).
import { describe, expect, it } from 'vitest';
import type { IstioControlPlane } from '../../src/cluster/control-plane.js';
import { canaryRelease, HelmIstio } from '../../src/cluster/helm/control-plane.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import type { HelmRunner } from '../../src/cluster/helm/run.js';
import { CodedError, ErrorCode } from '../../src/errors.js';

interface Rel {
  name: string;
  namespace: string;
  chart: string;
  history: { version: string; values: Record<string, unknown>; status: string }[];
}

const NS = 'istio-system';
const REPO = 'http://127.0.0.1:8879';
const from = { version: '1.25.3', revision: '1-25-3' };
const to = { version: '1.26.3', revision: '1-26-3' };

/** A recording helm: answers list/get values/history and applies install/upgrade/rollback/uninstall. */
function fakeHelm(releases: Rel[], version = 'v3.21.4') {
  const calls: string[][] = [];
  const valuesFiles: unknown[] = [];
  const find = (name: string, ns: string) => releases.find((r) => r.name === name && r.namespace === ns);
  const flag = (args: string[], f: string) => args[args.indexOf(f) + 1]!;
  const sets = (args: string[]) =>
    Object.fromEntries(
      args.flatMap((a, i) => (args[i - 1] === '--set' ? [a.split('=') as [string, string]] : [])),
    );
  const runner: HelmRunner = async (_bin, args) => {
    calls.push(args);
    const out = (v: unknown) => ({ stdout: JSON.stringify(v), stderr: '', exitCode: 0 });
    const [cmd, name = ''] = args;
    const ns = args.includes('--all-namespaces') ? null : flag(args, '-n');
    const last = (r: Rel) => r.history[r.history.length - 1]!;
    switch (cmd) {
      case 'version':
        return { stdout: version, stderr: '', exitCode: 0 };
      case 'list':
        return out(
          releases
            .filter((r) => ns === null || r.namespace === ns)
            .map((r) => ({
              name: r.name,
              namespace: r.namespace,
              revision: String(r.history.length),
              status: last(r).status,
              chart: `${r.chart}-${last(r).version}`,
            })),
        );
      case 'get':
        return out(find(args[2]!, ns!)?.history.at(-1)?.values ?? null);
      case 'history':
        return out(
          find(name, ns!)!.history.map((h, i) => ({
            revision: i + 1,
            status: h.status,
            chart: `x-${h.version}`,
          })),
        );
      case 'install': {
        const file = args.includes('-f') ? flag(args, '-f') : undefined;
        const { readFile } = await import('node:fs/promises');
        const fileValues = file ? JSON.parse(await readFile(file, 'utf8')) : {};
        valuesFiles.push(fileValues);
        releases.push({
          name,
          namespace: ns!,
          chart: args[2]!,
          history: [
            {
              version: flag(args, '--version'),
              values: { ...fileValues, ...sets(args) },
              status: 'deployed',
            },
          ],
        });
        return out(null);
      }
      case 'upgrade': {
        const r = find(name, ns!)!;
        r.history.push({
          version: flag(args, '--version'),
          values: { ...last(r).values, ...sets(args) },
          status: 'deployed',
        });
        return out(null);
      }
      case 'rollback': {
        const r = find(name, ns!)!;
        r.history.push({ ...r.history[Number(args[2]) - 1]! });
        return out(null);
      }
      case 'uninstall': {
        const i = releases.findIndex((r) => r.name === name && r.namespace === ns);
        if (i < 0)
          throw new CodedError(ErrorCode.HelmFailed, 'helm uninstall failed', {
            stderr: `Error: uninstall: Release not loaded: ${name}: release: not found`,
          });
        releases.splice(i, 1);
        return out(null);
      }
    }
    throw new Error(`unexpected helm ${args.join(' ')}`);
  };
  return { runner, calls, valuesFiles, releases };
}

function setup(extra: Rel[] = [], version?: string) {
  const releases: Rel[] = [
    {
      name: 'istio-base',
      namespace: NS,
      chart: 'base',
      history: [{ version: '1.25.3', values: { defaultRevision: '1-25-3' }, status: 'deployed' }],
    },
    {
      name: 'istiod',
      namespace: NS,
      chart: 'istiod',
      history: [
        {
          version: '1.25.3',
          values: {
            revision: '1-25-3',
            global: { tag: '1.25.3' },
            pilot: { resources: { requests: { cpu: '1' } } },
          },
          status: 'deployed',
        },
      ],
    },
    ...extra,
  ];
  const h = fakeHelm(releases, version);
  const istioctl: string[] = [];
  const cp = {
    precheck: async (v: string) => {
      istioctl.push(`precheck ${v}`);
      return [];
    },
    verify: async (r: string) => void istioctl.push(`verify ${r}`),
    setTag: async (t: string, r: string) => void istioctl.push(`tag set ${t} ${r}`),
    removeTag: async (t: string) => void istioctl.push(`tag remove ${t}`),
  } as unknown as IstioControlPlane;
  const helm = new Helm({
    bin: '/opt/helm',
    charts: { kind: 'repo', url: REPO },
    target: { kubeconfig: '/k', context: 'prod' },
    home: '/tmp/h',
    timeoutMs: 60_000,
    runner: h.runner,
  });
  const kubeMoves: string[] = [];
  const kube = {
    moveGateways: async (rev: string) => {
      kubeMoves.push(rev);
      return [{ kind: 'Deployment' as const, namespace: 'plain', name: 'gw' }];
    },
  };
  const ports = new HelmIstio(helm, cp, kube).forUpgrade(
    { kind: 'helm', namespace: NS, istiod: 'istiod' },
    from,
    to,
  );
  const changes = () => h.calls.filter((c) => !['list', 'get', 'history', 'version'].includes(c[0]!));
  return { ...h, ports, istioctl, changes, kubeMoves };
}

const target = ['--kubeconfig', '/k', '--kube-context', 'prod'];

describe('HelmCanary.install', () => {
  it('base upgraded first, then the canary release with the old values (revision and pinned tag dropped)', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'istio-base',
        'base',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        NS,
        '--reset-then-reuse-values',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
      [
        'install',
        'istiod-1-26-3',
        'istiod',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        NS,
        '-f',
        expect.stringMatching(/iub-helm-values-.*\/values\.json$/),
        '--set',
        'revision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
    expect(t.valuesFiles).toEqual([{ global: {}, pilot: { resources: { requests: { cpu: '1' } } } }]);
    expect(t.calls).toContainEqual(['get', 'values', 'istiod', '-n', NS, '-o', 'json', ...target]);
  });

  it('an old release that owns revision tags (revisionTags) stops before any change, saying how to free them', async () => {
    const t = setup();
    t.releases.find((r) => r.name === 'istiod')!.history[0]!.values.revisionTags = ['prod-stable'];
    await expect(t.ports.installer.install(to.version, to.revision)).rejects.toThrow(
      /the istiod release istiod in istio-system owns the revision tag\(s\) prod-stable .*Nothing was changed/,
    );
    expect(t.changes()).toEqual([]);
  });

  it('a helm older than 3.14 (no --reset-then-reuse-values) is refused before any change, naming HELM_PATH', async () => {
    const t = setup([], 'v3.12.3');
    await expect(t.ports.installer.install(to.version, to.revision)).rejects.toThrow(
      /helm v3.12.3 at \/opt\/helm is too old: the Helm canary path needs helm 3.14 or later .*HELM_PATH/,
    );
    expect(t.changes()).toEqual([]);
  });

  it('a re-run changes nothing: base at the version, the canary deployed', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    const before = t.changes().length;
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes()).toHaveLength(before);
  });

  it('a canary install cut off half-way (pending-install) is uninstalled and installed again', async () => {
    const t = setup([
      {
        name: canaryRelease('1-26-3'),
        namespace: NS,
        chart: 'istiod',
        history: [{ version: '1.26.3', values: {}, status: 'pending-install' }],
      },
    ]);
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes().map((c) => c.slice(0, 2))).toEqual([
      ['upgrade', 'istio-base'],
      ['uninstall', 'istiod-1-26-3'],
      ['install', 'istiod-1-26-3'],
    ]);
  });

  it('precheck and verify are the istioctl path’s', async () => {
    const t = setup();
    await t.ports.installer.precheck(to.version);
    await t.ports.installer.verify(to.revision);
    expect(t.istioctl).toEqual(['precheck 1.26.3', 'verify 1-26-3']);
    expect(t.calls).toEqual([]);
  });
});

describe('HelmCanary.uninstall', () => {
  it('the canary (rollback): its release uninstalled, base rolled back to its revision before the upgrade', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    await t.ports.tagger.setTag('default', to.revision); // base at 1.26.3 twice
    await t.ports.installer.uninstall(to.version, to.revision);
    expect(t.changes().slice(-2)).toEqual([
      ['uninstall', 'istiod-1-26-3', '-n', NS, '--wait', '--timeout', '60s', ...target],
      ['rollback', 'istio-base', '1', '-n', NS, '--wait', '--timeout', '60s', ...target],
    ]);
    const base = t.releases.find((r) => r.name === 'istio-base')!;
    expect(base.history.at(-1)).toMatchObject({ version: '1.25.3', values: { defaultRevision: '1-25-3' } });
    // again: nothing left to undo (the canary is gone, base is back)
    const n = t.changes().length;
    await t.ports.installer.uninstall(to.version, to.revision);
    expect(
      t
        .changes()
        .slice(n)
        .map((c) => c[0]),
    ).toEqual(['uninstall']);
  });

  it('the old revision (finish): the old istiod release uninstalled, base left at the target', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    await t.ports.installer.uninstall(from.version, from.revision);
    expect(t.changes().at(-1)).toEqual([
      'uninstall',
      'istiod',
      '-n',
      NS,
      '--wait',
      '--timeout',
      '60s',
      ...target,
    ]);
    expect(t.releases.map((r) => r.name).sort()).toEqual(['istio-base', 'istiod-1-26-3']);
  });
});

describe('HelmCanary tags and gateways', () => {
  it('default: istioctl tag set, then base defaultRevision (once); other tags: istioctl only', async () => {
    const t = setup();
    await t.ports.tagger.setTag('prod-stable', to.revision);
    expect(t.changes()).toEqual([]);
    await t.ports.tagger.setTag('default', to.revision);
    await t.ports.tagger.setTag('default', to.revision);
    expect(t.istioctl).toEqual([
      'tag set prod-stable 1-26-3',
      'tag set default 1-26-3',
      'tag set default 1-26-3',
    ]);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'istio-base',
        'base',
        '--repo',
        REPO,
        '--version',
        '1.25.3',
        '-n',
        NS,
        '--reset-then-reuse-values',
        '--set',
        'defaultRevision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
  });

  it('gateway chart releases on the old revision are upgraded in place; back, rolled back; others left alone', async () => {
    const gw = (name: string, namespace: string, revision: string): Rel => ({
      name,
      namespace,
      chart: 'gateway',
      history: [{ version: '1.25.3', values: { revision }, status: 'deployed' }],
    });
    const t = setup([gw('ingress', 'gw', '1-25-3'), gw('other-mesh', 'gw2', '1-20-0')]);
    const moved = await t.ports.gateways.moveGateways(to.revision);
    // the Helm release, then the other injected gateways by label (and the check of every gateway's pods)
    expect(moved).toEqual([
      { kind: 'Deployment', namespace: 'gw', name: 'ingress' },
      { kind: 'Deployment', namespace: 'plain', name: 'gw' },
    ]);
    expect(t.kubeMoves).toEqual(['1-26-3']);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'ingress',
        'gateway',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        'gw',
        '--reset-then-reuse-values',
        '--set',
        'revision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
    await t.ports.gateways.moveGateways(to.revision); // re-run: nothing
    expect(t.changes()).toHaveLength(1);
    const back = await t.ports.gateways.moveGateways(from.revision);
    expect(back).toEqual(moved);
    expect(t.kubeMoves).toEqual(['1-26-3', '1-26-3', '1-25-3']);
    expect(t.changes().at(-1)).toEqual([
      'rollback',
      'ingress',
      '1',
      '-n',
      'gw',
      '--wait',
      '--timeout',
      '60s',
      ...target,
    ]);
    expect(t.releases.find((r) => r.name === 'ingress')!.history.at(-1)).toMatchObject({
      version: '1.25.3',
      values: { revision: '1-25-3' },
    });
  });
});
