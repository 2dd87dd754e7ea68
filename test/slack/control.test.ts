// pause / resume / abort / status / list / ps through Slack, the Pause button, and a Socket Mode
// reconnect asked by Slack.
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

const eph = (user: string) => h!.emu.state.ephemeralsFor(user).map((e) => JSON.stringify(e));
const said = (user: string, what: string | RegExp) =>
  waitUntil(
    async () => eph(user).find((t) => (typeof what === 'string' ? t.includes(what) : what.test(t))),
    5000,
  );

async function planned(): Promise<string> {
  await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
  return /up-[a-z0-9]{4,8}/.exec(await said(USERS.alice, 'Planned'))![0];
}

describe('control commands and buttons', () => {
  it('pauses from the button, resumes with a new approval, refuses outsiders, aborts', async () => {
    h = await startSlackHarness('socket');
    const id = await planned();
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    // values that are not this message's upgrade button are refused before anything else
    await h.emu.click({
      user: USERS.bob,
      channel: CH.ops,
      ts: a1.ts,
      actionId: 'pause',
      value: 'up-zzzz|1|abc',
    });
    await said(USERS.bob, 'there is no upgrade `up-zzzz`');
    await h.emu.click({
      user: USERS.bob,
      channel: CH.ops,
      ts: a1.ts,
      actionId: 'approve',
      value: '{"approve":true}',
    });
    await said(USERS.bob, 'not one of mine');
    await h.emu.click({ user: USERS.carol, channel: CH.ops, ts: a1.ts, actionId: 'pause' });
    await said(USERS.carol, 'may not pause');
    await h.emu.click({ user: USERS.alice, channel: CH.ops, ts: a1.ts, actionId: 'pause' });
    await said(USERS.alice, 'is paused');
    expect((await h.engine.service.get(id))!.state).toBe('paused');
    expect(h.emu.state.find(CH.ops, a1.ts)!.text).toContain('paused by <@U0ALICE>');
    // the old approve button is dead: the approval it carried is gone
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve', version: 0 });
    await said(USERS.bob, 'Nothing to do');
    expect((await h.engine.service.get(id))!.state).toBe('paused');

    await h.emu.command({ user: USERS.carol, channel: CH.ops, text: `resume ${id}` });
    await said(USERS.carol, 'may not resume');
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: `resume ${id}` });
    await said(USERS.alice, 'resumes');
    const again = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.state === 'awaiting_approval' && r.messages['approval:wave:1'] !== a1.ts ? r : null;
    });
    expect(h.emu.state.find(CH.ops, again.messages['approval:wave:1']!)!.text).toContain('wave 1 waits');

    await h.emu.command({ user: USERS.bob, channel: CH.other, text: `status ${id}` });
    await said(USERS.bob, 'may not drive cluster');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'status' });
    await said(USERS.bob, 'Active upgrades');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'list' });
    await said(USERS.bob, 'Recent upgrades');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'status up-zzzz' });
    await said(USERS.bob, 'There is no upgrade');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'ps' });
    await said(USERS.bob, 'no cluster connection');
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    await said(USERS.alice, 'cluster_busy');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'list --refusals' });
    await said(USERS.bob, 'Latest refused requests');
    const refusals = await h.engine.service.refusals(50);
    // newest first: the busy cluster (no upgrade record to audit to), then the outsider's status
    expect(refusals[0]).toMatchObject({
      user: USERS.alice,
      channel: CH.ops,
      action: 'plan the upgrade',
    });
    expect(refusals[0]!.reason).toMatch(/^cluster_busy: 1\.24\.2 on /);
    expect(refusals.some((x) => x.user === USERS.bob && x.channel === CH.other)).toBe(true);
    expect(refusals.some((x) => x.user === USERS.carol && x.upgradeId === id)).toBe(true);

    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: `abort ${id}` });
    await said(USERS.alice, 'aborted');
    await waitUntil(async () => (await h!.engine.service.get(id))?.state === 'aborted');
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: `retry ${id}` });
    await said(USERS.alice, 'already aborted');
    const r = (await h.engine.service.get(id))!;
    expect(r.audit.filter((a) => a.action === 'refused').length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('reconnects when Slack asks (Socket Mode disconnect) and keeps answering', async () => {
    h = await startSlackHarness('socket');
    expect(h.emu.socket.connections).toBe(1);
    h.emu.socket.sendDisconnect('refresh_requested');
    await waitUntil(
      async () =>
        h!.emu.socket.connections === 1 &&
        h!.emu.state.calls.filter((c) => c.method === 'apps.connections.open').length === 2,
      15_000,
    );
    const r = await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'help' });
    expect(JSON.stringify(r.ack)).toContain('/istio upgrade');
  }, 30_000);
});
