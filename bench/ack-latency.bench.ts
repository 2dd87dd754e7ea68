/**
 * Ack latency of `/istio` in HTTP mode under 50 concurrent signed requests, compared in the same run
 * with a bare Bolt app that only acks. The bot runs for real: policy, the real engine on Redis (no
 * worker) and replies through response URLs served by the load generator. Three kinds of rounds:
 *  - `upgrade`: one stand-in cluster per concurrent request (`--cluster cNN`), so every request plans
 *    for real (policy, lock, mesh read, plan, record, plan job) — none is a cheap `cluster_busy`
 *    refusal: after each round every upgrade is aborted (the clusters are free again) and the bench
 *    fails if any reply was not a plan;
 *  - `status`: the active upgrades (50 of them, read while they are held), as `/istio status` shows;
 *  - `list`: the recent upgrades of the channel's clusters.
 * A round waits for every reply of the bot before the next (no fixed pause). Rounds alternate between
 * the two apps so drift hits both alike. Printed: ack p50/p99/max per kind and app, the ratio to the
 * bare app, and the bot's reply latency (request → first reply through the response URL).
 * Targets: ack p99 < 100 ms, ratio (bot / bare) ≤ 1.5 at p50 and p99.
 */
import { Worker } from 'node:worker_threads';
import { App, HTTPReceiver } from '@slack/bolt';
import type { Policy } from '../src/domain/policy.js';
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
  waitUntil,
} from '../test/support/engine-harness.js';
import { SlackEmulator } from '../test/support/slack-emulator/server.js';
import { CH, TEST_POLICY, TEST_RETRY, USERS } from '../test/support/slack-harness.js';

const CONCURRENCY = 50;
const CLUSTERS = Array.from({ length: CONCURRENCY }, (_, i) => `c${String(i).padStart(2, '0')}`);
type Kind = 'upgrade' | 'status' | 'list';
const KINDS: Kind[] = ['upgrade', 'status', 'list'];
const texts = (kind: Kind): string[] =>
  CLUSTERS.map((c) => (kind === 'upgrade' ? `upgrade 1.24.2 --cluster ${c}` : kind));

/** The load generator (a worker thread, plain JS): signs like Slack (see test/support/slack-emulator/
 * signing.ts), fires all requests of a round at once and reports each one's ack latency. It also plays
 * Slack's response URLs (the bot's replies), so that work is not charged to the process measured; it
 * classifies each reply and times the first reply of each request. */
