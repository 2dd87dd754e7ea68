/**
 * Test glue for the Slack layer (not a stand-in itself): the Slack emulator, the real engine on real
 * Redis with the stand-in cluster, the Slack notifier wired into the engine, and the Bolt app in HTTP
 * or Socket Mode pointed at the emulator. People: ALICE requests, BOB approves (through user group
 * S0APPROVERS), CAROL may do nothing, DAVE answers incidents.
 */
import { webApi } from '@slack/bolt';
import type { Policy } from '../../src/domain/policy.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import type { WaveAnalysis } from '../../src/engine/ports.js';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../../src/slack/app.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import type { ProxyStatusQuery } from '../../src/slack/context.js';
import type { HomeOptions } from '../../src/slack/home/index.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore, type NotifierStore } from '../../src/slack/store.js';
import { type ClusterStandin, type StandinState, standinRegistry } from './cluster-standin.js';
import { registryWithAnalysis } from './cluster-standin-analysis.js';
import { seededCluster, silentLogger, testEngine, uniquePrefix, waitUntil } from './engine-harness.js';
import { SlackEmulator } from './slack-emulator/server.js';
import type { EmuMessage } from './slack-emulator/state.js';

export const USERS = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', dave: 'U0DAVE' } as const;
export const CH = { ops: 'C0OPS', incident: 'C0INCIDENT', other: 'C0OTHER' } as const;
export const APPROVERS_GROUP = 'S0APPROVERS';

export const TEST_POLICY: Policy = {
  requesters: [USERS.alice, USERS.bob],
  approvers: [APPROVERS_GROUP, USERS.alice],
  operators: [],
  clusters: { prod: { channels: [CH.ops] } },
  incidentChannels: [CH.incident],
  incidentResponders: [USERS.dave],
  fourEyes: true,
};

/** Small, fast retries: a test must not wait Slack's 30-minute default. */
export const TEST_RETRY = { retries: 4, factor: 1, minTimeout: 20, maxTimeout: 50 };

export interface SlackHarness {
  emu: SlackEmulator;
  engine: Engine;
  slack: SlackApp;
  notifier: SlackNotifier;
  store: NotifierStore;
  /** The stand-in clusters, by name. */
  standins: Map<string, ClusterStandin>;
  close(): Promise<void>;
}

export async function startSlackHarness(
  mode: 'http' | 'socket',
  opts: {
    policy?: Policy;
    proxyStatus?: ProxyStatusQuery;
    /** The app's WebClient options (default: TEST_RETRY; `{}` = the production defaults). */
    clientOptions?: SlackAppOptions['clientOptions'];
    /** Stand-in clusters to seed (default `['prod']`), and DEFAULT_CLUSTER (default the first). */
    clusters?: string[];
    defaultCluster?: string;
    /** What the stand-in clusters start with (default meshState()). */
    mesh?: StandinState;
    /** App Home options (default: the engine's control-plane reads of the stand-in clusters). */
    home?: HomeOptions;
    /** The Slack side's clock (the plan's wave start times; the App Home unless `home.now`). */
    now?: () => number;
    /** The engine's clock, and the Slack side's unless `now` is given. */
    clock?: { now(): number };
    /** The first cluster's traffic analysis port (default: none). */
    analysis?: WaveAnalysis;
  } = {},
): Promise<SlackHarness> {
  const emu = await new SlackEmulator().start();
  for (const u of Object.values(USERS)) emu.state.addUser(u);
  emu.state.addChannel(CH.ops, 'ops').addChannel(CH.incident, 'incident').addChannel(CH.other, 'other');
  emu.state.addUsergroup(APPROVERS_GROUP, [USERS.bob]);

  const logger = silentLogger();
  const prefix = uniquePrefix('slack');
  const names = opts.clusters ?? ['prod'];
  const clock = opts.clock;
  const now = opts.now ?? (clock ? () => clock.now() : undefined);
  const clusters = await Promise.all(names.map((n) => seededCluster(n, prefix, opts.mesh)));
  const store = createMemoryStore();
  const client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: TEST_RETRY,
    logger: boltLogger(logger),
  });
  let engine: Engine | undefined;
  const notifier = createSlackNotifier({
    client,
    store,
    logger,
    setMessage: (id, key, ts) => engine!.setMessage(id, key, ts),
    calendarOf: (cluster) => (opts.policy ?? TEST_POLICY).clusters[cluster],
    ...(now ? { now } : {}),
  });
  const registry = opts.analysis
    ? registryWithAnalysis(clusters[0]!, opts.analysis)
    : standinRegistry(clusters);
  engine = testEngine(prefix, registry, notifier, {
    policy: opts.policy ?? TEST_POLICY,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await engine.startWorker();

  const slack = createSlackApp({
    config: {
      SLACK_BOT_TOKEN: emu.state.botToken,
      ...(mode === 'socket'
        ? { SLACK_APP_TOKEN: emu.state.appToken }
        : { SLACK_SIGNING_SECRET: emu.signingSecret }),
      SLACK_API_URL: emu.apiUrl,
      PORT: 0,
      DEFAULT_CLUSTER: opts.defaultCluster ?? names[0]!,
      policy: opts.policy ?? TEST_POLICY,
    },
    service: engine.service,
    logger,
    store,
    host: '127.0.0.1',
    clientOptions: opts.clientOptions ?? { retryConfig: TEST_RETRY },
    ...(opts.proxyStatus ? { proxyStatus: opts.proxyStatus } : {}),
    home: { controlPlanes: (c, signal) => engine!.reads.controlPlanes(c, signal), ...opts.home },
    ...(now ? { now } : {}),
  });
  const { port } = await slack.start();
  emu.delivery =
    mode === 'http' ? { mode: 'http', url: `http://127.0.0.1:${port}/slack/events` } : { mode: 'socket' };
  return {
    emu,
    engine,
    slack,
    notifier,
    store,
    standins: new Map(clusters.map((c) => [c.name, c])),
    async close() {
      await slack.stop().catch(() => {});
      await notifier.idle();
      await engine!.close();
      await emu.stop();
    },
  };
}

/** The parent message of the newest upgrade thread in `channel`. */
export function parentOf(h: SlackHarness, r: UpgradeRecord): EmuMessage | undefined {
  const ts = r.messages?.parent;
  return ts ? h.emu.state.find(r.channel, ts) : undefined;
}

/** Waits for an approval message with an Approve button in the thread whose text mentions `what`. */
export async function approvalMessageFor(h: SlackHarness, id: string, what: string): Promise<EmuMessage> {
  return waitUntil(async () => {
    const r = await h.engine.service.get(id);
    const parent = r?.messages?.parent;
    if (!r || !parent) return null;
    return h.emu.state
      .thread(r.channel, parent)
      .find((m) => JSON.stringify(m.blocks ?? []).includes('"action_id":"approve"') && m.text.includes(what));
  });
}

export async function lastEphemeral(h: SlackHarness, user: string, since = 0): Promise<string> {
  return waitUntil(async () => {
    const e = h.emu.state.ephemeralsFor(user).slice(since);
    return e.length ? JSON.stringify(e.at(-1)) : null;
  }, 5000);
}
