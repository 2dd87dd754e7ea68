// Stopping istioctl stops its whole process group (real processes: fake istioctl wrapper scripts that
// start children, some ignoring SIGTERM): SIGTERM, SIGKILL after the grace, and the call settles only
// when no process of the group is left. No cluster needed; the real istioctl: faults-cluster.test.ts.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIstioctl } from '../../src/cluster/istioctl/run.js';
import { waitFor } from '../support/cluster-harness.js';
import { liveInGroup } from './process-support.js';

const root = mkdtempSync(join(tmpdir(), 'iub-istioctl-group-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(root, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const pgidOf = async (dir: string) => {
  const file = join(dir, 'pgid');
  await waitFor(
    'the script to start',
    async () => existsSync(file) && readFileSync(file, 'utf8').trim() !== '',
    5_000,
    20,
  );
  return Number(readFileSync(file, 'utf8').trim());
};

// Every process of this group ignores SIGTERM (an ignored signal is inherited); one child has
// detached from the output pipes, so only the group kill reaches it.
const STUBBORN = `
trap '' TERM
echo $$ > "$1/pgid"
(exec sleep 60) >/dev/null 2>&1 </dev/null &
sleep 60 &
wait`;

describe('runIstioctl stops the whole process group', () => {
  it('on cancel: SIGTERM, SIGKILL after the grace, nothing left when it rejects (< 5 s)', async () => {
    const bin = script('stubborn', STUBBORN);
    const dir = mkdtempSync(join(root, 'c-'));
    const ac = new AbortController();
    const p = runIstioctl(bin, [dir], {
      timeoutMs: 60_000,
      signal: ac.signal,
      what: 'istioctl 1.25.3 install',
    });
    const pgid = await pgidOf(dir);
    await waitFor(
      'three processes in the group',
      async () => (await liveInGroup(pgid)).length >= 3,
      5_000,
      20,
    );
    const t0 = Date.now();
    ac.abort(new Error('run superseded'));
    const e = await p.catch((x: unknown) => x);
    const took = Date.now() - t0;
    expect(e).toMatchObject({ code: 'istioctl_failed', details: { cancelled: true } });
    expect(took).toBeLessThan(5_000);
    expect(took).toBeGreaterThanOrEqual(1_900); // SIGTERM was ignored: SIGKILL after the 2 s grace
    expect(await liveInGroup(pgid)).toEqual([]);
  });

  it('on timeout: the same, as istioctl_timeout', async () => {
    const bin = script('stubborn-t', STUBBORN);
    const dir = mkdtempSync(join(root, 't-'));
    const e = await runIstioctl(bin, [dir], {
      timeoutMs: 500,
      killGraceMs: 500,
      what: 'istioctl install',
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'istioctl_timeout' });
    expect(await liveInGroup(await pgidOf(dir))).toEqual([]);
  });

  it('settles only once a child that outlived the wrapper is gone', async () => {
    // the wrapper exits on SIGTERM at once; its child ignores SIGTERM and holds no pipe
    const bin = script(
      'wrapper',
      `echo $$ > "$1/pgid"\n(trap '' TERM; exec sleep 60) >/dev/null 2>&1 </dev/null &\nexec sleep 60`,
    );
    const dir = mkdtempSync(join(root, 'w-'));
    const ac = new AbortController();
    const p = runIstioctl(bin, [dir], { timeoutMs: 60_000, signal: ac.signal, what: 'istioctl install' });
    const pgid = await pgidOf(dir);
    await waitFor('two processes in the group', async () => (await liveInGroup(pgid)).length >= 2, 5_000, 20);
    const t0 = Date.now();
    ac.abort();
    await expect(p).rejects.toMatchObject({ details: { cancelled: true } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(await liveInGroup(pgid)).toEqual([]);
  });

  it('a signal aborted before the call starts nothing', async () => {
    const dir = mkdtempSync(join(root, 'n-'));
    const bin = script('never', `echo $$ > "$1/pgid"; sleep 60`);
    const ac = new AbortController();
    ac.abort();
    await expect(
      runIstioctl(bin, [dir], { timeoutMs: 60_000, signal: ac.signal, what: 'istioctl install' }),
    ).rejects.toMatchObject({
      details: { cancelled: true },
    });
    expect(existsSync(join(dir, 'pgid'))).toBe(false);
  });
});