const CLIENT_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const { createServer } = require('node:http');
const { secret, teamId, user, channel } = workerData;
let sinkUrl = '';
const sent = new Map(); // response path -> { t0, first }
const replies = {};
const bump = (kind, what) => { replies[kind] ??= { total: 0, planned: 0, busy: 0, other: 0 }; replies[kind].total++; replies[kind][what]++; };
let waiting = null;
const sink = createServer((req, res) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => {
    const path = req.url.slice('/response/'.length);
    const kind = path.split('/')[0];
    bump(kind, b.includes('cluster_busy') ? 'busy' : b.includes('Planned') ? 'planned' : 'other');
    const s = sent.get(path);
    if (s && s.first === undefined) s.first = performance.now() - s.t0;
    res.end('ok');
    if (waiting) waiting();
  });
});
sink.listen(0, '127.0.0.1', () => {
  sinkUrl = 'http://127.0.0.1:' + sink.address().port + '/response/';
  parentPort.postMessage({ sink: sinkUrl });
});
async function one(url, path, text, i) {
  const body = new URLSearchParams({ command: '/istio', text, user_id: user, channel_id: channel,
    team_id: teamId, response_url: sinkUrl + path, trigger_id: i + '.trigger' }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', secret).update('v0:' + ts + ':' + body).digest('hex');
  const t0 = performance.now();
  sent.set(path, { t0 });
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig } });
  await res.text();
  if (res.status !== 200) throw new Error('HTTP ' + res.status + ' from ' + url);
  return performance.now() - t0;
}
// Resolves once every request of the round has had a reply (or fails after 30 s).
function allReplied(paths) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiting = null; reject(new Error(paths.filter((p) => sent.get(p).first === undefined).length + ' request(s) got no reply in 30 s')); }, 30000);
    const check = () => { if (paths.every((p) => sent.get(p).first !== undefined)) { clearTimeout(timer); waiting = null; resolve(paths.map((p) => sent.get(p).first)); } };
    waiting = check;
    check();
  });
}
let n = 0;
parentPort.on('message', ({ url, kind, texts, replied, stats }) => {
  if (stats) return parentPort.postMessage({ replies });
  const paths = texts.map(() => kind + '/' + n++);
  Promise.all(paths.map((p, i) => one(url, p, texts[i], i)))
    .then(async (ms) => parentPort.postMessage({ ms, replyMs: replied ? await allReplied(paths) : [] }))
    .catch((e) => parentPort.postMessage({ error: String(e) }));
});
`;
const ROUNDS = 12;
const WARMUP = 2;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

type Tally = { total: number; planned: number; busy: number; other: number };

export default async function main(): Promise<void> {
  const emu = await new SlackEmulator().start();
  for (const u of Object.values(USERS)) emu.state.addUser(u);
  emu.state.addChannel(CH.ops, 'ops').addUsergroup('S0APPROVERS', [USERS.bob]);
  const logger = silentLogger();
  const prefix = uniquePrefix('bench');
  // One stand-in cluster per concurrent request: each `/istio upgrade` of a round plans on a free cluster.
  const clusters = await Promise.all(CLUSTERS.map((name) => seededCluster(name, prefix)));
  const engine = testEngine(prefix, standinRegistry(clusters), new RecordingNotifier());
  const identity = { botId: emu.state.botId, botUserId: emu.state.botUserId };
  const policy: Policy = {
    ...TEST_POLICY,
    operators: [USERS.alice],
    clusters: Object.fromEntries(CLUSTERS.map((c) => [c, { channels: [CH.ops] }])),
  };

  const bot = createSlackApp({
    config: {
      SLACK_BOT_TOKEN: emu.state.botToken,
      SLACK_SIGNING_SECRET: emu.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      PORT: 0,
      DEFAULT_CLUSTER: CLUSTERS[0]!,
      policy,
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
  /** One round: 50 requests at once; for the bot, also waits for (and times) every first reply. */
  const round = (app: 'bare' | 'bot', kind: Kind) =>
    ask<{ ms: number[]; replyMs: number[] }>({
      url: targets[app],
      kind: app === 'bot' ? kind : 'bare',
      texts: texts(kind),
      replied: app === 'bot',
    });

  const actor = { user: USERS.alice, channel: CH.ops };
  /** Aborts every active upgrade, so the next upgrade round finds all 50 clusters free. */
  const freeClusters = async () => {
    const active = await engine.service.list({ activeOnly: true, limit: 1000 });
    if (active.length !== CONCURRENCY)
      throw new Error(`${active.length} active upgrades after an upgrade round, not ${CONCURRENCY}`);
    for (const r of active) {
      const res = await engine.service.abort(r.id, actor);
      if (!res.ok) throw new Error(`abort ${r.id}: ${res.error.code} ${res.error.message}`);
    }
    // An abort stops the upgrade's queued step first: a worker (started only now, outside the
    // measured rounds) takes each one to `aborted`, which frees its cluster.
    const worker = await engine.startWorker();
    await waitUntil(
      async () => (await engine.service.list({ activeOnly: true, limit: 1000 })).length === 0,
      30_000,
    );
    await worker.close();
  };

  const key = (app: 'bare' | 'bot', kind: Kind) => `${app}:${kind}`;
  const ack = new Map<string, number[]>();
  const reply = new Map<Kind, number[]>();
  const push = <K>(m: Map<K, number[]>, k: K, xs: number[]) => m.set(k, [...(m.get(k) ?? []), ...xs]);
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    // upgrade (the clusters are free), then status and list while the 50 upgrades are held
    for (const kind of KINDS) {
      for (const app of (i % 2 ? ['bot', 'bare'] : ['bare', 'bot']) as ('bare' | 'bot')[]) {
        const { ms, replyMs } = await round(app, kind);
        if (i < WARMUP) continue;
        push(ack, key(app, kind), ms);
        if (app === 'bot') push(reply, kind, replyMs);
      }
    }
    await freeClusters();
  }
  const { replies } = await ask<{ replies: Record<string, Tally> }>({ stats: true });
  await client.terminate();

  const r2 = (x: number) => +x.toFixed(2);
  const rows = [];
  const verdicts: string[] = [];
  let pass = true;
  for (const kind of KINDS) {
    const b = ack.get(key('bare', kind))!;
    const s = ack.get(key('bot', kind))!;
    const rep = reply.get(kind)!;
    rows.push(
      {
        kind,
        app: 'bare Bolt (ack only)',
        n: b.length,
        p50: r2(pct(b, 50)),
        p99: r2(pct(b, 99)),
        max: r2(Math.max(...b)),
      },
      {
        kind,
        app: `/istio ${kind} (bot) ack`,
        n: s.length,
        p50: r2(pct(s, 50)),
        p99: r2(pct(s, 99)),
        max: r2(Math.max(...s)),
      },
      {
        kind,
        app: `/istio ${kind} (bot) reply`,
        n: rep.length,
        p50: r2(pct(rep, 50)),
        p99: r2(pct(rep, 99)),
        max: r2(Math.max(...rep)),
      },
    );
    const r50 = pct(s, 50) / pct(b, 50);
    const r99 = pct(s, 99) / pct(b, 99);
    const ok = r50 <= 1.5 && r99 <= 1.5 && pct(s, 99) < 100;
    pass &&= ok;
    verdicts.push(
      `${kind}: ack ratio p50 ${r50.toFixed(2)}, p99 ${r99.toFixed(2)} (target ≤ 1.5); bot ack p99 ${r2(pct(s, 99))} ms (target < 100 ms): ${ok ? 'PASS' : 'FAIL'}`,
    );
  }
  console.table(rows);
  for (const v of verdicts) console.log(v);
  console.log(`overall: ${pass ? 'PASS' : 'FAIL'}`);
  const t = (k: Kind): Tally => replies[k] ?? { total: 0, planned: 0, busy: 0, other: 0 };
  console.log(
    `replies through response URLs: upgrade ${t('upgrade').total} (${t('upgrade').planned} plans, ${t('upgrade').busy} cluster_busy, ${t('upgrade').other} other), status ${t('status').total}, list ${t('list').total}`,
  );
  const expected = (WARMUP + ROUNDS) * CONCURRENCY;

  await bot.stop();
  await bare.stop();
  await engine.close();
  for (const c of clusters) c.redis.disconnect(); // the stand-ins' connections would keep bench/run.ts alive
  await emu.stop();
  // Every upgrade request was a real plan: a busy (or any other) answer would flatter the figures.
  if (t('upgrade').planned !== expected || t('upgrade').total !== expected)
    throw new Error(`expected ${expected} plans, got ${JSON.stringify(t('upgrade'))}`);
}
