// Button handlers answer the person who clicked on any failure after the ack: what changed, or that
// nothing did. Slack failing mid-handler is the emulator answering 503 for one method.
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

const answers = (user: string) => h!.emu.state.ephemeralsFor(user).map((e) => e.text);

async function planned(): Promise<{ id: string; ts: string }> {
  await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
  const text = await waitUntil(async () => answers(USERS.alice).find((t) => t.includes('Planned')));
  const id = /up-[a-z0-9]{4,8}/.exec(text)![0];
  const msg = await approvalMessageFor(h!, id, 'wave 1');
  return { id, ts: msg.ts };
}

describe('a button whose handler fails after the ack', () => {
  it('says what changed when the approval was recorded but the message could not be updated', async () => {
    h = await startSlackHarness('http');
    const { id, ts } = await planned();
    h.emu.state.outage = { status: 503, methods: ['chat.update'] };
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts, actionId: 'approve' });
    const answer = await waitUntil(async () => answers(USERS.bob).find((t) => t.includes(id)));
    expect(answer).toContain(`Wave 1 of ${id} is approved, but then something failed`);
    expect(answer).toContain(`/istio status ${id}`);
    const r = await h.engine.service.get(id);
    expect(r!.decisions.at(-1)).toMatchObject({ by: USERS.bob });
  }, 30_000);

  it('says nothing changed when it failed before asking the engine', async () => {
    h = await startSlackHarness('http');
    const { id, ts } = await planned();
    // CAROL may not approve; the refusal cannot be posted (chat.postEphemeral fails): she is answered
    // through the click's response_url instead of not at all.
    h.emu.state.outage = { status: 503, methods: ['chat.postEphemeral'] };
    await h.emu.click({ user: USERS.carol, channel: CH.ops, ts, actionId: 'approve' });
    const answer = await waitUntil(async () => answers(USERS.carol).find((t) => t.includes('approve')));
    expect(answer).toMatch(/Could not approve: Slack did not answer\. Nothing changed\./);
    expect((await h.engine.service.get(id))!.state).toBe('awaiting_approval');
  }, 30_000);
});
