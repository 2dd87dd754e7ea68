// Who is in the policy's channels, for the App Home: read page by page from the Slack stand-in
// (conversations.members), bounded, cached per channel, and failing closed.
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
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
