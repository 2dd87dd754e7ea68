// The istioctl runner with real processes (fake istioctl scripts): exit codes, stderr, timeouts,
// cancellation; the locator's layouts; the download from a local HTTP server with SHA-256 checks.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveUrl,
  extractFromTar,
  parseSha256File,
  releasePlatform,
} from '../../src/cluster/istioctl/download.js';
import { Istioctl, parseClientVersion } from '../../src/cluster/istioctl/istioctl.js';
import { IstioctlLocator } from '../../src/cluster/istioctl/locate.js';
import { runIstioctl } from '../../src/cluster/istioctl/run.js';
import { CodedError } from '../../src/errors.js';
import { waitFor } from '../support/cluster-harness.js';

const root = mkdtempSync(join(tmpdir(), 'iub-istioctl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function script(path: string, body: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A fake istioctl that records its argv and answers per subcommand. */
const FAKE = `
echo "$@" >> "$(dirname "$0")/calls.log"
case "$1 $2" in
  "version --remote=false") echo "client version: \${FAKE_VERSION:-1.25.3}" ;;
  "x precheck") echo '[{"code":"IST0141","level":"Warning","message":"old CRD"}]'; exit 1 ;;
  "tag set") echo "Error: cannot modify tag: cannot find MutatingWebhookConfiguration or Service with revision \\"$5\\"" >&2; exit 1 ;;
  "tag remove") echo "Error: cannot remove tag \\"$3\\": cannot find MutatingWebhookConfiguration for tag" >&2; exit 1 ;;
  "uninstall --revision") echo "Error: could not find target revision $3" >&2; exit 1 ;;
  "sleep "*) exec sleep 30 ;;
  *) echo "unknown: $*" >&2; exit 64 ;;
esac`;

describe('runIstioctl', () => {
  const bin = script(join(root, 'run', 'istioctl'), FAKE);

  it('returns stdout on success', async () => {
    const r = await runIstioctl(bin, ['version', '--remote=false'], {
      timeoutMs: 10_000,
      what: 'istioctl version',
    });
    expect(r.stdout.trim()).toBe('client version: 1.25.3');
    expect(r.exitCode).toBe(0);
  });

  it('maps a non-zero exit to istioctl_failed with the stderr tail', async () => {
    const e = await runIstioctl(bin, ['bogus'], { timeoutMs: 10_000, what: 'istioctl 1.25.3 bogus' }).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(CodedError);
    expect(e.code).toBe('istioctl_failed');
    expect(e.message).toBe('istioctl 1.25.3 bogus failed (exit 64): unknown: bogus');
    expect(e.details.exitCode).toBe(64);
  });

  it('times out', async () => {
    const e = await runIstioctl(bin, ['sleep', 'x'], { timeoutMs: 300, what: 'istioctl sleep' }).catch(
      (x) => x,
    );
    expect(e.code).toBe('istioctl_timeout');
  });

  it('is cancelled by the signal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const e = await runIstioctl(bin, ['sleep', 'x'], {
      timeoutMs: 20_000,
      signal: ac.signal,
      what: 'istioctl sleep',
    }).catch((x) => x);
    expect(e.code).toBe('istioctl_failed');
    expect(e.details.cancelled).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a missing binary is istioctl_missing', async () => {
    const e = await runIstioctl(join(root, 'nope'), ['version'], { timeoutMs: 1000, what: 'istioctl' }).catch(
      (x) => x,
    );
    expect(e.code).toBe('istioctl_missing');
  });
});

