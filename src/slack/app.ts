/**
 * Builds the Bolt app with the right receiver: Socket Mode when an app-level token is configured (no
 * public endpoint needed: the default inside a cluster), otherwise HTTP on PORT at `/slack/events`,
 * verifying the signing secret. The Slack side never talks to the cluster: it checks the policy, asks
 * the UpgradeService and answers.
 */
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, SocketModeReceiver, type webApi } from '@slack/bolt';
import type { Config } from '../config/index.js';
import { groupsIn, type Policy } from '../domain/policy.js';
import type { UpgradeService } from '../engine/api.js';
import type { Logger } from '../log.js';
import { signalRequests } from './abortable.js';
import { registerActions } from './actions/index.js';
import { boltLogger } from './bolt-logger.js';
import { registerCommands } from './commands/router.js';
import type { ProxyStatusQuery, SlackDeps } from './context.js';
import { createGroupResolver } from './groups.js';
import { type HomeOptions, registerHome } from './home/index.js';
import { guardSlackRequests } from './http-guard.js';
import { withIdentity } from './identity.js';
import type { NotifierStore } from './store.js';

export type SlackConfig = Pick<
  Config,
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_APP_TOKEN'
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_API_URL'
  | 'PORT'
  | 'DEFAULT_CLUSTER'
> & { policy: Policy };

export interface SlackAppOptions {
  config: SlackConfig;
  service: UpgradeService;
  logger: Logger;
  /** Shared with the notifier (message ts, diffs for `--details`); Redis in production. */
  store: NotifierStore;
  /** Defaults to config.policy. */
  policy?: Policy;
  /** HTTP mode: interface to listen on (default all). */
  host?: string;
  /** Extra WebClient options (tests: a small `retryConfig`). */
  clientOptions?: Omit<webApi.WebClientOptions, 'slackApiUrl' | 'logger'>;
  /** Skips the `auth.test` call Bolt makes to learn the bot's ids. */
  botIdentity?: { botId: string; botUserId: string };
  /** Proxy status for `/istio ps` when this process can reach the cluster (not with ROLE=bot). */
  proxyStatus?: ProxyStatusQuery;
  groupsTtlMs?: number;
  /** HTTP mode: largest request body accepted (default MAX_BODY_BYTES, 1 MiB). */
  maxBodyBytes?: number;
  /** The slash command's name (default `/istio`). */
  command?: string;
  /** The App Home tab: its cluster read (`engine.reads.controlPlanes`), clock and deadlines. */
  home?: HomeOptions;
  /** The clock of what replies say about time (tests: a fixed one); default Date.now. */
  now?: () => number;
}

export interface SlackApp {
  app: App;
  client: webApi.WebClient;
  mode: 'socket' | 'http';
  /** Starts the receiver; in HTTP mode resolves with the port it listens on. */
  start(): Promise<{ port?: number }>;
  stop(): Promise<void>;
}

/**
 * The app's WebClient answers people (group lookups for policy checks, posts a command makes): its
 * retries are bounded so every command is answered within seconds, far inside the response_url's
 * 30 minutes, even while Slack's Web API is down (the default is 10 retries over ~30 min). Worst
 * case per call: 3 attempts of at most 10 s plus 1 s + 2 s between them. Thread notifications use
 * their own client (main.ts) and may keep retrying.
 */
export const INTERACTIVE_CLIENT = {
  retryConfig: { retries: 2, factor: 2, minTimeout: 1000, maxTimeout: 2000 },
  timeout: 10_000,
  // a call made inside withSignal is cancelled with its signal (abortable.ts)
  requestInterceptor: signalRequests,
} satisfies webApi.WebClientOptions;

/**
 * The thread notifier's WebClient (main.ts): it may keep retrying longer than a person would wait
 * (5 retries, up to 30 s apart), but each attempt is bounded — the WebClient's default `timeout` is 0,
 * none, so one request Slack never answers (a message, a chart upload to its upload URL) would hold
 * the upgrade's notification chain, and the worker waiting for it, forever. Worst case per call:
 * 6 attempts of at most 30 s plus the waits between them.
 */
