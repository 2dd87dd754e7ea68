// Answers during incidents and outages: a command is answered within seconds while Slack's Web API is
// down (the app's client retries a bounded number of times), and a rollback that ran is reported as
// started even when its notices cannot be posted (Slack down, the bot not in the incident channel);
// its reason is kept exactly as typed.
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/engine-harness.js';
import {
  approvalMessageFor,
  CH,
  type SlackHarness,
  startSlackHarness,
  USERS,
} from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const eph = (user: string) => h!.emu.state.ephemeralsFor(user).map((e) => e.text);

async function planned(): Promise<string> {
  await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
  const text = await waitUntil(async () => eph(USERS.alice).find((t) => t.includes('Planned')));
  const id = /up-[a-z0-9]{4,8}/.exec(text)![0];
  await approvalMessageFor(h!, id, 'wave 1');
  return id;
}

describe('during a Slack Web API outage', () => {
  it('answers /istio rollback within seconds with the production retry settings, and says what it could not post', async () => {
    h = await startSlackHarness('http', { clientOptions: {} });
    const id = await planned();
    h.emu.state.outage = { status: 503 };
    const t0 = performance.now();
    const ack = await h.emu.command({
      user: USERS.alice,
      channel: CH.ops,
      text: `rollback ${id} db is down`,
    });
    expect(ack.status).toBe(200);
    const answer = await waitUntil(
      async () => eph(USERS.alice).find((t) => t.includes(`back ${id}`)),
      20_000,
    );
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(15_000);
    expect(answer).toMatch(/rolled back|rollback has started/);
    expect(answer).toContain('could not post it in its thread');
    // The engine did roll back (the record is the truth), Slack was asked a bounded number of times.
    const r = await h.engine.service.get(id);
    expect(['rolling_back', 'rolled_back']).toContain(r!.state);
    const posts = h.emu.state.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 503);
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.length).toBeLessThanOrEqual(3 + 6 * 5); // this command's 3 tries + the notifier's
  }, 40_000);
});

describe('incident rollback when the bot is not in the incident channel', () => {
  it('reports the rollback as started, posts it in the thread, and says how to invite the bot', async () => {
    h = await startSlackHarness('http');
    const id = await planned();
    h.emu.state.channels.get(CH.incident)!.members.delete(h.emu.state.botUserId);
    // The reason as a phone types it: a curly apostrophe and a flag-like word.
    const reason = 'INC-7 payments can\u2019t reach db --since 14:02';
    await h.emu.command({ user: USERS.dave, channel: CH.incident, text: `rollback ${id} ${reason}` });
    const answer = await waitUntil(async () => eph(USERS.dave).find((t) => t.includes(`back ${id}`)));
    expect(answer).toMatch(/rolled back|rollback has started/);
    expect(answer).toContain('I am not in <#C0INCIDENT>');
    expect(answer).toContain('/invite @istio-upgrade-bot');
    expect(answer).not.toMatch(/Could not/);
    const r = await waitUntil(async () => {
      const x = await h!.engine.service.get(id);
      return x?.state === 'rolled_back' ? x : null;
    }, 20_000);
    expect(r.rollback?.reason).toBe(reason);
    const thread = h.emu.state.thread(CH.ops, r.messages.parent!).map((m) => m.text);
    expect(thread.some((t) => t.includes(`Rollback of ${id}`) && t.includes('INC-7'))).toBe(true);
    expect(h.emu.state.calls.some((c) => c.error === 'not_in_channel')).toBe(true);
  }, 40_000);
});
