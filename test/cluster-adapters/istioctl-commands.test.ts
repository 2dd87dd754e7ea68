// istioctl argument building per version, output parsing and error mapping (pure).
import { describe, expect, it } from 'vitest';
import {
  installArgs,
  parsePrecheck,
  parseTagList,
  precheckArgs,
  proxyStatusCalls,
  tagRemoveArgs,
  tagSetArgs,
  targetArgs,
  uninstallArgs,
} from '../../src/cluster/istioctl/commands.js';
import { mapOutcome, type RunOutcome, stderrTail } from '../../src/cluster/istioctl/errors.js';
import {
  atLeast,
  compareLoose,
  parseLooseVersion,
  versionFromImage,
} from '../../src/cluster/istioctl/version.js';

describe('proxy-status flags per version', () => {
  it.each([
    ['1.12.9', ['a', 'b'], [['proxy-status']]],
    ['1.25.3', ['1-25-3', '1-26-1'], [['proxy-status']]],
    ['1.27.2', ['x'], [['proxy-status']]],
    [
      '1.28.0',
      ['1-27-2', '1-28-0'],
      [
        ['proxy-status', '--revision', '1-27-2'],
        ['proxy-status', '--revision', '1-28-0'],
      ],
    ],
    ['1.29.1', ['default'], [['proxy-status', '--revision', 'default']]],
    ['1.30.0', ['r1'], [['proxy-status', '--revision', 'r1', '-o', 'json']]],
    [
      '1.31-dev',
      ['r1', 'r2'],
      [
        ['proxy-status', '--revision', 'r1', '-o', 'json'],
        ['proxy-status', '--revision', 'r2', '-o', 'json'],
      ],
    ],
  ])('%s for %j', (version, revisions, calls) => {
    expect(proxyStatusCalls(version, revisions)).toEqual(calls);
  });
});

describe('other commands', () => {
  it.each([
    [installArgs('1-25-3'), ['install', '--set', 'revision=1-25-3', '-y']],
    [installArgs('default'), ['install', '-y']],
    [
      installArgs('1-26-1', '/etc/iop.yaml'),
      ['install', '--set', 'revision=1-26-1', '-y', '-f', '/etc/iop.yaml'],
    ],
    [uninstallArgs('1.25.3', '1-24-2'), ['uninstall', '--revision', '1-24-2', '-y']],
    [uninstallArgs('1.14.6', '1-13-9'), ['x', 'uninstall', '--revision', '1-13-9', '-y']],
    [precheckArgs('1.25.3'), ['x', 'precheck', '-o', 'json']],
    [precheckArgs('1.19.0'), ['x', 'precheck']],
    [
      tagSetArgs('prod-stable', '1-26-1'),
      ['tag', 'set', 'prod-stable', '--revision', '1-26-1', '--overwrite', '-y'],
    ],
    [tagRemoveArgs('prod-canary'), ['tag', 'remove', 'prod-canary', '-y']],
    [targetArgs({}), []],
    [
      targetArgs({ kubeconfig: '/k', context: 'prod', istioNamespace: 'istio-system' }),
      ['--kubeconfig', '/k', '--context', 'prod'],
    ],
    [targetArgs({ istioNamespace: 'mesh' }), ['--istioNamespace', 'mesh']],
  ])('%j', (got, want) => {
    expect(got).toEqual(want);
  });
});

