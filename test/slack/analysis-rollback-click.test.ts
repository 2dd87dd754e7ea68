// The Roll back button under a wave's failed analysis (issue 13): a click rolls the paused upgrade back
// (it is not the approval message, yet it is the bot's own button for this upgrade); a Roll back button
// of an older analysis of the same wave, replaced by a newer one, is refused and changes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { DEFAULT_ANALYSIS } from '../../src/domain/upgrade/analysis.js';
import { AnalysisStandin } from '../support/cluster-standin-analysis.js';
import { waitUntil } from '../support/engine-harness.js';
import {
  approvalMessageFor,
  CH,
  lastEphemeral,
  type SlackHarness,
  startSlackHarness,
  TEST_POLICY,
  USERS,
} from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const policy: Policy = {
  ...TEST_POLICY,
  clusters: {
    prod: {
      channels: [CH.ops],
      analysis: { name: 'default', ...DEFAULT_ANALYSIS, intervalMs: 50, count: 1 },
    },
  },
};

async function pausedByAnalysis(verdicts: ('passed' | 'failed')[]) {
  h = await startSlackHarness('http', { policy, analysis: new AnalysisStandin(verdicts) });
  const harness = h;
  await harness.emu.command({
    user: USERS.alice,
    channel: CH.ops,
    text: 'upgrade 1.24.2 --waves "app-a;app-b"',
  });
  const id = await waitUntil(async () => (await harness.engine.service.list({ activeOnly: true }))[0]?.id);
  const a1 = await approvalMessageFor(harness, id, 'wave 1');
  await harness.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
  const a2 = await approvalMessageFor(harness, id, 'wave 2');
  await harness.emu.click({ user: USERS.bob, channel: CH.ops, ts: a2.ts, actionId: 'approve' });
  await waitUntil(async () => (await harness.engine.service.get(id))?.state === 'paused', 10_000);
  await harness.notifier.idle();
  return { harness, id };
}

const buttons = (h: SlackHarness, id: string) =>
  h.emu.state.messages.filter((m) => m.text === `${id} paused: wave 2 traffic analysis failed`);

describe('Roll back under a failed analysis', () => {
  it('rolls the paused upgrade back', async () => {
    const { harness, id } = await pausedByAnalysis(['passed', 'failed']);
    const [msg] = buttons(harness, id);
    expect(msg).toBeDefined();
    await harness.emu.click({ user: USERS.bob, channel: CH.ops, ts: msg!.ts, actionId: 'rollback' });
    const r = await waitUntil(async () => {
      const x = await harness.engine.service.get(id);
      return x?.state === 'rolled_back' ? x : null;
    }, 10_000);
    expect(r.rollback?.by).toBe(USERS.bob);
    // the button's message says what happened
    expect(harness.emu.state.find(CH.ops, msg!.ts)!.text).toMatch(/[Rr]oll(ed)? ?back/);
  }, 30_000);

  it('the button of an analysis replaced by a newer one is refused; the newer one works', async () => {
    const { harness, id } = await pausedByAnalysis(['passed', 'failed', 'failed']);
    // resume analyses again: fails again, a second Roll back message
    await harness.emu.command({ user: USERS.bob, channel: CH.ops, text: `resume ${id}` });
    await waitUntil(async () => buttons(harness, id).length === 2, 10_000);
    await waitUntil(async () => (await harness.engine.service.get(id))?.state === 'paused', 10_000);
    const [old, current] = buttons(harness, id);
    const seen = harness.emu.state.ephemeralsFor(USERS.bob).length;
    await harness.emu.click({ user: USERS.bob, channel: CH.ops, ts: old!.ts, actionId: 'rollback' });
    expect(await lastEphemeral(harness, USERS.bob, seen)).toContain('does not belong');
    expect((await harness.engine.service.get(id))?.state).toBe('paused');
    await harness.emu.click({ user: USERS.bob, channel: CH.ops, ts: current!.ts, actionId: 'rollback' });
    await waitUntil(async () => (await harness.engine.service.get(id))?.state === 'rolled_back', 10_000);
  }, 30_000);
});
