// Every failure path that carries a secret, driven with known secrets; everything logged (and posted
// to Slack) is captured and searched for them. Slack unreachable (a closed port), Slack answering 503
// (emulator), Redis refusing the password (a real redis-server with requirepass), the Kubernetes API
// answering 401 (a loopback API server) — the last two through the composition root, as deployed.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { run } from '../src/main.js';
import { createSlackApp } from '../src/slack/app.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { createSlackNotifier } from '../src/slack/notifier.js';
import { createMemoryStore } from '../src/slack/store.js';
import { standinRegistry } from './support/cluster-standin.js';
import { seededCluster, testEngine, uniquePrefix, waitUntil } from './support/engine-harness.js';
import { formBody, signedRequest } from './support/signed-request.js';
import { SlackEmulator } from './support/slack-emulator/server.js';
import { APPROVERS_GROUP, CH, TEST_POLICY, USERS } from './support/slack-harness.js';

const BOT = 'xoxb-918273645546-1029384756102-KnOwNbOtToKeNnEvErLoGgEd';
const SIGNING = 'known-signing-secret-0123456789abcdef';
const REDIS_PASSWORD = 'Known-Redis-Passw0rd-never-logged';
const KUBE_TOKEN = 'known-kube-bearer-token-never-logged-0123456789';
const SECRETS = [BOT, SIGNING, REDIS_PASSWORD, KUBE_TOKEN, 'KnOwNbOtToKeN', 'Passw0rd-never', 'kube-bearer'];

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      if (process.env.DUMP_LOGS) process.stderr.write(String(chunk));
      cb();
    },
  });
  return { lines, text: () => lines.join(''), logger: createLogger({ destination, level: 'trace' }) };
}

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each([
  ['unreachable (a closed port)', 'closed'],
  ['answering 503', 'outage'],
] as const)('Slack Web API %s', (_name, kind) => {
  it('logs the failures of groups, commands and thread notifications without the bot token', async () => {
    const cap = capture();
    const emu = await new SlackEmulator().start();
    cleanups.push(() => emu.stop());
    emu.state.botToken = BOT;
    emu.signingSecret = SIGNING;
    for (const u of Object.values(USERS)) emu.state.addUser(u);
    emu.state.addChannel(CH.ops, 'ops');
    const apiUrl = kind === 'closed' ? `http://127.0.0.1:${await freePort()}/api/` : emu.apiUrl;
    if (kind === 'outage') emu.state.outage = { status: 503 };
    const retryConfig = { retries: 1, factor: 1, minTimeout: 10, maxTimeout: 20 };
    const client = new webApi.WebClient(BOT, {
      slackApiUrl: apiUrl,
      retryConfig,
      logger: boltLogger(cap.logger),
    });
    const prefix = uniquePrefix('secrets');
    const notifier = createSlackNotifier({ client, store: createMemoryStore(), logger: cap.logger });
    const engine = testEngine(prefix, standinRegistry([await seededCluster('prod', prefix)]), notifier, {
      logger: cap.logger,
    });
    cleanups.push(() => engine.close());
    await engine.startWorker();
    const slack = createSlackApp({
      config: {
        SLACK_BOT_TOKEN: BOT,
        SLACK_SIGNING_SECRET: SIGNING,
        SLACK_API_URL: apiUrl,
        PORT: 0,
        DEFAULT_CLUSTER: 'prod',
        policy: TEST_POLICY,
      },
      service: engine.service,
      logger: cap.logger,
      store: createMemoryStore(),
      host: '127.0.0.1',
      clientOptions: { retryConfig },
      botIdentity: { botId: 'B0BOT', botUserId: 'U0BOT' },
    });
    const { port } = await slack.start();
    cleanups.push(() => slack.stop());
    const responseUrl = emu.responses.open({ channel: CH.ops, user: USERS.bob });
    const command = (text: string) =>
      signedRequest(
        `http://127.0.0.1:${port}/slack/events`,
        formBody({
          command: '/istio',
          text,
          user_id: USERS.bob,
          channel_id: CH.ops,
          team_id: 'T0EMULATOR',
          response_url: responseUrl,
          trigger_id: '1.2',
        }),
        { secret: SIGNING },
      );
    // BOB requests: the group lookup fails (bob approves through APPROVERS_GROUP), the plan's thread
    // posts fail in the notifier.
    expect((await command('upgrade 1.24.2')).status).toBe(200);
    await waitUntil(async () => cap.text().includes('usergroups.users.list failed') || null, 10_000);
    await waitUntil(async () => cap.lines.filter((l) => l.includes('"level":50')).length > 0 || null, 10_000);
    // A rollback of that upgrade posts into the thread directly: the post fails and is logged.
    const [up] = await engine.service.list({});
    expect(up).toBeDefined();
    expect((await command(`rollback ${up!.id} known reason`)).status).toBe(200);
    await waitUntil(async () => cap.text().includes('could not post the rollback notice') || null, 10_000);
    await notifier.idle();
    expect(cap.text()).toContain(kind === 'closed' ? 'ECONNREFUSED' : '503');
    expectNoSecret(cap.text());
  }, 30_000);
});

