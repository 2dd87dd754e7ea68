// Running helm (src/cluster/helm/run.ts) with real processes — a stand-in helm script: no HELM_*
// variable of the bot's environment reaches it, helm's homes are the bot's own; a cancelled or timed
// out call stops its whole process group before it settles; a failure names the call and scrubs stderr.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runHelm } from '../../src/cluster/helm/run.js';
import { waitFor } from '../support/cluster-harness.js';
import { liveInGroup } from './process-support.js';

const root = mkdtempSync(join(tmpdir(), 'iub-helm-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
});

function script(name: string, body: string): string {
  const path = join(root, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('runHelm', () => {
  it('argv as given; no HELM_* from the bot’s environment; its own config, cache and data homes', async () => {
    process.env.HELM_NAMESPACE = 'elsewhere';
    process.env.HELM_KUBECONTEXT = 'other-cluster';
    process.env.HELM_DRIVER = 'memory';
    const bin = script('env-helm', 'printf "%s\\n" "$@"; echo ---; env | grep ^HELM_ | sort');
    const r = await runHelm(bin, ['list', '-n', 'istio-system', '--set', 'a=b c'], {
      timeoutMs: 10_000,
      what: 'helm list',
      home: join(root, 'home'),
    });
    const [argv, env] = r.stdout.split('---\n');
    expect(argv!.trim().split('\n')).toEqual(['list', '-n', 'istio-system', '--set', 'a=b c']);
    expect(env!.trim().split('\n')).toEqual([
      `HELM_CACHE_HOME=${root}/home/cache`,
      `HELM_CONFIG_HOME=${root}/home/config`,
      `HELM_DATA_HOME=${root}/home/data`,
      'HELM_DRIVER=secret',
      `HELM_REGISTRY_CONFIG=${root}/home/config/registry/config.json`,
      `HELM_REPOSITORY_CACHE=${root}/home/cache/repository`,
      `HELM_REPOSITORY_CONFIG=${root}/home/config/repositories.yaml`,
    ]);
  });

  it('stdin: the given input (a --password-stdin password), not on argv; none: stdin is closed', async () => {
    const bin = script('stdin-helm', 'printf "%s\\n" "$@"; echo ---; cat');
    const r = await runHelm(bin, ['registry', 'login', 'r.example', '--password-stdin'], {
      timeoutMs: 10_000,
      what: 'helm registry login',
      home: root,
      input: 'pa55word',
    });
    expect(r.stdout).toBe('registry\nlogin\nr.example\n--password-stdin\n---\npa55word');
    const none = await runHelm(bin, ['list'], { timeoutMs: 10_000, what: 'helm list', home: root });
    expect(none.stdout).toBe('list\n---');
  });

  it('the chart source’s credentials (secrets) are scrubbed from the message, in any form helm prints them', async () => {
    const bin = script(
      'fail-secret-helm',
      'echo "Error: failed to fetch https://charts.example/index.yaml as bot with pa55word (cGE1NXdvcmQ=)" >&2; exit 1',
    );
    const e = await runHelm(bin, ['show', 'values'], {
      timeoutMs: 10_000,
      what: 'helm show values istiod',
      home: root,
      secrets: ['pa55word', 'cGE1NXdvcmQ='],
    }).then(
      () => {
        throw new Error('helm did not fail');
      },
      (x: unknown) => x as Error & { details: { stderr: string } },
    );
    expect(e.message).toBe(
      'helm show values istiod failed (exit 1): Error: failed to fetch https://charts.example/index.yaml as bot with [Redacted] ([Redacted])',
    );
    expect(JSON.stringify(e.details)).not.toContain('pa55word');
  });

  it('ISTIO_HELM_REPO (it may hold credentials) does not reach helm’s environment', async () => {
    process.env.ISTIO_HELM_REPO = 'https://bot:pa55word@charts.example/istio';
    const bin = script('env-repo-helm', 'env | grep -c pa55word || true');
    const r = await runHelm(bin, ['version'], { timeoutMs: 10_000, what: 'helm version', home: root });
    expect(r.stdout.trim()).toBe('0');
  });

  it('the bot’s own credentials (Slack, Redis, Prometheus) do not reach helm’s environment', async () => {
    process.env.SLACK_BOT_TOKEN = 'xoxb-not-for-helm';
    process.env.SLACK_SIGNING_SECRET = 'not-for-helm';
    process.env.REDIS_URL = 'redis://:hunter2@redis:6379';
    process.env.PROMETHEUS_BASIC_AUTH_FILE = '/secrets/prom';
    process.env.IUB_TEST_KEPT = 'kept';
    const bin = script('env-secrets-helm', 'env | grep -E "^(SLACK_|REDIS_|PROMETHEUS_|IUB_TEST_)" | sort');
    const r = await runHelm(bin, ['version'], { timeoutMs: 10_000, what: 'helm version', home: root });
    expect(r.stdout.trim().split('\n')).toEqual(['IUB_TEST_KEPT=kept']);
  });

  it('a failure names the call, its exit code and stderr, with secrets scrubbed', async () => {
    const bin = script(
      'fail-helm',
      'echo "Error: looks like \\"https://bot:hunter2@charts.example/istio\\" is not a valid chart repository; token=abcdef123456" >&2; exit 1',
    );
    const e = await runHelm(bin, ['install', 'x'], {
      timeoutMs: 10_000,
      what: 'helm install istiod-1-26-3',
      home: root,
    }).then(
      () => {
        throw new Error('helm did not fail');
      },
      (x: unknown) => x as Error & { code: string },
    );
    expect(e.code).toBe('helm_failed');
    expect(e.message).toMatch(
      /^helm install istiod-1-26-3 failed \(exit 1\): Error: looks like "https:\/\/\[Redacted\]@charts.example\/istio" is not a valid chart repository/,
    );
    expect(e.message).not.toContain('hunter2');
    expect(e.message).not.toContain('abcdef123456');
  });

  it('a missing binary says to check HELM_PATH', async () => {
    await expect(
      runHelm(join(root, 'nope'), ['list'], { timeoutMs: 5_000, what: 'helm list', home: root }),
    ).rejects.toThrow(/helm list: the helm binary cannot be run \(ENOENT\); check HELM_PATH/);
  });

  it.each(['cancel', 'timeout'] as const)(
    '%s: the whole group (a child ignoring SIGTERM too) is gone before it settles',
    async (how) => {
      const dir = mkdtempSync(join(root, `g-${how}-`));
      const bin = script(
        `slow-helm-${how}`,
        `trap '' TERM\necho $$ > "${dir}/pgid"\n(exec sleep 60) >/dev/null 2>&1 </dev/null &\nsleep 60 &\nwait`,
      );
      const ac = new AbortController();
      const p = runHelm(bin, ['upgrade', 'istio-base'], {
        timeoutMs: how === 'timeout' ? 800 : 60_000,
        signal: ac.signal,
        what: 'helm upgrade istio-base',
        home: root,
        killGraceMs: 300,
      }).then(
        () => new Error('helm was not stopped'),
        (e: unknown) => e as Error,
      );
      await waitFor(
        'the script to start',
        async () => existsSync(join(dir, 'pgid')) && readFileSync(join(dir, 'pgid'), 'utf8').trim() !== '',
        5_000,
        20,
      );
      const pgid = Number(readFileSync(join(dir, 'pgid'), 'utf8').trim());
      if (how === 'cancel') ac.abort();
      const e = await p;
      expect(e.message).toMatch(
        how === 'cancel' ? /was cancelled/ : /did not finish within 1s .* and was stopped/,
      );
      expect(await liveInGroup(pgid)).toEqual([]);
    },
  );

  it('an already aborted signal starts nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const marker = join(root, 'started');
    const bin = script('marker-helm', `touch "${marker}"`);
    await expect(
      runHelm(bin, ['list'], { timeoutMs: 5_000, signal: ac.signal, what: 'helm list', home: root }),
    ).rejects.toThrow(/cancelled/);
    expect(existsSync(marker)).toBe(false);
  });
});
