// The Helm canary path's recording helm, shared by helm-canary-*.test.ts: a runner answering list, get
// values and history from a release table and applying install/upgrade/rollback/uninstall to it, and
// the HelmCanary of one upgrade (1.25.3 → 1.26.3) over it with a recording istioctl path and gateway
// mover. The real helm runs in helm-canary-downgrade.test.ts and test/e2e/scenarios-14-helm.e2e.ts.
import type { IstioControlPlane } from '../../src/cluster/control-plane.js';
import { HelmIstio } from '../../src/cluster/helm/control-plane.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import type { HelmRunner } from '../../src/cluster/helm/run.js';
import { CodedError, ErrorCode } from '../../src/errors.js';

export interface Rel {
  name: string;
  namespace: string;
  chart: string;
  history: { version: string; values: Record<string, unknown>; status: string }[];
}

export const NS = 'istio-system';
export const REPO = 'http://127.0.0.1:8879';
export const from = { version: '1.25.3', revision: '1-25-3' };
export const to = { version: '1.26.3', revision: '1-26-3' };

/** A recording helm: answers list/get values/history and applies install/upgrade/rollback/uninstall. */
export function fakeHelm(releases: Rel[], version = 'v3.21.4') {
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

/** `wrap`: a runner in front of the recording one (e.g. to make one call fail as the real helm does). */
export function setup(extra: Rel[] = [], version?: string, wrap?: (next: HelmRunner) => HelmRunner) {
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
    runner: wrap ? wrap(h.runner) : h.runner,
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

export const target = ['--kubeconfig', '/k', '--kube-context', 'prod'];