function startRedis(port: number, password: string): Promise<ChildProcess> {
  const p = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  cleanups.push(async () => {
    if (p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  });
  return waitUntil(async () => {
    const r = new Redis({ port, password, lazyConnect: true, retryStrategy: () => null });
    try {
      await r.connect();
      return (await r.ping()) === 'PONG' ? p : null;
    } catch {
      return null;
    } finally {
      r.disconnect();
    }
  }, 10_000);
}

async function startBot(env: Record<string, string>, cap: ReturnType<typeof capture>) {
  const emu = await new SlackEmulator().start();
  cleanups.push(() => emu.stop());
  emu.state.botToken = BOT;
  emu.signingSecret = SIGNING;
  for (const u of Object.values(USERS)) emu.state.addUser(u);
  emu.state.addChannel(CH.ops, 'ops');
  emu.state.addUsergroup(APPROVERS_GROUP, [USERS.bob]);
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: BOT,
    SLACK_SIGNING_SECRET: SIGNING,
    SLACK_API_URL: emu.apiUrl,
    PORT: String(await freePort()),
    HEALTH_PORT: String(await freePort()),
    REDIS_PREFIX: uniquePrefix('secrets').replace(/:/g, '_'),
    POLICY_JSON: JSON.stringify(TEST_POLICY),
    CLUSTERS: 'prod=test',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.error.join('\n'));
  const running = await run(loaded.value, cap.logger);
  // Bounded: with Redis refusing every login, closing BullMQ's connections does not finish (reported
  // in issue 12's notes); the process would be killed by its supervisor after 25 s.
  cleanups.push(() => Promise.race([running.stop(), new Promise((r) => setTimeout(r, 3000).unref())]));
  emu.delivery = { mode: 'http', url: `http://127.0.0.1:${loaded.value.PORT}/slack/events` };
  return { emu, running };
}

describe('Redis refusing the password', () => {
  it('logs the refused logins of the store and the queues without the password', async () => {
    const port = await freePort();
    await startRedis(port, 'the-right-password');
    const cap = capture();
    await startBot({ ROLE: 'bot', REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:${port}` }, cap);
    // main's own client and the engine's connections (store, queues: one throttled log) both say it
    await waitUntil(
      async () => cap.lines.filter((l) => /WRONGPASS|NOAUTH/.test(l)).length >= 2 || null,
      15_000,
    );
    const refused = cap.lines.filter((l) => /WRONGPASS/.test(l)).map((l) => JSON.parse(l));
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((l) => l.msg)).size).toBeGreaterThanOrEqual(2);
    expectNoSecret(cap.text());
  }, 30_000);
});

describe('the Kubernetes API answering 401', () => {
  it('answers /istio ps with the cause and logs it, without the token', async () => {
    const seen: string[] = [];
    const api: Server = createHttpServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="k8s"' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => api.close(r)));
    const dir = mkdtempSync(join(tmpdir(), 'kube-401-'));
    const kubeconfig = join(dir, 'config');
    const server = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'bot', user: { token: KUBE_TOKEN } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'bot' } }],
        'current-context': 'test',
      }),
    );
    const before = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    cleanups.push(() => {
      if (before === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = before;
    });
    const cap = capture();
    const { emu } = await startBot({ ROLE: 'all', PROXY_STATUS_SOURCE: 'kubernetes' }, cap);
    await emu.command({ user: USERS.alice, channel: CH.ops, text: 'ps' });
    const answer = await waitUntil(async () => emu.state.ephemeralsFor(USERS.alice).at(-1), 15_000);
    expect(JSON.stringify(answer)).toContain('401');
    expect(seen).toContain(`Bearer ${KUBE_TOKEN}`);
    expectNoSecret(cap.text());
    expectNoSecret(JSON.stringify(emu.state.messages) + JSON.stringify(emu.state.ephemerals));
  }, 30_000);
});
