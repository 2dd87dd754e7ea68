// The Slack emulator is a stand-in: check it answers like Slack for what the bot relies on.
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { silentLogger } from '../support/engine-harness.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';

let emu: SlackEmulator;
let bot: webApi.WebClient;
beforeAll(async () => {
  emu = await new SlackEmulator().start();
  emu.state
    .addUser('U1')
    .addChannel('C1', 'one')
    .addChannel('C2', 'two', { botMember: false })
    .addUsergroup('S1', ['U1']);
  emu.state.addUser('U2').channels.get('C2')!.members.delete('U2');
  bot = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: { retries: 0 },
    logger: boltLogger(silentLogger()),
  });
});
afterAll(async () => emu.stop());

const callError = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as { data?: { error?: string } }).data?.error ?? String(e);
  }
};
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Slack emulator: Web API', () => {
  it.each([
    [
      'invalid_auth',
      () =>
        new webApi.WebClient('xoxb-wrong', {
          slackApiUrl: emu.apiUrl,
          retryConfig: { retries: 0 },
        }).auth.test(),
    ],
    ['not_allowed_token_type', () => bot.apps.connections.open({})],
    ['channel_not_found', () => bot.chat.postMessage({ channel: 'C404', text: 'x' })],
    ['not_in_channel', () => bot.chat.postMessage({ channel: 'C2', text: 'x' })],
    ['no_text', () => bot.chat.postMessage({ channel: 'C1', text: '' })],
    ['msg_too_long', () => bot.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) })],
    [
      'invalid_blocks',
      () => bot.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('y'.repeat(3001))] as never }),
    ],
    ['message_not_found', () => bot.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })],
    ['user_not_in_channel', () => bot.chat.postEphemeral({ channel: 'C2', user: 'U2', text: 'x' })],
    ['user_not_found', () => bot.chat.postEphemeral({ channel: 'C1', user: 'U9', text: 'x' })],
    ['no_such_subteam', () => bot.usergroups.users.list({ usergroup: 'S404' })],
  ])('answers %s', async (error, call) => {
    expect(await callError(call())).toBe(error);
  });

  it('posts, threads and updates, keeping every version', async () => {
    const p = await bot.chat.postMessage({ channel: 'C1', text: 'parent' });
    await bot.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: p.ts! });
    await bot.chat.update({ channel: 'C1', ts: p.ts!, text: 'parent v2' });
    expect(emu.state.thread('C1', p.ts!).map((m) => m.text)).toEqual(['reply']);
    expect(emu.state.find('C1', p.ts!)!.versions.map((v) => v.text)).toEqual(['parent', 'parent v2']);
    expect((await bot.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1']);
  });

  it('answers 429 with Retry-After in rate-limit mode', async () => {
    emu.state.rateLimit = { methods: ['auth.test'], every: 1, retryAfter: 7 };
    const res = await fetch(`${emu.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.state.botToken}` },
    });
    emu.state.rateLimit = null;
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('response URLs take 5 posts, then refuse', async () => {
    const url = emu.responses.open({ channel: 'C1', user: 'U1' });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++)
      codes.push(
        (
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: `m${i}` }),
          })
        ).status,
      );
    expect(codes).toEqual([200, 200, 200, 200, 200, 404]);
  });
});

describe('Slack emulator: Block Kit limits', () => {
  const button = (over: Record<string, unknown> = {}) => ({
    type: 'button',
    action_id: 'a',
    text: { type: 'plain_text', text: 'ok' },
    ...over,
  });
  it.each([
    ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), 'at most 50'],
    ['section text 3001', [section('x'.repeat(3001))], 'less than 3001'],
    [
      'header 151',
      [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      'less than 151',
    ],
    [
      'button text 76',
      [{ type: 'actions', elements: [button({ text: { type: 'plain_text', text: 'b'.repeat(76) } })] }],
      'less than 76',
    ],
    [
      'button value 2001',
      [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }],
      'less than 2001',
    ],
    ['duplicate action_id', [{ type: 'actions', elements: [button(), button()] }], 'duplicate action_id'],
    [
      'duplicate block_id',
      [
        { type: 'divider', block_id: 'b' },
        { type: 'divider', block_id: 'b' },
      ],
      'duplicate block_id',
    ],
    [
      '26 actions',
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }],
      'between 1 and 25',
    ],
    [
      '11 context elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }],
      'between 1 and 10',
    ],
    [
      'confirm text 301',
      [
        {
          type: 'actions',
          elements: [
            button({
              confirm: {
                title: { type: 'plain_text', text: 't' },
                text: { type: 'mrkdwn', text: 'x'.repeat(301) },
                confirm: { type: 'plain_text', text: 'y' },
                deny: { type: 'plain_text', text: 'n' },
              },
            }),
          ],
        },
      ],
      'less than 301',
    ],
  ])('refuses %s', (_name, blocks, message) => {
    expect(validateBlocks(blocks).join('\n')).toContain(message);
  });
  it('accepts a valid message', () => {
    expect(
      validateBlocks([
        section('x'.repeat(3000)),
        { type: 'actions', elements: [button({ value: 'v'.repeat(2000) })] },
      ]),
    ).toEqual([]);
  });
});

describe('Slack emulator: file uploads (files.uploadV2)', () => {
  it('takes the three-call flow of the SDK and shares the file in the thread', async () => {
    const parent = await bot.chat.postMessage({ channel: 'C1', text: 'parent' });
    const content = 'wave,namespace\n1,payments\n1,checkout ✓\n';
    const res = await bot.filesUploadV2({
      channel_id: 'C1',
      thread_ts: parent.ts!,
      filename: 'up-abcd-plan.csv',
      title: 'Plan of up-abcd',
      content,
      initial_comment: 'The whole plan',
    });
    expect(res.ok).toBe(true);
    const shared = emu.state.thread('C1', parent.ts!).at(-1)!;
    expect(shared.text).toBe('The whole plan');
    expect(shared.files?.map((f) => [f.name, f.title, f.content, f.length])).toEqual([
      ['up-abcd-plan.csv', 'Plan of up-abcd', content, Buffer.byteLength(content)],
    ]);
    const methods = emu.state.calls.slice(-2).map((c) => c.method);
    expect(methods).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
  });

  it('keeps a binary file (a PNG chart) byte for byte', async () => {
    const parent = await bot.chat.postMessage({ channel: 'C1', text: 'parent' });
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    const res = await bot.filesUploadV2({
      channel_id: 'C1',
      thread_ts: parent.ts!,
      filename: 'up-abcd-wave-1-traffic.png',
      title: 'Wave 1',
      file: bytes,
    });
    expect(res.ok).toBe(true);
    const f = emu.state.thread('C1', parent.ts!).at(-1)!.files![0]!;
    expect(f.length).toBe(512);
    expect(f.bytes?.equals(bytes)).toBe(true);
  });

  it('refuses what Slack refuses', async () => {
    expect(await callError(bot.files.getUploadURLExternal({ filename: 'x.txt', length: 0 }))).toBe(
      'invalid_arguments',
    );
    const { file_id } = await bot.files.getUploadURLExternal({ filename: 'x.txt', length: 3 });
    // completed before its bytes were uploaded
    expect(await callError(bot.files.completeUploadExternal({ files: [{ id: file_id! }] }))).toBe(
      'file_not_found',
    );
    expect(await callError(bot.filesUploadV2({ channel_id: 'C2', filename: 'y.txt', content: 'abc' }))).toBe(
      'not_in_channel',
    );
  });
});
