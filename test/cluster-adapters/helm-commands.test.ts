// The helm argv the Helm canary path builds and the helm output it reads (pure, table-tested).
import { describe, expect, it } from 'vitest';
import {
  CHART_REPO_NAME,
  carriedValues,
  chartArgs,
  credentialTexts,
  getValuesArgs,
  helmSupports,
  installArgs,
  isNotFound,
  listArgs,
  parseChartSource,
  parseHistory,
  parseList,
  parseValues,
  redact,
  registryLoginArgs,
  repositoriesFile,
  repoUpdateFailed,
  revisionBefore,
  rollbackArgs,
  targetArgs,
  uninstallArgs,
  upgradeArgs,
} from '../../src/cluster/helm/commands.js';

describe('ISTIO_HELM_REPO', () => {
  it.each([
    [
      'https://blob.istio.io/istio-release/charts',
      { kind: 'repo', url: 'https://blob.istio.io/istio-release/charts' },
    ],
    [
      'https://blob.istio.io/istio-release/charts/',
      { kind: 'repo', url: 'https://blob.istio.io/istio-release/charts' },
    ],
    ['http://127.0.0.1:8879', { kind: 'repo', url: 'http://127.0.0.1:8879' }],
    ['oci://ghcr.io/istio/release/charts', { kind: 'oci', base: 'oci://ghcr.io/istio/release/charts' }],
    ['oci://ghcr.io', null],
    ['ghcr.io/istio/release/charts', null],
    ['ftp://example.com/charts', null],
  ])('%s', (text, want) => {
    expect(parseChartSource(text)).toEqual(want);
  });

  it('a chart at exactly the target version, from a repository or an OCI registry', () => {
    expect(chartArgs({ kind: 'repo', url: 'https://r.example/charts' }, 'istiod', '1.26.3')).toEqual([
      'istiod',
      '--repo',
      'https://r.example/charts',
      '--version',
      '1.26.3',
    ]);
    expect(chartArgs({ kind: 'oci', base: 'oci://ghcr.io/istio/release/charts' }, 'base', '1.26.3')).toEqual([
      'oci://ghcr.io/istio/release/charts/base',
      '--version',
      '1.26.3',
    ]);
  });
});

describe('ISTIO_HELM_REPO with credentials', () => {
  const auth = { username: 'bot', password: 'pa:ss/w@rd' };
  it.each([
    [
      'https://bot:pa%3Ass%2Fw%40rd@charts.example/istio/',
      { kind: 'repo', url: 'https://charts.example/istio', auth },
    ],
    ['http://bot:pa%3Ass%2Fw%40rd@127.0.0.1:8879', { kind: 'repo', url: 'http://127.0.0.1:8879', auth }],
    [
      'oci://bot:pa%3Ass%2Fw%40rd@registry.example/istio/charts',
      { kind: 'oci', base: 'oci://registry.example/istio/charts', auth },
    ],
    ['https://token-only@charts.example/istio', null],
    ['https://:password-only@charts.example/istio', null],
    ['https://bot:%E0%A4%A@charts.example/istio', null],
  ])('%s', (text, want) => {
    expect(parseChartSource(text)).toEqual(want);
  });

  it('a repository with credentials is named through the bot’s repositories.yaml: no URL, user or password on argv', () => {
    const src = parseChartSource('https://bot:pa%3Ass%2Fw%40rd@charts.example/istio')!;
    expect(chartArgs(src, 'istiod', '1.26.3')).toEqual([`${CHART_REPO_NAME}/istiod`, '--version', '1.26.3']);
    expect(JSON.parse(repositoriesFile(src as typeof src & { kind: 'repo' }))).toEqual({
      apiVersion: '',
      repositories: [
        {
          name: CHART_REPO_NAME,
          url: 'https://charts.example/istio',
          username: 'bot',
          password: 'pa:ss/w@rd',
          pass_credentials_all: false,
        },
      ],
    });
  });

  it('an OCI registry with credentials: the chart reference without them, the password for stdin only', () => {
    const src = parseChartSource('oci://bot:pa%3Ass%2Fw%40rd@registry.example:5000/istio/charts')!;
    expect(chartArgs(src, 'base', '1.26.3')).toEqual([
      'oci://registry.example:5000/istio/charts/base',
      '--version',
      '1.26.3',
    ]);
    const login = registryLoginArgs(src as typeof src & { kind: 'oci' });
    expect(login).toEqual([
      'registry',
      'login',
      'registry.example:5000',
      '--username',
      'bot',
      '--password-stdin',
    ]);
    expect(login.join(' ')).not.toContain('pa:ss');
  });

  it('the credentials are scrubbed in every form helm or a server may print them', () => {
    const src = parseChartSource('https://bot:pa%3Ass%2Fw%40rd@charts.example/istio')!;
    const basic = Buffer.from('bot:pa:ss/w@rd').toString('base64');
    const text = `failed pa:ss/w@rd, pa%3Ass%2Fw%40rd, bot:pa:ss/w@rd, Basic ${basic}`;
    const out = redact(text, credentialTexts(src));
    for (const s of ['pa:ss', 'pa%3Ass', basic]) expect(out).not.toContain(s);
    expect(credentialTexts(parseChartSource('https://charts.example/istio')!)).toEqual([]);
  });

  it('helm repo update: a repository it could not read (stdout, exit 0 in helm 3) is a failure', () => {
    expect(
      repoUpdateFailed(
        'Hang tight while we grab the latest from your chart repositories...\n...Unable to get an update from the "istio-upgrade-bot-charts" chart repository (http://127.0.0.1:1):\n\tfailed to fetch http://127.0.0.1:1/index.yaml : 401 Unauthorized\nUpdate Complete.',
      ),
    ).toBe(
      'Unable to get an update from the "istio-upgrade-bot-charts" chart repository (http://127.0.0.1:1):\n\tfailed to fetch http://127.0.0.1:1/index.yaml : 401 Unauthorized',
    );
    expect(repoUpdateFailed('...Successfully got an update from the "x" chart repository')).toBeNull();
  });
});

