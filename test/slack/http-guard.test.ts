// HTTP mode's front door: bodies over the limit refused (413) before they are read, with the
// process's memory flat; requests dated too far ahead refused; a signed request answered once, also
// across replicas sharing Redis.
import { type ChildProcess, fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { MAX_BODY_BYTES } from '../../src/slack/http-guard.js';
import { createRedisStore } from '../../src/slack/redis-store.js';
import { REDIS, silentLogger, uniquePrefix } from '../support/engine-harness.js';
import { formBody, signedRequest } from '../support/signed-request.js';
import { TEST_POLICY, USERS } from '../support/slack-harness.js';

const SECRET = 'guard-test-signing-secret';

/** POSTs `total` bytes in 1 MiB chunks as fast as the server takes them, until it answers or closes. */
function postHuge(
  port: number,
  total: number,
  chunked: boolean,
): Promise<{ status: number | undefined; ms: number; sent: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    let status: number | undefined;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve({ status, ms: performance.now() - t0, sent });
    };
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/slack/events',
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(chunked ? {} : { 'content-length': String(total) }),
      },
    });
    req.on('response', (res) => {
      status = res.statusCode;
      res.resume();
      req.destroy();
      done();
    });
    req.on('error', done);
    req.on('close', done);
    const pump = () => {
      while (!settled && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!settled) req.end();
    };
    pump();
  });
}

describe('HTTP mode: body limit', () => {
  let child: ChildProcess;
  let port: number;
  const ask = <T>(m: string): Promise<T> =>
    new Promise((resolve) => {
      child.once('message', (r) => resolve(r as T));
      child.send(m);
    });
  const rss = async () => (await ask<{ rss: number }>('rss')).rss;

  beforeAll(async () => {
    child = fork(fileURLToPath(new URL('./support/http-app-child.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, SIGNING_SECRET: SECRET },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    port = (
      await new Promise<{ port: number }>((r) => child.once('message', (m) => r(m as { port: number })))
    ).port;
  });
  afterAll(async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.send('stop');
    await exited;
  });

  it('answers a 300 MB body 413 at once, without reading it, and the memory stays flat', async () => {
    const body = (n: number) =>
      formBody({
        command: '/istio',
        text: 'help',
        user_id: USERS.alice,
        channel_id: 'C0OPS',
        trigger_id: `${n}`,
      });
    const url = `http://127.0.0.1:${port}/slack/events`;
    expect((await signedRequest(url, body(1), { secret: SECRET })).status).toBe(200); // warm
    const before = await rss();
    for (const chunked of [false, true]) {
      const r = await postHuge(port, 300 * 1024 * 1024, chunked);
      expect(r.status).toBe(413);
      expect(r.ms).toBeLessThan(1000);
      expect(r.sent).toBeLessThan(100 * 1024 * 1024);
    }
    const after = await rss();
    expect(after - before).toBeLessThan(40 * 1024 * 1024);
    // Still serving, and a body just under the limit is read (and refused only for its signature).
    expect((await signedRequest(url, body(2), { secret: SECRET })).status).toBe(200);
    const under = `${body(3)}&pad=${'x'.repeat(MAX_BODY_BYTES - body(3).length - 5)}`;
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect((await signedRequest(url, under, { secret: 'wrong' })).status).toBe(401);
  }, 30_000);
});

describe('HTTP mode: replays and future timestamps', () => {
  const prefix = uniquePrefix('guard');
  const redis = new Redis(REDIS);
  const apps: SlackApp[] = [];
  const urls: string[] = [];
  const body = (text = 'help') =>
    formBody({
      command: '/istio',
      text,
      user_id: USERS.alice,
      channel_id: 'C0OPS',
      team_id: 'T0EMULATOR',
      response_url: 'http://127.0.0.1:9/response/x',
      trigger_id: `${Math.random()}`,
    });

  beforeAll(async () => {
    // Two replicas on one Redis.
    for (let i = 0; i < 2; i++) {
      const app = createSlackApp({
        config: {
          SLACK_BOT_TOKEN: 'xoxb-guard-bot-token',
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_API_URL: 'http://127.0.0.1:9/api/',
          PORT: 0,
          DEFAULT_CLUSTER: 'prod',
          policy: TEST_POLICY,
        },
        service: {} as never,
        logger: silentLogger(),
        store: createRedisStore(redis, prefix),
        host: '127.0.0.1',
        botIdentity: { botId: 'B0BOT', botUserId: 'U0BOT' },
      });
      const { port } = await app.start();
      apps.push(app);
      urls.push(`http://127.0.0.1:${port}/slack/events`);
    }
  });
  afterAll(async () => {
    for (const a of apps) await a.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers a signed request once: the same request again, to any replica, is refused', async () => {
    const b = body();
    const ts = Math.floor(Date.now() / 1000);
    const first = await signedRequest(urls[0]!, b, { secret: SECRET, timestamp: ts });
    expect(first.status).toBe(200);
    expect(first.body).toContain('/istio upgrade');
    expect((await signedRequest(urls[0]!, b, { secret: SECRET, timestamp: ts })).status).toBe(401);
    expect((await signedRequest(urls[1]!, b, { secret: SECRET, timestamp: ts })).status).toBe(401);
    // The claim lives in Redis, no longer than the timestamp stays acceptable (5 min + 1 s).
    const [key] = await redis.keys(`${prefix}:slack:claim:sig:*`);
    expect(key).toBeDefined();
    const ttl = await redis.pttl(key!);
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(301_000);
    // A new request (new timestamp or body) is answered.
    expect((await signedRequest(urls[1]!, body(), { secret: SECRET })).status).toBe(200);
  });

  it('refuses timestamps more than 60 s ahead, accepts small clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(
      (await signedRequest(urls[0]!, body(), { secret: SECRET, timestamp: now + 365 * 86400 })).status,
    ).toBe(401);
    expect((await signedRequest(urls[0]!, body(), { secret: SECRET, timestamp: now + 61 })).status).toBe(401);
    expect((await signedRequest(urls[0]!, body(), { secret: SECRET, timestamp: now + 30 })).status).toBe(200);
  });

  it('refuses (does not let through) a request when the replay cache cannot be asked', async () => {
    const broken = new Redis({
      port: 9,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    broken.on('error', () => {});
    const app = createSlackApp({
      config: {
        SLACK_BOT_TOKEN: 'xoxb-guard-bot-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        PORT: 0,
        DEFAULT_CLUSTER: 'prod',
        policy: TEST_POLICY,
      },
      service: {} as never,
      logger: silentLogger(),
      store: createRedisStore(broken, prefix),
      host: '127.0.0.1',
      botIdentity: { botId: 'B0BOT', botUserId: 'U0BOT' },
    });
    const { port } = await app.start();
    try {
      const r = await signedRequest(`http://127.0.0.1:${port}/slack/events`, body(), { secret: SECRET });
      expect(r.status).toBe(503);
    } finally {
      await app.stop();
      broken.disconnect();
    }
  });
});
