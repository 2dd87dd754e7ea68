/**
 * Ack latency of `/istio upgrade` in HTTP mode under 50 concurrent signed requests, compared in the
 * same run with a bare Bolt app that only acks. The bot runs for real: policy, the real engine on
 * Redis (stand-in cluster, no worker) and replies through response URLs served by the Slack
 * emulator. Rounds alternate between the two apps so drift hits both alike.
 * Targets: p99 < 100 ms, ratio (bot / bare) ≤ 1.5 at p50 and p99.
 */
import { Worker } from 'node:worker_threads';
import { App, HTTPReceiver } from '@slack/bolt';
import { createSlackApp } from '../src/slack/app.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { createMemoryStore } from '../src/slack/store.js';
import { standinRegistry } from '../test/support/cluster-standin.js';
import {
  RecordingNotifier,
  seededCluster,
  silentLogger,
  testEngine,
  uniquePrefix,
} from '../test/support/engine-harness.js';
import { SlackEmulator } from '../test/support/slack-emulator/server.js';
import { CH, TEST_POLICY, TEST_RETRY, USERS } from '../test/support/slack-harness.js';

const CONCURRENCY = 50;

/** The load generator (a worker thread, plain JS): signs like Slack (see test/support/slack-emulator/
 * signing.ts), fires all requests of a round at once and reports each one's latency. It also plays
 * Slack's response URLs (the bot's replies), so that work is not charged to the process measured. */
const CLIENT_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const { createServer } = require('node:http');
const { secret, teamId, user, channel } = workerData;
let sinkUrl = '';
const replies = { total: 0, busy: 0 };
const sink = createServer((req, res) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => { replies.total++; if (b.includes('cluster_busy')) replies.busy++; res.end('ok'); });
});
sink.listen(0, '127.0.0.1', () => {
  sinkUrl = 'http://127.0.0.1:' + sink.address().port + '/response/';
  parentPort.postMessage({ sink: sinkUrl });
});
async function one(url, responseUrl, i) {
  const body = new URLSearchParams({ command: '/istio', text: 'upgrade 1.24.2', user_id: user, channel_id: channel,
    team_id: teamId, response_url: responseUrl, trigger_id: i + '.trigger' }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', secret).update('v0:' + ts + ':' + body).digest('hex');
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig } });
  await res.text();
  if (res.status !== 200) throw new Error('HTTP ' + res.status + ' from ' + url);
  return performance.now() - t0;
}
let n = 0;
parentPort.on('message', ({ url, count, stats }) => {
  if (stats) return parentPort.postMessage({ replies });
  const urls = Array.from({ length: count }, () => sinkUrl + n++);
  Promise.all(urls.map((u, i) => one(url, u, i))).then(
    (ms) => parentPort.postMessage({ ms }),
    (e) => parentPort.postMessage({ error: String(e) }),
  );
});
`;
const ROUNDS = 20;
const WARMUP = 3;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export default async function main(): Promise<void> {
  const emu = await new SlackEmulator().start();
  for (const u of Object.values(USERS)) emu.state.addUser(u);
  emu.state.addChannel(CH.ops, 'ops').addUsergroup('S0APPROVERS', [USERS.bob]);
  const logger = silentLogger();
  const prefix = uniquePrefix('bench');
  const cluster = await seededCluster('prod', prefix);
  const engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  const identity = { botId: emu.state.botId, botUserId: emu.state.botUserId };

  const bot = createSlackApp({
    config: {
      SLACK_BOT_TOKEN: emu.state.botToken,
      SLACK_SIGNING_SECRET: emu.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      PORT: 0,
      DEFAULT_CLUSTER: 'prod',
      policy: TEST_POLICY,
    },
    service: engine.service,
    logger,
    store: createMemoryStore(),
    host: '127.0.0.1',
    clientOptions: { retryConfig: TEST_RETRY },
    botIdentity: identity,
  });
  const botPort = (await bot.start()).port!;

  const bareReceiver = new HTTPReceiver({ signingSecret: emu.signingSecret, logger: boltLogger(logger) });
  const bare = new App({
    token: emu.state.botToken,
    receiver: bareReceiver,
    logger: boltLogger(logger),
    clientOptions: { slackApiUrl: emu.apiUrl },
    ...identity,
  });
  bare.command('/istio', async ({ ack }) => {
    await ack();
  });
  const bareServer = (await bare.start({ port: 0, host: '127.0.0.1' })) as unknown as {
    address(): { port: number };
  };
  const targets = {
    bare: `http://127.0.0.1:${bareServer.address().port}/slack/events`,
    bot: `http://127.0.0.1:${botPort}/slack/events`,
  };

  // The load generator runs in a worker thread: its own event loop, so it measures the apps, not itself.
  const client = new Worker(CLIENT_JS, {
    eval: true,
    workerData: { secret: emu.signingSecret, teamId: emu.state.teamId, user: USERS.alice, channel: CH.ops },
  });
  await new Promise((r) => client.once('message', r)); // the response-URL sink listens
  const ask = <T>(msg: object): Promise<T> =>
    new Promise((resolve, reject) => {
      client.once('message', (m: T & { error?: string }) =>
        m.error ? reject(new Error(m.error)) : resolve(m),
      );
      client.postMessage(msg);
    });
  const round = async (url: string): Promise<number[]> =>
    (await ask<{ ms: number[] }>({ url, count: CONCURRENCY })).ms;

  const samples: Record<'bare' | 'bot', number[]> = { bare: [], bot: [] };
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    for (const name of (i % 2 ? ['bot', 'bare'] : ['bare', 'bot']) as ('bare' | 'bot')[]) {
      const ms = await round(targets[name]);
      if (i >= WARMUP) samples[name].push(...ms);
      await new Promise((r) => setTimeout(r, 100)); // let the bot's post-ack work settle between rounds
    }
  }
  const { replies } = await ask<{ replies: { total: number; busy: number } }>({ stats: true });
  await client.terminate();

  const row = (name: 'bare' | 'bot') => ({
    app: name === 'bot' ? '/istio upgrade (bot)' : 'bare Bolt (ack only)',
    n: samples[name].length,
    p50: +pct(samples[name], 50).toFixed(2),
    p99: +pct(samples[name], 99).toFixed(2),
    max: +Math.max(...samples[name]).toFixed(2),
  });
  const b = row('bare');
  const s = row('bot');
  console.table([b, s]);
  const r50 = s.p50 / b.p50;
  const r99 = s.p99 / b.p99;
  console.log(
    `ratio p50 ${r50.toFixed(2)}, p99 ${r99.toFixed(2)} (target ≤ 1.5); bot p99 ${s.p99} ms (target < 100 ms): ${
      r50 <= 1.5 && r99 <= 1.5 && s.p99 < 100 ? 'PASS' : 'FAIL'
    }`,
  );
  console.log(`(${replies.total} replies through response URLs, ${replies.busy} of them cluster_busy)`);

  await bot.stop();
  await bare.stop();
  await engine.close();
  cluster.redis.disconnect(); // the stand-in's connection would keep bench/run.ts alive
  await emu.stop();
}