export const NOTIFIER_CLIENT = {
  retryConfig: { retries: 5, factor: 2, minTimeout: 1000, maxTimeout: 30_000 },
  timeout: 30_000,
  requestInterceptor: signalRequests,
} satisfies webApi.WebClientOptions;

export function createSlackApp(o: SlackAppOptions): SlackApp {
  const { config, logger } = o;
  const policy = o.policy ?? config.policy;
  const blog = boltLogger(logger);
  const clientOptions: webApi.WebClientOptions = {
    ...INTERACTIVE_CLIENT,
    ...o.clientOptions,
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
  };
  const socket = Boolean(config.SLACK_APP_TOKEN);
  let receiver: HTTPReceiver | SocketModeReceiver;
  if (socket) {
    receiver = new SocketModeReceiver({
      appToken: config.SLACK_APP_TOKEN!,
      logger: blog,
      // The Socket Mode client's own WebClient (apps.connections.open) takes these options.
      installerOptions: { clientOptions },
    });
  } else {
    if (!config.SLACK_SIGNING_SECRET) {
      throw new Error(
        'SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      );
    }
    receiver = new HTTPReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET,
      endpoints: '/slack/events',
      logger: blog,
      processBeforeResponse: false,
    });
    // Body limit, future timestamps and replays, before Bolt reads anything (http-guard.ts).
    receiver.requestListener = guardSlackRequests(receiver.requestListener, {
      signingSecret: config.SLACK_SIGNING_SECRET,
      claimOnce: (key, ttlMs) => o.store.claimOnce(key, ttlMs),
      logger,
      ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
    });
  }
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    receiver,
    socketMode: socket,
    logger: blog,
    clientOptions,
    // Without known ids, Bolt would call auth.test in its constructor and leave a refused token as
    // an unhandled rejection: initialise in start(), after our own check names the variable to fix.
    ...(o.botIdentity ?? { deferInitialization: true }),
  });
  app.error(async (err) => {
    logger.error({ err }, 'unhandled error in a Slack listener');
  });
  const groups = createGroupResolver({
    client: app.client,
    groups: groupsIn(policy),
    logger,
    ...(o.groupsTtlMs !== undefined ? { ttlMs: o.groupsTtlMs } : {}),
  });
  const deps: SlackDeps = {
    // The engine checks the policy again for every call: it gets the user's groups with the actor.
    service: withIdentity(o.service, groups),
    policy,
    store: o.store,
    logger,
    client: app.client,
    defaultCluster: config.DEFAULT_CLUSTER,
    groups,
    ...(o.proxyStatus ? { proxyStatus: o.proxyStatus } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
  registerCommands(app, deps, o.command);
  registerActions(app, deps);
  registerHome(app, deps, { ...(o.now ? { now: o.now } : {}), ...o.home });

  return {
    app,
    client: app.client,
    mode: socket ? 'socket' : 'http',
    async start() {
      if (!o.botIdentity) {
        await checkBotToken(app.client);
        await app.init();
      }
      if (socket) {
        await app.start();
        logger.info('Slack app connected (Socket Mode)');
        return {};
      }
      const server = (await app.start({ port: config.PORT, ...(o.host ? { host: o.host } : {}) })) as {
        address(): AddressInfo | string | null;
      };
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
      logger.info({ port }, 'Slack app listening (HTTP mode, /slack/events)');
      return { port };
    },
    async stop() {
      await app.stop();
    },
  };
}

/** Fails at start, with the variable to fix, when Slack refuses the bot token (instead of at the first click). */
async function checkBotToken(client: webApi.WebClient): Promise<void> {
  try {
    await client.auth.test();
  } catch (e) {
    const code = (e as { data?: { error?: string } }).data?.error;
    if (code)
      throw new Error(`SLACK_BOT_TOKEN was refused by Slack (${code}): check the token and SLACK_API_URL`);
    throw e;
  }
}
