// The whole Slack loop in both receivers, through the emulator, against the real engine on Redis.
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

const ephemeralsOf = (user: string) => h!.emu.state.ephemeralsFor(user).map((e) => e.text);

async function requestUpgrade(): Promise<string> {
  const r = await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
  expect(r.status).toBe(200);
  expect(r.ms).toBeLessThan(3000);
  const text = await waitUntil(async () => ephemeralsOf(USERS.alice).find((t) => t.includes('Planned')));
  return /up-[a-z0-9]{4,8}/.exec(text)![0];
}

describe.each(['http', 'socket'] as const)('Slack flow (%s mode)', (mode) => {
  it('plans in a thread, refuses self-approval and non-approvers, approves wave by wave to the end', async () => {
    h = await startSlackHarness(mode);
    const id = await requestUpgrade();

    // parent message with the plan
    const rec = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.messages?.parent ? r : null;
    });
    const parent = h.emu.state.find(CH.ops, rec.messages.parent!)!;
    expect(parent.text).toContain(`${id}: 1.23.1 → 1.24.2`);
    expect(JSON.stringify(parent.blocks)).toContain('app-a');

    // wave 1 approval: Alice (requester) is refused by four eyes, Carol is not an approver
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    await h.emu.click({ user: USERS.alice, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await waitUntil(async () => ephemeralsOf(USERS.alice).find((t) => t.includes('four-eyes')));
    await h.emu.click({ user: USERS.carol, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await waitUntil(async () => ephemeralsOf(USERS.carol).find((t) => t.includes('not an approver')));
    expect((await h.engine.service.get(id))!.state).toBe('awaiting_approval');

    // a tampered value is refused and changes nothing
    await h.emu.click({
      user: USERS.bob,
      channel: CH.ops,
      ts: a1.ts,
      actionId: 'approve',
      value: `${id}|1|forgednonce`,
    });
    await waitUntil(async () =>
      ephemeralsOf(USERS.bob).find((t) => t.includes('Nothing to do') || t.includes('Not allowed')),
    );
    expect((await h.engine.service.get(id))!.state).toBe('awaiting_approval');

    // Bob approves; the message is replaced by who decided
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await waitUntil(async () => h!.emu.state.find(CH.ops, a1.ts)!.text.includes('approved by <@U0BOB>'));
    expect(JSON.stringify(h.emu.state.find(CH.ops, a1.ts)!.blocks)).not.toContain('"action_id":"approve"');

    // a second click on the message as it was before the decision: "already approved by …"
    await expect(
      h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' }),
    ).rejects.toThrow(/no button/);
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve', version: 0 });
    await waitUntil(async () => ephemeralsOf(USERS.bob).find((t) => /approved by <@U0BOB>/.test(t)));

    // wave 2 and finish
    const a2 = await approvalMessageFor(h, id, 'wave 2').catch(async (e) => {
      const r = await h!.engine.service.get(id);
      console.log(r?.state, r?.step, JSON.stringify(r?.messages), JSON.stringify(r?.stopped));
      console.log(
        h!.emu.state.messages.map((m) => `${m.thread_ts ? '  ' : ''}${m.text.slice(0, 150)}`).join('\n'),
      );
      throw e;
    });
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a2.ts, actionId: 'approve' });
    const fin = await approvalMessageFor(h, id, 'finish');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: fin.ts, actionId: 'approve' });
    const end = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.state === 'done' ? r : null;
    }, 20_000);
    await h.notifier.idle();

    // the thread: steps in order, a diff per wave, the parent updated in place to done
    const thread = h.emu.state.thread(CH.ops, end.messages.parent!).map((m) => m.text);
    const idx = (s: string) => thread.findIndex((t) => t.includes(s));
    expect(idx('Proxy-status diff after wave 1')).toBeGreaterThan(-1);
    expect(idx('Proxy-status diff after wave 2')).toBeGreaterThan(idx('Proxy-status diff after wave 1'));
    expect(idx('Uninstall')).toBeGreaterThan(idx('Proxy-status diff after wave 2'));
    const p = h.emu.state.find(CH.ops, end.messages.parent!)!;
    expect(p.text).toContain('done');
    expect(p.versions.length).toBeGreaterThan(3);
    expect(end.audit.filter((a) => a.action === 'refused').map((a) => a.actor)).toEqual(
      expect.arrayContaining([USERS.alice, USERS.carol, USERS.bob]),
    );
    // nothing the bot sent was refused by Slack
    expect(h.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
    expect(h.emu.lateAcks).toEqual([]);
  }, 60_000);
});
