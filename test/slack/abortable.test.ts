// A cancel signal for Slack Web API calls (src/slack/abortable.ts), against the Slack stand-in with a
// call it never answers: the caller is answered when the signal aborts, the HTTP request is closed,
// and the WebClient's retries after the abort never reach Slack.
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { deadline, signalRequests, withSignal } from '../../src/slack/abortable.js';
import { INTERACTIVE_CLIENT } from '../../src/slack/app.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';

let emu: SlackEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function setup() {
  emu = await new SlackEmulator().start();
  emu.state.addChannel('C0OPS', 'ops');
  const post = await new webApi.WebClient(emu.state.botToken, { slackApiUrl: emu.apiUrl }).chat.postMessage({
    channel: 'C0OPS',
    text: 'hello',
  });
  // the app's own options: 2 retries, 10 s per attempt, the signal interceptor
  const client = new webApi.WebClient(emu.state.botToken, { ...INTERACTIVE_CLIENT, slackApiUrl: emu.apiUrl });
  return { client, ts: post.ts! };
}

describe('withSignal', () => {
  it('a call Slack never answers: answered when the signal aborts, its request closed, no retry sent', async () => {
    const { client, ts } = await setup();
    emu!.state.stall = { methods: ['chat.getPermalink'] };
    const t0 = Date.now();
    const e = await withSignal(deadline(300, 'chat.getPermalink'), () =>
      client.chat.getPermalink({ channel: 'C0OPS', message_ts: ts }),
    ).catch((x: unknown) => x as Error);
    expect(String(e)).toMatch(/chat.getPermalink did not answer within 0.3 s/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // the WebClient's retries (1 s and 2 s later) are refused before they reach Slack
    await new Promise((r) => setTimeout(r, 3_500));
    expect(emu!.state.stalled).toEqual([{ method: 'chat.getPermalink', closedByClient: true }]);
  }, 15_000);

  it('a call that answers in time is unchanged; outside withSignal nothing is added', async () => {
    const { client, ts } = await setup();
    const ac = new AbortController();
    const r = await withSignal(ac.signal, () =>
      client.chat.getPermalink({ channel: 'C0OPS', message_ts: ts }),
    );
    expect(r.ok).toBe(true);
    ac.abort(); // after the answer: nothing left to cancel
    expect((await client.chat.getPermalink({ channel: 'C0OPS', message_ts: ts })).ok).toBe(true);
    const cfg = { url: 'x', headers: {} } as Parameters<typeof signalRequests>[0];
    expect(signalRequests(cfg)).toBe(cfg);
  });

  it('an already aborted signal sends nothing', async () => {
    const { client, ts } = await setup();
    const ac = new AbortController();
    ac.abort(new Error('the viewer left'));
    const before = emu!.state.calls.length;
    await expect(
      withSignal(ac.signal, () => client.chat.getPermalink({ channel: 'C0OPS', message_ts: ts })),
    ).rejects.toThrow('the viewer left');
    expect(emu!.state.calls.length).toBe(before);
  });
});
