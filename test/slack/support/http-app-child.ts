/**
 * Child process for the body-limit test: the Slack app in HTTP mode alone (no engine: `help` is
 * answered in the ack), so the parent can measure this process's memory while it posts huge bodies.
 * Prints `port=<n>` once listening; answers `rss` messages with process.memoryUsage().rss.
 */
import { createLogger } from '../../../src/log.js';
import { createSlackApp } from '../../../src/slack/app.js';
import { createMemoryStore } from '../../../src/slack/store.js';
import { TEST_POLICY } from '../../support/slack-harness.js';

const app = createSlackApp({
  config: {
    SLACK_BOT_TOKEN: 'xoxb-child-bot-token',
    SLACK_SIGNING_SECRET: process.env.SIGNING_SECRET ?? 'child-signing-secret',
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    PORT: 0,
    DEFAULT_CLUSTER: 'prod',
    policy: TEST_POLICY,
  },
  service: {} as never,
  logger: createLogger({ level: 'silent' }),
  store: createMemoryStore(),
  host: '127.0.0.1',
  botIdentity: { botId: 'B0BOT', botUserId: 'U0BOT' },
});
const { port } = await app.start();
process.on('message', (m) => {
  if (m === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  if (m === 'stop') void app.stop().then(() => process.exit(0));
});
process.send?.({ port });