describe('IstioctlLocator layouts', () => {
  const dir = join(root, 'layouts');
  script(join(dir, '1.25.3', 'istioctl'), 'echo 1.25.3');
  script(join(dir, 'istioctl-1.26.1'), 'echo 1.26.1');
  script(join(dir, 'istioctl-1.31-dev', 'istioctl'), 'echo 1.31-dev');
  writeFileSync(join(dir, 'istioctl-1.27.0'), 'not executable');
  const loc = new IstioctlLocator({ dir });

  it.each([
    ['1.25.3', join(dir, '1.25.3', 'istioctl')],
    ['1.26.1', join(dir, 'istioctl-1.26.1')],
    ['1.31-dev', join(dir, 'istioctl-1.31-dev', 'istioctl')],
  ])('%s', async (v, path) => {
    expect(await loc.locate(v)).toBe(path);
  });

  it('lists the versions present, oldest first', async () => {
    expect(await loc.available()).toEqual(['1.25.3', '1.26.1', '1.31-dev']);
  });

  it('a missing version is a clear istioctl_missing naming where it looked', async () => {
    const e = await loc.locate('1.27.0').catch((x) => x);
    expect(e.code).toBe('istioctl_missing');
    expect(e.message).toContain('istioctl 1.27.0 is not installed');
    expect(e.message).toContain(join(dir, '1.27.0', 'istioctl'));
    expect(e.message).toContain('ISTIOCTL_DOWNLOAD_URL');
    expect((await loc.locate('../etc').catch((x) => x)).code).toBe('istioctl_missing');
  });
});

describe('Istioctl operations', () => {
  const dir = join(root, 'ops');
  script(join(dir, '1.25.3', 'istioctl'), FAKE);
  const ctl = new Istioctl({
    locator: new IstioctlLocator({ dir }),
    target: { kubeconfig: '/tmp/kc', context: 'prod' },
    timeoutMs: 10_000,
  });
  const calls = () =>
    readFileSync(join(dir, '1.25.3', 'calls.log'), 'utf8')
      .trim()
      .split('\n');

  it('reads the client version', async () => {
    expect(await ctl.clientVersion('1.25.3')).toBe('1.25.3');
    expect(parseClientVersion('1.31-dev\n')).toBe('1.31-dev');
  });

  it('precheck: exit 1 with JSON findings is an answer', async () => {
    expect(await ctl.precheck('1.25.3')).toEqual([{ code: 'IST0141', level: 'Warning', message: 'old CRD' }]);
    expect(calls().at(-1)).toBe('x precheck -o json --kubeconfig /tmp/kc --context prod');
  });

  it('tag set failure carries istioctl`s message', async () => {
    const e = await ctl.tagSet('1.25.3', 'prod-stable', '9-9-9').catch((x) => x);
    expect(e.code).toBe('istioctl_failed');
    expect(e.message).toContain('cannot find MutatingWebhookConfiguration or Service with revision');
    expect(calls().at(-1)).toBe(
      'tag set prod-stable --revision 9-9-9 --overwrite -y --kubeconfig /tmp/kc --context prod',
    );
  });

  it('removing a missing tag and uninstalling a missing revision are idempotent', async () => {
    await expect(ctl.tagRemove('1.25.3', 'gone')).resolves.toBeUndefined();
    await expect(ctl.uninstall('1.25.3', '1-20-0')).resolves.toBeUndefined();
  });
});

