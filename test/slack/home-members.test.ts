// Who is in the policy's channels, for the App Home: read page by page from the Slack stand-in
// (conversations.members), bounded, cached per channel, and failing closed.
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERACTIVE_CLIENT } from '../../src/slack/app.js';
import { createChannelMembers } from '../../src/slack/home/members.js';
import { silentLogger } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';

let emu: SlackEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function setup() {
  emu = await new SlackEmulator().start();
  const users = Array.from({ length: 2500 }, (_, i) => `U${String(i).padStart(6, '0')}`);
  emu.state.addChannel('C0BIG', 'big', { members: users });
  emu.state.addChannel('C0SMALL', 'small', { members: ['U000001'] });
  emu.state.addChannel('C0SECRET', 'secret', { members: ['U000002'], private: true, botMember: false });
  const client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: { retries: 0 },
  });
  return client;
}

describe('channel members for the App Home', () => {
  it('reads every page, caches per channel, and counts no more than maxPages pages', async () => {
    const client = await setup();
    const members = createChannelMembers({
      client,
      channels: ['C0BIG', 'C0SMALL', 'C0SECRET'],
      logger: silentLogger(),
    });
    expect([...(await members.channelsOf('U002499'))]).toEqual(['C0BIG']);
    expect([...(await members.channelsOf('U000001'))].sort()).toEqual(['C0BIG', 'C0SMALL']);
    // a private channel the bot is not in cannot be read: nobody counts as its member
    expect(await members.channelsOf('U000002')).toEqual(new Set(['C0BIG']));
    const calls = emu!.state.calls.filter((c) => c.method === 'conversations.members');
    expect(calls.filter((c) => c.args.channel === 'C0BIG')).toHaveLength(3); // 1000 a page, read once
    const bounded = createChannelMembers({
      client,
      channels: ['C0BIG'],
      logger: silentLogger(),
      maxPages: 2,
    });
    expect(await bounded.channelsOf('U002499')).toEqual(new Set());
    expect(await bounded.channelsOf('U001999')).toEqual(new Set(['C0BIG']));
  });

  it('without the scope nobody is a member (fail closed)', async () => {
    const client = await setup();
    emu!.state.botScopes.delete('channels:read');
    const members = createChannelMembers({ client, channels: ['C0SMALL'], logger: silentLogger() });
    expect(await members.channelsOf('U000001')).toEqual(new Set());
  });
});

describe('a Slack that does not answer conversations.members', () => {
  it('the read gives up at its deadline, cancelled: recent members are used, then nobody (fail closed)', async () => {
    emu = await new SlackEmulator().start();
    emu.state.addChannel('C0OPS', 'ops', { members: ['U000001'] });
    // the app's client: 2 retries of 10 s each would keep a viewer waiting ~33 s
    const client = new webApi.WebClient(emu.state.botToken, {
      ...INTERACTIVE_CLIENT,
      slackApiUrl: emu.apiUrl,
    });
    let t = 0;
    const members = createChannelMembers({
      client,
      channels: ['C0OPS'],
      logger: silentLogger(),
      ttlMs: 1_000,
      maxAgeMs: 60_000,
      readTimeoutMs: 300,
      now: () => t,
    });
    expect(await members.channelsOf('U000001')).toEqual(new Set(['C0OPS']));
    emu.state.stall = { methods: ['conversations.members'] };
    t = 5_000; // past the TTL: read again, Slack hangs; the members Slack last gave stand in
    let t0 = Date.now();
    expect(await members.channelsOf('U000001')).toEqual(new Set(['C0OPS']));
    expect(Date.now() - t0).toBeLessThan(2_000);
    t = 120_000; // past the maximum age: nobody
    t0 = Date.now();
    expect(await members.channelsOf('U000001')).toEqual(new Set());
    expect(Date.now() - t0).toBeLessThan(2_000);
    // each hung request was closed by the bot (the close reaches the stand-in a moment later)
    for (let i = 0; i < 50 && !emu.state.stalled.every((c) => c.closedByClient); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(emu.state.stalled.map((c) => c.closedByClient)).toEqual([true, true]);
  }, 15_000);
});