describe('argv', () => {
  const chart = ['istiod', '--repo', 'https://r', '--version', '1.26.3'];
  it.each<[string, string[], string[]]>([
    [
      'target',
      targetArgs({ kubeconfig: '/k', context: 'prod' }),
      ['--kubeconfig', '/k', '--kube-context', 'prod'],
    ],
    ['target in-cluster', targetArgs({}), []],
    [
      'list one namespace',
      listArgs('istio-system'),
      ['list', '-n', 'istio-system', '--all', '--max', '0', '-o', 'json'],
    ],
    [
      'list every namespace',
      listArgs(null),
      ['list', '--all-namespaces', '--all', '--max', '0', '-o', 'json'],
    ],
    [
      'get values',
      getValuesArgs('istiod', 'istio-system'),
      ['get', 'values', 'istiod', '-n', 'istio-system', '-o', 'json'],
    ],
    [
      'get values of a stored revision',
      getValuesArgs('ztunnel', 'istio-system', 3),
      ['get', 'values', 'ztunnel', '-n', 'istio-system', '--revision', '3', '-o', 'json'],
    ],
    [
      'upgrade with a description recorded in the history',
      upgradeArgs('ztunnel', ['ztunnel'], 'istio-system', {
        set: [['updateStrategy.type', 'OnDelete']],
        description: 'held',
        timeoutMs: 1000,
      }),
      [
        'upgrade',
        'ztunnel',
        'ztunnel',
        '-n',
        'istio-system',
        '--reset-then-reuse-values',
        '--set',
        'updateStrategy.type=OnDelete',
        '--description',
        'held',
        '--wait',
        '--timeout',
        '1s',
      ],
    ],
    [
      'install the canary with the carried values and its revision',
      installArgs('istiod-1-26-3', chart, 'istio-system', {
        valuesFile: '/tmp/v.json',
        set: [['revision', '1-26-3']],
        timeoutMs: 600_000,
      }),
      [
        'install',
        'istiod-1-26-3',
        ...chart,
        '-n',
        'istio-system',
        '-f',
        '/tmp/v.json',
        '--set',
        'revision=1-26-3',
        '--wait',
        '--timeout',
        '600s',
      ],
    ],
    [
      'upgrade keeps the release values over the new chart defaults',
      upgradeArgs('istio-base', ['base', '--repo', 'https://r', '--version', '1.26.3'], 'istio-system', {
        set: [['defaultRevision', '1-26-3']],
        timeoutMs: 1500,
      }),
      [
        'upgrade',
        'istio-base',
        'base',
        '--repo',
        'https://r',
        '--version',
        '1.26.3',
        '-n',
        'istio-system',
        '--reset-then-reuse-values',
        '--set',
        'defaultRevision=1-26-3',
        '--wait',
        '--timeout',
        '2s',
      ],
    ],
    [
      'uninstall',
      uninstallArgs('istiod', 'istio-system', 60_000),
      ['uninstall', 'istiod', '-n', 'istio-system', '--wait', '--timeout', '60s'],
    ],
    [
      'rollback',
      rollbackArgs('istio-base', 3, 'istio-system', 60_000),
      ['rollback', 'istio-base', '3', '-n', 'istio-system', '--wait', '--timeout', '60s'],
    ],
  ])('%s', (_what, got, want) => {
    expect(got).toEqual(want);
  });
});

