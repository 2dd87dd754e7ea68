// The composition root as a user runs it: a real process, configured by environment variables.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStandin } from './support/cluster-standin.js';
import { meshState, REDIS } from './support/engine-harness.js';
import { SlackEmulator } from './support/slack-emulator/server.js';

const procs: ChildProcess[] = [];
let emu: SlackEmulator | undefined;
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  await emu?.stop();
  emu = undefined;
});

function start(env: Record<string, string>) {
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  const out = { stdout: '', stderr: '' };
  p.stdout!.on('data', (d) => (out.stdout += String(d)));
  p.stderr!.on('data', (d) => (out.stderr += String(d)));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { p, out, exited };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(f: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(f()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('istio-upgrade-bot process', () => {
  it('refuses to start on a bad configuration, listing every problem and no secret', async () => {
    const { exited, out } = start({
      SLACK_BOT_TOKEN: 'xoxp-a-user-token-123456',
      ROLE: 'both',
      PORT: 'http',
    });
    expect(await exited).toBe(1);
    expect(out.stderr).toMatch(/cannot start: \d+ problem/);
    for (const v of ['SLACK_BOT_TOKEN', 'ROLE', 'PORT', 'POLICY_FILE', 'SLACK_SIGNING_SECRET'])
      expect(out.stderr).toContain(v);
    expect(out.stderr).not.toContain('xoxp-a-user-token-123456');
    expect(out.stdout).toBe('');
  });

  it('runs bot and worker in Socket Mode, answers /istio, reports health, and stops cleanly on SIGTERM', async () => {
    emu = await new SlackEmulator().start();
    emu.state.addUser('U0ALICE');
    emu.state.addChannel('C0OPS', 'ops');
    const health = await freePort();
    const { p, out, exited } = start({
      SLACK_BOT_TOKEN: emu.state.botToken,
      SLACK_APP_TOKEN: emu.state.appToken,
      SLACK_API_URL: emu.apiUrl,
      HEALTH_PORT: String(health),
      REDIS_PREFIX: `main-${process.pid}-${Date.now()}`,
      CLUSTERS: 'prod=no-such-context',
      KUBECONFIG: '/nonexistent/kubeconfig',
      POLICY_JSON: JSON.stringify({
        requesters: ['*'],
        approvers: ['U0BOB'],
        clusters: { prod: { channels: ['C0OPS'] } },
      }),
    });
    await until(() => out.stdout.includes('istio-upgrade-bot started')).catch((e) => {
      throw new Error(`${e}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
    });
    expect(out.stdout).not.toContain(emu.state.botToken);
    expect(out.stdout).not.toContain(emu.state.appToken);
    await until(async () => (await fetch(`http://127.0.0.1:${health}/healthz`)).status === 200);
    const ready = await fetch(`http://127.0.0.1:${health}/readyz`);
    expect(ready.status).toBe(503); // Redis ok, but the cluster context does not exist
    const body = (await ready.json()) as Record<string, string>;
    expect(body.redis).toBe('ok');
    expect(body.cluster).not.toBe('ok');
    expect(await (await fetch(`http://127.0.0.1:${health}/metrics`)).text()).toContain(
      'istio_upgrade_bot_refusals_total',
    );

    await until(() => emu!.socket.connections > 0);
    await emu.command({ user: 'U0ALICE', channel: 'C0OPS', text: 'help' });
    const help = await until(() =>
      emu!.state.ephemeralsFor('U0ALICE').find((e) => e.text.includes('/istio upgrade')),
    );
    expect(help.text).toContain('/istio rollback ID');

    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.stdout).toContain('shutting down');
  }, 40_000);

  it('ROLE=bot reads no kubeconfig: it starts, is ready, and plans and reads proxy status through a worker', async () => {
    emu = await new SlackEmulator().start();
    emu.state.addUser('U0ALICE');
    emu.state.addChannel('C0OPS', 'ops');
    const health = await freePort();
    const prefix = `main-bot-${process.pid}-${Date.now()}`;
    const standin = new ClusterStandin('prod', `${prefix}:standin:prod`, REDIS);
    await standin.seed(meshState());
    // The worker (stand-in cluster `prod`) loads now and starts serving only on `go`.
    const worker = spawn(process.execPath, ['--import', 'tsx', 'test/support/engine-worker-entry.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        IUB_PREFIX: prefix,
        IUB_WAIT_FOR_GO: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    procs.push(worker);
    let workerOut = '';
    worker.stdout!.on('data', (d) => (workerOut += String(d)));
    worker.stderr!.on('data', (d) => (workerOut += String(d)));
    try {
      const { p, out, exited } = start({
        ROLE: 'bot',
        SLACK_BOT_TOKEN: emu.state.botToken,
        SLACK_APP_TOKEN: emu.state.appToken,
        SLACK_API_URL: emu.apiUrl,
        HEALTH_PORT: String(health),
        REDIS_PREFIX: prefix,
        CLUSTERS: 'prod=no-such-context',
        KUBECONFIG: '/nonexistent/kubeconfig',
        POLICY_JSON: JSON.stringify({
          requesters: ['*'],
          approvers: ['U0BOB'],
          clusters: { prod: { channels: ['C0OPS'] } },
        }),
      });
      await until(() => out.stdout.includes('istio-upgrade-bot started')).catch((e) => {
        throw new Error(`${e}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      });
      // Ready: Redis only; a bot has no cluster to check.
      const ready = await until(async () => {
        const r = await fetch(`http://127.0.0.1:${health}/readyz`);
        return r.status === 200 ? ((await r.json()) as Record<string, string>) : undefined;
      });
      expect(ready).toEqual({ redis: 'ok' });
      await until(() => emu!.socket.connections > 0);

      const answer = (re: RegExp, ms = 20_000) =>
        until(() => emu!.state.ephemeralsFor('U0ALICE').find((e) => re.test(e.text)), ms);
      // No worker serves yet: refused after the 10 s wait, naming what to check.
      await emu.command({ user: 'U0ALICE', channel: 'C0OPS', text: 'upgrade 1.24.2' });
      const refused = await answer(/No worker answered/);
      expect(refused.text).toContain(
        'No worker answered within 10 s: is a worker (ROLE=worker or all) running and able to reach cluster prod?',
      );
      expect(JSON.stringify(refused)).toContain('no_worker');

      await until(() => workerOut.includes('loaded'), 30_000);
      worker.stdin!.write('go\n');
      await until(() => workerOut.includes('ready'), 30_000);
      await emu.command({ user: 'U0ALICE', channel: 'C0OPS', text: 'upgrade 1.24.2' });
      const planned = await answer(/Planned \*up-/);
      expect(planned.text).toContain('1.23.1 → 1.24.2 on `prod`, 2 wave(s)');
      await emu.command({ user: 'U0ALICE', channel: 'C0OPS', text: 'ps' });
      const ps = await answer(/Proxy status of prod/);
      expect(ps.text).toBe('Proxy status of prod: 10 proxies');

      expect(`${out.stdout}${out.stderr}`).not.toMatch(/kubeconfig|no-such-context/i);
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      worker.kill('SIGTERM');
      standin.redis.disconnect();
    }
  }, 90_000);
});
