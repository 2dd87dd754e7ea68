// Runs the real CLI process (TypeScript sources through tsx) and checks exit codes, stdout and stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, parseProxyStatus, type Snapshot } from '../../src/domain/proxystatus/index.js';
import { tabwrite } from '../support/proxy-status-standin.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fx = (name: string) => `test/fixtures/proxy-status/${name}`;

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    input: input ?? '',
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(stdout: string) {
  return JSON.parse(stdout) as Record<string, unknown> & { proxies: Record<string, unknown>[] };
}

describe('istio-upgrade-bot ps parse', () => {
  it('prints format and proxies as JSON and exits 0', () => {
    const r = cli(['ps', 'parse', fx('table-1.13.txt')]);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual({
      format: 'table-1.13',
      proxies: [
        {
          pod: 'prometheus-8d4666f69-5qtrc',
          namespace: 'istio-system',
          workload: 'prometheus',
          cluster: null,
          istiod: 'istiod-istio-1611-575fbf664b-qd7q2',
          revision: 'istio-1611',
          version: '1.6.14-gke.0',
          xds: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'STALE' },
          synced: false,
        },
        {
          pod: 'web-0',
          namespace: 'shop',
          workload: 'web',
          cluster: 'Kubernetes',
          istiod: 'istiod-istio-1611-575fbf664b-qd7q2',
          revision: 'istio-1611',
          version: '1.13.4',
          xds: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'SYNCED' },
          synced: true,
        },
      ],
    });
  });

  it('reads stdin for "-" and when no FILE is given', () => {
    const text =
      'NAME     CDS        ISTIOD                            VERSION\nweb-0.shop     SYNCED     istiod-1-24-2-7f6fc6cfd6-s8zfg     1.24.2\n';
    for (const args of [
      ['ps', 'parse', '-'],
      ['ps', 'parse'],
    ]) {
      const r = cli(args, text);
      expect(r.code).toBe(0);
      expect(json(r.stdout).proxies[0]).toMatchObject({ workload: 'web', revision: '1-24-2', synced: true });
    }
  });

  it('--istiod names the istiod for /debug/syncz input', () => {
    const bare = json(cli(['ps', 'parse', fx('syncz.json')]).stdout);
    expect(bare.proxies[0]).toMatchObject({ istiod: null, revision: 'unknown' });
    const r = cli(['ps', 'parse', fx('syncz.json'), '--istiod', 'istiod-1-21-2-5d9f8c7b6d-k2m4n']);
    expect(r.code).toBe(0);
    expect(json(r.stdout).proxies[0]).toMatchObject({
      istiod: 'istiod-1-21-2-5d9f8c7b6d-k2m4n',
      revision: '1-21-2',
    });
  });

  it.each([
    ['table-1.7.txt', 'table-1.12'],
    ['table-1.24.txt', 'table-1.14'],
    ['table-1.27.txt', 'table-1.27'],
    ['table-1.27-verbose.txt', 'table-1.27-verbose'],
    ['json-1.30.json', 'json-1.30'],
    ['syncz.json', 'syncz'],
    ['nasty-crlf.txt', 'table-1.14'],
  ])('%s is recognised as %s', (file, format) => {
    const r = cli(['ps', 'parse', fx(file)]);
    expect(r.code).toBe(0);
    expect(json(r.stdout).format).toBe(format);
  });

  it('exits 1 on unparseable input with a message naming the file and line', () => {
    const r = cli(['ps', 'parse', fx('nasty-bad-line.txt')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nasty-bad-line\.txt: line 4: .*BAD_ROW/);
  });

  it('exits 1 on stdin that is not proxy-status output', () => {
    const r = cli(['ps', 'parse', '-'], 'Error: no running Istio pods in "istio-system"\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stdin: line 1:');
  });
});

