// A private chart source (ISTIO_HELM_REPO=https://user:pass@…, or oci://user:pass@…): its credentials
// never reach helm's argv (readable by every local user through ps) nor any message. With a recording
// runner: which helm calls are made and what the bot's repositories.yaml holds. With the REAL helm and
// the REAL Istio charts served on loopback behind basic auth: the credentials work, helm without them
// is refused, and a wrong password is reported without the password.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_REPO_NAME, parseChartSource } from '../../src/cluster/helm/commands.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import { type HelmRunner, runHelm } from '../../src/cluster/helm/run.js';
import { helmGate, helmPath } from '../helm/helm-support.js';
import { istioVersions } from '../support/cluster-harness.js';
import {
  type ChartRepo,
  ensureIstioCharts,
  istioModuleDir,
  serveIstioCharts,
} from '../support/istio-charts.js';

const USER = 'chart-bot';
const PASSWORD = 'Pa55:w/rd@x';
const ENCODED = encodeURIComponent(PASSWORD);
const root = mkdtempSync(join(tmpdir(), 'iub-helm-creds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every argv helm got, as one string each: what `ps` would have shown. */
const leaks = (calls: string[][]) =>
  calls.filter((a) => [PASSWORD, ENCODED, USER].some((s) => a.join(' ').includes(s)));

describe('credentials with a recording helm', () => {
  function setup(source: string, answer: (args: string[]) => string = () => '') {
    const calls: string[][] = [];
    const inputs: (string | undefined)[] = [];
    const runner: HelmRunner = async (_bin, args, o) => {
      calls.push(args);
      inputs.push(o.input);
      return { stdout: args[0] === 'version' ? 'v3.21.4' : answer(args), stderr: '', exitCode: 0 };
    };
    const home = mkdtempSync(join(root, 'home-'));
    const helm = new Helm({
      bin: '/opt/helm',
      charts: parseChartSource(source)!,
      target: { kubeconfig: '/k' },
      home,
      timeoutMs: 60_000,
      runner,
    });
    return { helm, calls, inputs, home };
  }

  it('a repository: its index refreshed before each chart command, charts by the bot’s repository name, nothing secret on argv', async () => {
    const t = setup(`https://${USER}:${ENCODED}@charts.example/istio`);
    await t.helm.upgrade('istio-base', 'base', '1.26.3', 'istio-system', []);
    await t.helm.install('istiod-1-26-3', 'istiod', '1.26.3', 'istio-system', {
      set: [['revision', '1-26-3']],
    });
    expect(t.calls.map((a) => a.slice(0, 3))).toEqual([
      ['version', '--template', '{{.Version}}'],
      ['repo', 'update', CHART_REPO_NAME],
      ['upgrade', 'istio-base', `${CHART_REPO_NAME}/base`],
      ['repo', 'update', CHART_REPO_NAME],
      ['install', 'istiod-1-26-3', `${CHART_REPO_NAME}/istiod`],
    ]);
    expect(leaks(t.calls)).toEqual([]);
    expect(t.calls.flat()).not.toContain('--repo');
    const file = join(t.home, 'config', 'repositories.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.home, 'config')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8')).repositories).toEqual([
      {
        name: CHART_REPO_NAME,
        url: 'https://charts.example/istio',
        username: USER,
        password: PASSWORD,
        pass_credentials_all: false,
      },
    ]);
  });

  it('a repository helm could not read (helm 3 exits 0) stops before the chart command, without the credentials', async () => {
    const t = setup(`https://${USER}:${ENCODED}@charts.example/istio`, (args) =>
      args[0] === 'repo'
        ? `...Unable to get an update from the "${CHART_REPO_NAME}" chart repository (https://charts.example/istio):\n\tfailed to fetch https://charts.example/istio/index.yaml : 401 Unauthorized\n`
        : '',
    );
    const e = await t.helm.showValues('istiod', '1.26.3').catch((x: unknown) => x as Error);
    expect(String(e)).toMatch(
      /helm repo update failed: Unable to get an update .*401 Unauthorized \(check ISTIO_HELM_REPO and its credentials\)/s,
    );
    expect(String(e)).not.toContain(PASSWORD);
    expect(t.calls.map((a) => a[0])).toEqual(['repo']);
  });

  it('an OCI registry: one helm registry login with the password on stdin, then charts without credentials', async () => {
    const t = setup(`oci://${USER}:${ENCODED}@registry.example/istio/charts`);
    await t.helm.upgrade('istio-base', 'base', '1.26.3', 'istio-system', []);
    await t.helm.upgrade('istio-base', 'base', '1.26.3', 'istio-system', []);
    const login = t.calls.findIndex((a) => a[0] === 'registry');
    expect(t.calls[login]).toEqual([
      'registry',
      'login',
      'registry.example',
      '--username',
      USER,
      '--password-stdin',
      '--kubeconfig',
      '/k',
    ]);
    expect(t.inputs[login]).toBe(PASSWORD);
    expect(t.calls.filter((a) => a[0] === 'registry')).toHaveLength(1);
    expect(t.calls.filter((a) => a[0] === 'upgrade').map((a) => a[2])).toEqual([
      'oci://registry.example/istio/charts/base',
      'oci://registry.example/istio/charts/base',
    ]);
    // only the login names the user (helm has no --username-stdin); no call holds the password
    expect(leaks(t.calls.filter((a) => a[0] !== 'registry'))).toEqual([]);
    expect(t.calls.flat().join(' ')).not.toContain(PASSWORD);
  });

  it('a source without credentials is used as before: --repo URL, no repositories file, no refresh', async () => {
    const t = setup('https://charts.example/istio');
    await t.helm.showValues('istiod', '1.26.3');
    expect(t.calls).toEqual([
      [
        'show',
        'values',
        'istiod',
        '--repo',
        'https://charts.example/istio',
        '--version',
        '1.26.3',
        '--kubeconfig',
        '/k',
      ],
    ]);
    expect(existsSync(join(t.home, 'config', 'repositories.yaml'))).toBe(false);
  });
});

