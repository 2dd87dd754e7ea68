// Rollback from an incident channel: needs a reason and a responder, is posted there and in the
// upgrade's thread, audited, and carried out by the engine.
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

describe.each(['socket', 'http'] as const)('incident rollback (%s mode)', (mode) => {
  it('refuses without a reason or from a non-responder, then rolls back and posts in both places', async () => {
    h = await startSlackHarness(mode);
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const planned = await waitUntil(async () => eph(USERS.alice).find((t) => t.includes('Planned')));
    const id = /up-[a-z0-9]{4,8}/.exec(planned)![0];
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await approvalMessageFor(h, id, 'wave 2');

    // status is allowed from the incident channel
    await h.emu.command({ user: USERS.dave, channel: CH.incident, text: `status ${id}` });
    await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.dave).find((e) => JSON.stringify(e).includes(id)),
    );

    await h.emu.command({ user: USERS.dave, channel: CH.incident, text: `rollback ${id}` });
    await waitUntil(async () => eph(USERS.dave).find((t) => t.includes('needs a reason')));
    await h.emu.command({ user: USERS.carol, channel: CH.incident, text: `rollback ${id} because` });
    await waitUntil(async () => eph(USERS.carol).find((t) => t.includes('not an incident responder')));
    expect((await h.engine.service.get(id))!.state).toBe('awaiting_approval');

    await h.emu.command({
      user: USERS.dave,
      channel: CH.incident,
      text: `rollback ${id} INC-42 5xx in payments`,
    });
    const end = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.state === 'rolled_back' ? r : null;
    }, 20_000);
    await h.notifier.idle();
    expect(end.rollback).toMatchObject({
      by: USERS.dave,
      channel: CH.incident,
      reason: 'INC-42 5xx in payments',
    });
    const inIncident = h.emu.state.channelMessages(CH.incident).map((m) => m.text);
    expect(inIncident.some((t) => t.includes(`Rollback of ${id}`) && t.includes('INC-42'))).toBe(true);
    const thread = h.emu.state.thread(CH.ops, end.messages.parent!).map((m) => m.text);
    expect(thread.some((t) => t.includes(`Rollback of ${id}`) && t.includes('INC-42'))).toBe(true);
    // the wave-2 approval message no longer offers buttons
    const a2 = h.emu.state.find(CH.ops, end.messages['approval:wave:2']!)!;
    expect(JSON.stringify(a2.blocks)).not.toContain('"action_id":"approve"');
    // audited: both refusals and the rollback itself
    const refused = end.audit.filter((a) => a.action === 'refused');
    expect(refused.map((a) => a.actor)).toEqual(expect.arrayContaining([USERS.dave, USERS.carol]));
    expect(refused.every((a) => a.channel === CH.incident)).toBe(true);
    expect(
      end.audit.some((a) => a.action === 'rollback' && a.actor === USERS.dave && a.channel === CH.incident),
    ).toBe(true);
    expect(h.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  }, 60_000);
});