describe('istio-upgrade-bot ps diff', () => {
  it('prints the wave diff by workload and exits 0', () => {
    const r = cli(['ps', 'diff', fx('wave-before.txt'), fx('wave-after.txt')]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(Object.keys(d)).toEqual([
      'before',
      'after',
      'moved',
      'partial',
      'unchanged',
      'added',
      'removed',
      'notSynced',
    ]);
    expect(d.before).toEqual({ '1-22-1': 9 });
    expect(d.after).toEqual({ '1-22-1': 2, '1-24-2': 7 });
    expect(d.moved.map((m: { workload: string }) => m.workload)).toEqual([
      'istio-ingressgateway',
      'cart',
      'redis',
    ]);
    expect(d.moved[1]).toEqual({
      namespace: 'shop',
      workload: 'cart',
      fromRevision: '1-22-1',
      toRevision: '1-24-2',
      fromVersion: '1.22.1',
      toVersion: '1.24.2',
    });
    expect(d.partial).toEqual([
      {
        namespace: 'shop',
        workload: 'checkout',
        fromRevisions: ['1-22-1'],
        toRevisions: ['1-22-1', '1-24-2'],
      },
    ]);
    expect(d.notSynced).toEqual([{ namespace: 'shop', pod: 'checkout-5f7b9c6d8b-m4v7z', types: ['CDS'] }]);
  });

  it('accepts one side on stdin and mixes formats (table before, json after)', () => {
    const before =
      'NAME     CDS        ISTIOD                             VERSION\ncart-6c9d8f7b5c-9hj2k.shop     SYNCED     istiod-1-29-1-5c6b8d7f9c-h2k4m     1.29.1\n';
    const r = cli(['ps', 'diff', '-', fx('json-1.30.json')], before);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.unchanged).toEqual([{ namespace: 'shop', workload: 'cart', revision: '1-29-1' }]);
    expect(d.added.map((a: { workload: string }) => a.workload)).toEqual(['ztunnel', 'checkout']);
  });

  it('--before-istiod / --after-istiod give two syncz dumps their revisions', () => {
    const r = cli([
      'ps',
      'diff',
      fx('syncz.json'),
      fx('syncz.json'),
      '--before-istiod',
      'istiod-1-21-2-5d9f8c7b6d-k2m4n',
      '--after-istiod=istiod-1-22-1-6d8f9b7c5d-q2w4x',
    ]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.before).toEqual({ '1-21-2': 3 });
    expect(d.moved).toHaveLength(3);
  });

  it('reads tables larger than its read buffer (lines cut between reads) as the parser does', () => {
    const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
    const suffix = (i: number) => [7, 5, 3, 1, 0].map((d) => SAFE[Math.floor(i / 27 ** d) % 27]).join('');
    const table = (istiod: (w: number) => string, stale: number) => {
      const rows = [['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']];
      for (let i = 0; i < 4000; i++) {
        const w = Math.floor(i / 4);
        const pod = `svc-${w % 250}-${suffix(w).padEnd(10, 'x')}-${suffix(i).slice(0, 5)}.team-${w % 40}`;
        const cds = i === stale ? 'STALE (Never Acknowledged)' : `SYNCED (${i % 90}m)`;
        rows.push([
          pod,
          'Kubernetes',
          cds,
          'SYNCED (2h)',
          'SYNCED (12s)',
          'SYNCED',
          'NOT SENT',
          istiod(w),
          '1.2x.0',
        ]);
      }
      return tabwrite(rows);
    };
    const before = table(() => 'istiod-1-22-1-6d8f9b7c5d-q2w4x', -1);
    const after = table(
      (w) => (w % 3 === 0 ? 'istiod-1-22-1-6d8f9b7c5d-q2w4x' : 'istiod-1-24-2-7f6fc6cfd6-s8zfg'),
      1234,
    );
    expect(before.length).toBeGreaterThan(2 * 262_144);
    const dir = mkdtempSync(join(tmpdir(), 'ps-diff-'));
    writeFileSync(join(dir, 'before.txt'), before);
    writeFileSync(join(dir, 'after.txt'), after);
    const r = cli(['ps', 'diff', join(dir, 'before.txt'), join(dir, 'after.txt')]);
    expect(r.stderr).toBe('');
    const snap = (t: string) => (parseProxyStatus(t) as { snapshot: Snapshot }).snapshot;
    const want = diffSnapshots(snap(before), snap(after));
    expect(want.moved.length).toBeGreaterThan(500);
    expect(want.notSynced).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual(want);
  });

  it('reads sides given as pipes (process substitution), JSON and ANSI tables included', () => {
    // a pipe can be read once: what the byte reader declines must not be read again from the path
    const tsx = `${JSON.stringify(process.execPath)} --import tsx src/cli/main.ts ps diff`;
    const piped = (a: string, b: string) =>
      spawnSync('bash', ['-c', `${tsx} <(cat ${fx(a)}) <(cat ${fx(b)})`], {
        cwd: root,
        encoding: 'utf8',
        timeout: 15_000,
      });
    for (const [a, b] of [
      ['json-1.30.json', 'wave-after.txt'],
      ['nasty-ansi.txt', 'wave-before.txt'],
      ['wave-before.txt', 'wave-after.txt'],
    ]) {
      const r = piped(a!, b!);
      expect(r.stderr, `${a} ${b}`).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(cli(['ps', 'diff', fx(a!), fx(b!)]).stdout));
    }
  });

  it('exits 1 when either side does not parse, naming that side', () => {
    const r = cli(['ps', 'diff', fx('wave-before.txt'), fx('nasty-bad-line.txt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nasty-bad-line.txt: line 4');
  });
});

describe('usage errors exit 2 with usage on stderr', () => {
  it.each([
    [['ps', 'diff', fx('wave-before.txt')]],
    [['ps', 'diff', '-', '-']],
    [['ps', 'parse', fx('table-1.7.txt'), fx('table-1.13.txt')]],
    [['ps', 'parse', '--bogus']],
    [['ps', 'parse', '--istiod']],
    [['ps', 'frobnicate']],
    [['ps']],
    [['nosuchcommand']],
    [[]],
    [['ps', 'parse', 'does-not-exist.txt']],
  ])('%j', (args) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/usage:\s+istio-upgrade-bot/);
  });

  it('--help prints usage on stdout and exits 0', () => {
    const r = cli(['ps', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ps diff BEFORE AFTER');
  });
});