describe('helm output', () => {
  it('list: chart name and version split at the version', () => {
    const out = JSON.stringify([
      {
        name: 'istio-base',
        namespace: 'istio-system',
        revision: '2',
        status: 'deployed',
        chart: 'base-1.25.3',
        app_version: '1.25.3',
      },
      {
        name: 'istiod-1-31-dev',
        namespace: 'istio-system',
        revision: '1',
        status: 'pending-install',
        chart: 'istiod-1.31-dev',
      },
      { name: 'ingress', namespace: 'gw', revision: '4', status: 'failed', chart: 'gateway-1.25.3' },
    ]);
    expect(parseList(out)).toEqual([
      {
        name: 'istio-base',
        namespace: 'istio-system',
        revision: 2,
        status: 'deployed',
        chart: 'base',
        chartVersion: '1.25.3',
      },
      {
        name: 'istiod-1-31-dev',
        namespace: 'istio-system',
        revision: 1,
        status: 'pending-install',
        chart: 'istiod',
        chartVersion: '1.31-dev',
      },
      {
        name: 'ingress',
        namespace: 'gw',
        revision: 4,
        status: 'failed',
        chart: 'gateway',
        chartVersion: '1.25.3',
      },
    ]);
    expect(parseList('')).toEqual([]);
    expect(parseList('[]')).toEqual([]);
    expect(parseList('Error: x')).toBeNull();
  });

  it('get values: none is an empty object; not JSON is null', () => {
    expect(parseValues('null')).toEqual({});
    expect(parseValues('{"global":{"hub":"r.example"}}')).toEqual({ global: { hub: 'r.example' } });
    expect(parseValues('USER-SUPPLIED VALUES:')).toBeNull();
  });

  it('the old release values carried to the canary: its revision and an image tag pinned to the old version dropped', () => {
    const values = {
      revision: '1-25-3',
      tag: '1.25.3',
      global: { tag: '1.25.3', hub: 'r.example' },
      pilot: { env: { A: '1' } },
    };
    expect(carriedValues(values, '1.25.3')).toEqual({
      global: { hub: 'r.example' },
      pilot: { env: { A: '1' } },
    });
    // a tag pinned to something else is the operator's choice: kept
    expect(carriedValues({ global: { tag: '1.26.3-distroless' } }, '1.25.3')).toEqual({
      global: { tag: '1.26.3-distroless' },
    });
    expect(values.revision).toBe('1-25-3'); // the input is not changed
  });

  it.each<[string, [number, string][], string, number | null]>([
    [
      'upgraded once: the revision before',
      [
        [1, '1.25.3'],
        [2, '1.26.3'],
      ],
      '1.26.3',
      1,
    ],
    [
      'upgraded, then defaultRevision set (two at the target)',
      [
        [1, '1.25.3'],
        [2, '1.25.3'],
        [3, '1.26.3'],
        [4, '1.26.3'],
      ],
      '1.26.3',
      2,
    ],
    [
      'already rolled back (the newest is not at the target)',
      [
        [1, '1.25.3'],
        [2, '1.26.3'],
        [3, '1.25.3'],
      ],
      '1.26.3',
      null,
    ],
    ['never moved', [[1, '1.25.3']], '1.26.3', null],
    ['installed at the target: nothing to go back to', [[1, '1.26.3']], '1.26.3', null],
  ])('revision to roll back to: %s', (_what, h, version, want) => {
    const history = h.map(([revision, chartVersion]) => ({ revision, status: 'superseded', chartVersion }));
    expect(revisionBefore(history, version)).toBe(want);
  });

  it('history: sorted by revision', () => {
    const out = JSON.stringify([
      { revision: 2, status: 'deployed', chart: 'base-1.26.3' },
      { revision: 1, status: 'superseded', chart: 'base-1.25.3' },
    ]);
    expect(parseHistory(out)?.map((h) => h.revision)).toEqual([1, 2]);
  });

  it('history: each revision’s description, when helm printed one', () => {
    const out = JSON.stringify([
      { revision: 1, status: 'superseded', chart: 'ztunnel-1.25.3', description: 'Install complete' },
      { revision: 2, status: 'deployed', chart: 'ztunnel-1.26.3' },
    ]);
    expect(parseHistory(out)).toEqual([
      { revision: 1, status: 'superseded', chartVersion: '1.25.3', description: 'Install complete' },
      { revision: 2, status: 'deployed', chartVersion: '1.26.3' },
    ]);
  });
});

it.each([
  ['v3.21.4', true],
  ['v3.14.0', true],
  ['v4.0.1', true],
  ['v3.13.3', false],
  ['v2.17.0', false],
  ['', false],
])('helm %s supports --reset-then-reuse-values: %s', (v, want) => {
  expect(helmSupports(v)).toBe(want);
});

describe('isNotFound', () => {
  it.each([
    ['Error: uninstall: Release not loaded: istiod-1-26-3: release: not found', true],
    ['Error: release: not found', true],
    ['Error: Kubernetes cluster unreachable: context "prod" not found', false],
    ['Error: uninstallation completed with 1 error(s): deployments.apps "istiod-1-26-3" not found', false],
    ['Error: namespaces "istio-system" not found', false],
  ])('%s → %s', (stderr, expected) => {
    expect(isNotFound(stderr)).toBe(expected);
  });
});