// The real helm needs no cluster here (helm show values reads the repository only); the charts are
// the test Istio versions' (packaged by the cluster build's module sources).
const [VERSION = ''] = (() => {
  try {
    return istioVersions();
  } catch {
    return [];
  }
})();
const gate = helmGate('helm with a private chart repository');
const chartsThere = (() => {
  try {
    return VERSION !== '' && existsSync(join(istioModuleDir(VERSION), 'manifests', 'charts'));
  } catch {
    return false;
  }
})();

describe.skipIf(!gate.run || !chartsThere)(
  'credentials with the real helm and a basic-auth chart repository',
  () => {
    let repo: ChartRepo;
    beforeAll(async () => {
      repo = await serveIstioCharts(await ensureIstioCharts([VERSION]), {
        auth: { username: USER, password: PASSWORD },
      });
    }, 300_000);
    afterAll(() => repo?.close());

    function realHelm(source: string) {
      const calls: string[][] = [];
      const runner: HelmRunner = (bin, args, o) => {
        calls.push(args);
        return runHelm(bin, args, o);
      };
      const helm = new Helm({
        bin: helmPath(),
        charts: parseChartSource(source)!,
        target: {},
        home: mkdtempSync(join(root, 'real-')),
        timeoutMs: 60_000,
        runner,
      });
      return { helm, calls };
    }
    const withAuth = (password: string) =>
      repo.url.replace('http://', `http://${USER}:${encodeURIComponent(password)}@`);

    it('the credentials work: the istiod chart’s values read through them, and no helm argv held them', async () => {
      const t = realHelm(withAuth(PASSWORD));
      const values = await t.helm.showValues('istiod', VERSION);
      expect(values).toMatch(/^\s+revision: ""/m);
      expect(repo.served).toEqual(expect.arrayContaining(['index.yaml', `istiod-${VERSION}.tgz`]));
      expect(leaks(t.calls)).toEqual([]);
    }, 120_000);

    it('without credentials the repository refuses helm (the auth above is real)', async () => {
      const t = realHelm(repo.url);
      const before = repo.refused.length;
      await expect(t.helm.showValues('istiod', VERSION)).rejects.toThrow(/401|Unauthorized/);
      expect(repo.refused.length).toBeGreaterThan(before);
    }, 120_000);

    it('a wrong password: refused, and the message says why without the password', async () => {
      const wrong = 'Wr0ng:pa55@word';
      const t = realHelm(withAuth(wrong));
      const e = await t.helm.showValues('istiod', VERSION).catch((x: unknown) => x as Error);
      expect(String(e)).toMatch(/helm repo update failed: .*401 Unauthorized/s);
      for (const s of [wrong, encodeURIComponent(wrong), PASSWORD]) expect(String(e)).not.toContain(s);
      expect(JSON.stringify(e)).not.toContain(wrong);
      expect(leaks(t.calls)).toEqual([]);
    }, 120_000);
  },
);