describe('download', () => {
  let server: Server;
  let base = '';
  const files = new Map<string, Buffer>();
  const hanging = new Set<ServerResponse>();
  const { os, arch } = releasePlatform();
  const cache = join(root, 'cache');

  beforeAll(async () => {
    const stage = join(root, 'stage');
    script(join(stage, 'istioctl'), 'echo 1.26.1');
    writeFileSync(join(stage, 'README'), 'x');
    const tgz = join(root, 'a.tar.gz');
    await execa('tar', ['-czf', tgz, '-C', stage, 'README', 'istioctl']);
    const archive = readFileSync(tgz);
    const sum = createHash('sha256').update(archive).digest('hex');
    const name = `istioctl-1.26.1-${os}-${arch}.tar.gz`;
    files.set(`/1.26.1/${name}`, archive);
    files.set(`/1.26.1/${name}.sha256`, Buffer.from(`${sum}  ${name}\n`));
    const bad = `istioctl-1.26.2-${os}-${arch}.tar.gz`;
    files.set(`/1.26.2/${bad}`, archive);
    files.set(`/1.26.2/${bad}.sha256`, Buffer.from(`${'0'.repeat(64)}  ${bad}\n`));
    server = createServer((req, res) => {
      if (req.url?.startsWith('/1.27.9/')) {
        hanging.add(res); // a mirror that never answers
        res.on('close', () => hanging.delete(res));
        return;
      }
      const body = files.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  it('builds the release URL', () => {
    expect(archiveUrl('https://m.example/istio/', '1.24.2', 'linux', 'amd64')).toBe(
      'https://m.example/istio/1.24.2/istioctl-1.24.2-linux-amd64.tar.gz',
    );
    expect(parseSha256File(`${'A'.repeat(64)}  x.tar.gz`)).toBe('a'.repeat(64));
    expect(parseSha256File('nope')).toBeNull();
    expect(extractFromTar(Buffer.alloc(1024), 'istioctl')).toBeNull();
  });

  it('downloads, verifies, unpacks into the cache and runs', async () => {
    const loc = new IstioctlLocator({ dir: join(root, 'empty'), cacheDir: cache, downloadUrl: base });
    const [a, b] = await Promise.all([loc.locate('1.26.1'), loc.locate('1.26.1')]);
    expect(a).toBe(join(cache, '1.26.1', 'istioctl'));
    expect(b).toBe(a);
    const r = await runIstioctl(a, [], { timeoutMs: 5_000, what: 'istioctl' });
    expect(r.stdout.trim()).toBe('1.26.1');
    // cached now: found without the server
    const offline = new IstioctlLocator({ dir: join(root, 'empty'), cacheDir: cache });
    expect(await offline.locate('1.26.1')).toBe(a);
  });

  it('refuses an archive whose checksum does not match', async () => {
    const loc = new IstioctlLocator({ dir: join(root, 'empty'), cacheDir: cache, downloadUrl: base });
    const e = await loc.locate('1.26.2').catch((x) => x);
    expect(e.code).toBe('istioctl_missing');
    expect(e.message).toContain('checksum mismatch');
    expect(await new IstioctlLocator({ dir: cache }).available()).toEqual(['1.26.1']);
  });

  it('a version the mirror does not have is a clear failure', async () => {
    const loc = new IstioctlLocator({ dir: join(root, 'empty'), cacheDir: cache, downloadUrl: base });
    const e = await loc.locate('1.99.0').catch((x) => x);
    expect(e.code).toBe('istioctl_missing');
    expect(e.message).toMatch(/answered HTTP 404/);
  });

  it('a shared download is cancelled when its last waiter is (each waiter rejects at once)', async () => {
    const loc = new IstioctlLocator({ dir: join(root, 'empty'), cacheDir: cache, downloadUrl: base });
    const a = new AbortController();
    const b = new AbortController();
    const pa = loc.locate('1.27.9', a.signal);
    const pb = loc.locate('1.27.9', b.signal);
    await waitFor('both requests at the mirror', async () => hanging.size === 2, 5_000, 20);
    a.abort(new Error('first step superseded'));
    await expect(pa).rejects.toThrow('first step superseded');
    expect(hanging.size).toBe(2); // the other waiter still wants it
    const t0 = Date.now();
    b.abort(new Error('second step superseded'));
    await expect(pb).rejects.toThrow('second step superseded');
    expect(Date.now() - t0).toBeLessThan(5_000);
    await waitFor('the download to be cancelled', async () => hanging.size === 0, 5_000, 20);
  });
});

describe('the environment istioctl gets', () => {
  it('holds neither the Slack tokens, the Redis URL nor the Prometheus credentials of the bot; the rest and the call’s own env are kept', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      SLACK_BOT_TOKEN: 'xoxb-not-for-istioctl',
      SLACK_APP_TOKEN: 'xapp-not-for-istioctl',
      REDIS_URL: 'redis://:hunter2@redis:6379',
      PROMETHEUS_BEARER_TOKEN_FILE: '/secrets/prom',
      IUB_TEST_KEPT: 'kept',
    });
    try {
      const bin = script(
        join(root, 'env', 'istioctl'),
        'env | grep -E "^(SLACK_|REDIS_|PROMETHEUS_|IUB_TEST_|KUBECONFIG=)" | sort',
      );
      const r = await runIstioctl(bin, ['version'], {
        timeoutMs: 10_000,
        what: 'istioctl version',
        env: { KUBECONFIG: '/tmp/kubeconfig' },
      });
      expect(r.stdout.trim().split('\n')).toEqual(['IUB_TEST_KEPT=kept', 'KUBECONFIG=/tmp/kubeconfig']);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