describe('parsing', () => {
  it('tag list -o json', () => {
    expect(
      parseTagList(
        '[{"tag":"prod","revision":"1-24-2","namespaces":["a"]},{"tag":"","revision":"1-25-3","namespaces":null}]',
      ),
    ).toEqual([
      { tag: 'prod', revision: '1-24-2', namespaces: ['a'] },
      { tag: '', revision: '1-25-3', namespaces: [] },
    ]);
    expect(parseTagList('No Istio revision tag MutatingWebhookConfigurations to list\n')).toEqual([]);
    expect(parseTagList('TAG REVISION NAMESPACES')).toBeNull();
  });

  it('precheck -o json', () => {
    expect(parsePrecheck('')).toEqual([]);
    expect(
      parsePrecheck(
        '[{"code":"IST0141","level":"Error","message":"bad","origin":"Cluster","documentationUrl":"u"},{"code":"IST0002","level":"Warning","message":"w"}]',
      ),
    ).toEqual([
      { code: 'IST0141', level: 'Error', message: 'bad' },
      { code: 'IST0002', level: 'Warning', message: 'w' },
    ]);
    expect(parsePrecheck('not json')).toBeNull();
  });

  it('versions', () => {
    expect(parseLooseVersion('1.31-dev')).toEqual({ major: 1, minor: 31, patch: 0, suffix: 'dev' });
    expect(parseLooseVersion('1.25.0-beta.1')).toEqual({ major: 1, minor: 25, patch: 0, suffix: 'beta.1' });
    expect(parseLooseVersion('latest')).toBeNull();
    expect(atLeast('1.28.0', 1, 28)).toBe(true);
    expect(atLeast('1.27.9', 1, 28)).toBe(false);
    const sorted = ['1.31-dev', '1.25.3', '1.26.0-beta.1', '1.26.0'].sort((a, b) =>
      compareLoose(parseLooseVersion(a)!, parseLooseVersion(b)!),
    );
    expect(sorted).toEqual(['1.25.3', '1.26.0-beta.1', '1.26.0', '1.31-dev']);
    expect(versionFromImage('docker.io/istio/proxyv2:1.24.2-distroless')).toBe('1.24.2');
    expect(versionFromImage('localhost:5000/istio/pilot:1.31-dev')).toBe('1.31-dev');
    expect(versionFromImage('localhost:5000/istio/pilot')).toBeNull();
    expect(versionFromImage('docker.io/istio/pilot:1.25.3@sha256:abc')).toBe('1.25.3');
  });
});

describe('error mapping', () => {
  const base: RunOutcome = {
    failed: false,
    timedOut: false,
    isCanceled: false,
    isMaxBuffer: false,
    exitCode: 0,
    stdout: '',
    stderr: '',
  };
  it.each([
    ['success', base, null, ''],
    [
      'missing binary',
      { ...base, failed: true, exitCode: undefined, code: 'ENOENT' },
      'istioctl_missing',
      'cannot be run (ENOENT)',
    ],
    [
      'timeout',
      { ...base, failed: true, timedOut: true, exitCode: undefined },
      'istioctl_timeout',
      'did not finish within 60s',
    ],
    ['cancelled', { ...base, failed: true, isCanceled: true }, 'istioctl_failed', 'was cancelled'],
    [
      'exit 1 with stderr',
      {
        ...base,
        failed: true,
        exitCode: 1,
        stderr: 'Error: revision tag "prod" already exists, and --overwrite is false\n',
      },
      'istioctl_failed',
      'failed (exit 1): Error: revision tag "prod" already exists',
    ],
    [
      'killed by signal',
      { ...base, failed: true, exitCode: undefined },
      'istioctl_failed',
      'failed (killed)',
    ],
  ])('%s', (_n, outcome, code, text) => {
    const e = mapOutcome('istioctl 1.25.3 tag set', outcome as RunOutcome, 60_000);
    if (code === null) expect(e).toBeNull();
    else {
      expect(e?.code).toBe(code);
      expect(e?.message).toContain(text);
    }
  });

  it('exit 1 is an answer when the caller says so (precheck)', () => {
    expect(mapOutcome('x', { ...base, failed: true, exitCode: 1 }, 1000, [1])).toBeNull();
    expect(mapOutcome('x', { ...base, failed: true, exitCode: 2 }, 1000, [1])?.code).toBe('istioctl_failed');
  });

  it('stderr: ANSI and klog noise dropped, secrets scrubbed, tail kept', () => {
    const s = stderrTail(
      'E1122 10:00:00.123456   42 reflector.go:12] noisy\n\x1b[31mError: could not connect to https://u:hunter22@api.example\x1b[0m\n',
    );
    expect(s).toBe('Error: could not connect to https://[Redacted]@api.example');
    expect(stderrTail('x'.repeat(2000), 100)).toHaveLength(101);
  });
});
