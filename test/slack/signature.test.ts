// HTTP mode verifies Slack's request signature: forged, stale (> 5 min) or tampered requests get 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackApp } from '../../src/slack/app.js';
import { createMemoryStore } from '../../src/slack/store.js';
import { silentLogger } from '../support/engine-harness.js';
import { formBody, signedRequest } from '../support/signed-request.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { CH, type SlackHarness, startSlackHarness, TEST_POLICY, USERS } from '../support/slack-harness.js';

describe('HTTP mode: request signatures', () => {
  let h: SlackHarness;
  let url: string;
  const body = () =>
    formBody({
      command: '/istio',
      text: 'help',
      user_id: USERS.alice,
      channel_id: CH.ops,
      team_id: 'T0EMULATOR',
      response_url: `${h.emu.baseUrl}/response/none`,
      trigger_id: '1.2',
    });
  beforeAll(async () => {
    h = await startSlackHarness('http');
    if (h.emu.delivery.mode !== 'http') throw new Error('expected HTTP delivery');
    url = h.emu.delivery.url;
  });
  afterAll(async () => h.close());

  it('accepts a correctly signed request', async () => {
    const r = await signedRequest(url, body(), { secret: h.emu.signingSecret });
    expect(r.status).toBe(200);
    expect(r.body).toContain('/istio upgrade');
  });

  it('rejects a forged signature with 401', async () => {
    const r = await signedRequest(url, body(), { secret: 'not-the-secret' });
    expect(r.status).toBe(401);
    const r2 = await signedRequest(url, body(), {
      secret: h.emu.signingSecret,
      signature: `v0=${'0'.repeat(64)}`,
    });
    expect(r2.status).toBe(401);
  });

  it('rejects a timestamp older than 5 minutes with 401, even correctly signed', async () => {
    const old = Math.floor(Date.now() / 1000) - 5 * 60 - 1;
    const r = await signedRequest(url, body(), { secret: h.emu.signingSecret, timestamp: old });
    expect(r.status).toBe(401);
  });

  it('rejects a body changed after signing with 401', async () => {
    const signed = body();
    const r = await signedRequest(url, signed.replace('help', 'upgrade+1.24.2'), {
      secret: h.emu.signingSecret,
      signBody: signed,
    });
    expect(r.status).toBe(401);
    expect(await h.engine.service.list({})).toEqual([]);
  });
});

describe('start', () => {
  it('fails with the variable to fix when Slack refuses the bot token', async () => {
    const emu = await new SlackEmulator().start();
    try {
      const app = createSlackApp({
        config: {
          SLACK_BOT_TOKEN: 'xoxb-revoked',
          SLACK_SIGNING_SECRET: 'secret-secret',
          SLACK_API_URL: emu.apiUrl,
          PORT: 0,
          DEFAULT_CLUSTER: 'prod',
          policy: TEST_POLICY,
        },
        service: {} as never,
        logger: silentLogger(),
        store: createMemoryStore(),
        host: '127.0.0.1',
        clientOptions: { retryConfig: { retries: 0 } },
      });
      await expect(app.start()).rejects.toThrow(/SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\)/);
    } finally {
      await emu.stop();
    }
  });
});
