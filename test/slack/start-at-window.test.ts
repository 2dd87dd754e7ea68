// "Start at the next window" in Slack (issue 15): outside the change windows the approval message
// offers **Start at <opening>**; Approve is refused with the next opening and points at that button;
// clicking it records the approval (the message says by whom and when it starts), the thread says
// when the wave starts, and the wave starts when the window opens.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { waitUntil } from '../support/engine-harness.js';
import { visibleText } from '../support/slack-emulator/state.js';
import {
  approvalMessageFor,
  CH,
  lastEphemeral,
  type SlackHarness,
  startSlackHarness,
  TEST_POLICY,
  USERS,
} from '../support/slack-harness.js';

// Monday 7 Dec 2026: the window opens at 09:02 in Berlin (08:02Z); the clock starts 8 s before
const OPENS = Date.parse('2026-12-07T08:02:00Z');
const POLICY: Policy = {
  ...TEST_POLICY,
  clusters: {
    prod: {
      channels: [CH.ops],
      windows: [{ days: [1], from: '09:02', to: '10:00', timeZone: 'Europe/Berlin' }],
    },
  },
};

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('start at the next window', () => {
  it('Approve is refused with the opening; Start at … approves now and wave 1 starts when the window opens', async () => {
    const t0 = Date.now();
    const clock = { now: () => OPENS - 8_000 + (Date.now() - t0) };
    h = await startSlackHarness('socket', { policy: POLICY, clock });
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const id = await waitUntil(async () => (await h!.engine.service.list({ activeOnly: true }))[0]?.id);
    const msg = await approvalMessageFor(h, id, 'wave 1');
    const label = 'Start at Mon 7 Dec 09:02 Europe/Berlin';
    expect(visibleText(msg)).toContain(label);

    // Approve outside the window: refused, with the opening and the button to use
    const seen = h.emu.state.ephemeralsFor(USERS.bob).length;
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: msg.ts, actionId: 'approve' });
    const refusal = await lastEphemeral(h, USERS.bob, seen);
    expect(refusal).toContain('outside its change windows');
    expect(refusal).toContain('2026-12-07T08:02:00.000Z');
    expect(refusal).toContain(`Or click *${label}* on the approval message`);
    expect((await h.engine.service.get(id))!.state).toBe('awaiting_approval');

    // Start at …: approved now by bob, scheduled for the opening
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: msg.ts, actionId: 'approve_at_window' });
    const decided = await waitUntil(async () => {
      const m = h!.emu.state.find(CH.ops, msg.ts)!;
      return visibleText(m).includes('approved by') ? visibleText(m) : null;
    });
    expect(decided).toMatch(
      new RegExp(
        `Wave 1 of ${id} :white_check_mark: approved by <@${USERS.bob}> .*, to start when the change window opens <!date\\^${OPENS / 1000}\\^`,
      ),
    );
    const r = (await h.engine.service.get(id))!;
    expect(r.autoStart).toMatchObject({ wave: 1, approvedBy: USERS.bob, at: new Date(OPENS).toISOString() });
    const thread = () => h!.emu.state.thread(CH.ops, r.messages.parent!).map((m) => visibleText(m));
    await waitUntil(async () =>
      thread().find((t) => t.includes(`starts at`) && t.includes(`approved by <@${USERS.bob}>`)),
    );

    // the App Home says when it starts
    await h.emu.openHome(USERS.bob);
    const home = await waitUntil(async () => h!.emu.state.homeViews.get(USERS.bob)?.view);
    expect(visibleText({ blocks: home.blocks as unknown[] })).toContain(
      `:fast_forward: starts <!date^${OPENS / 1000}^`,
    );

    const started = await waitUntil(async () => {
      const x = await h!.engine.service.get(id);
      return x?.waves[0]?.startedAt ? x : null;
    }, 20_000);
    expect(Date.parse(started.waves[0]!.startedAt!)).toBeGreaterThanOrEqual(OPENS);
    expect(started.decisions.filter((d) => d.outcome === 'approved').map((d) => d.by)).toEqual([USERS.bob]);
  }, 40_000);
});
