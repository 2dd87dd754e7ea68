// A two-wave upgrade, played through the Slack emulator on the stand-in cluster, reads in ten
// messages, each in words: one checklist per phase, updated in place, and new messages only for
// approvals, diffs and the end.
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/engine-harness.js';
import { RAW_JSON, visibleText } from '../support/slack-emulator/state.js';
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

describe('the upgrade thread', () => {
  it('a two-wave upgrade reads in ten messages, phases updated in place, no JSON anywhere', async () => {
    h = await startSlackHarness('socket');
    await h.emu.command({
      user: USERS.alice,
      channel: CH.ops,
      text: 'upgrade 1.24.2 --waves "app-a;app-b,app-c"',
    });
    const planned = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.alice).find((e) => e.text.includes('Planned')),
    );
    const id = /up-[a-z0-9]{4,8}/.exec(planned.text)![0];
    for (const what of ['wave 1', 'wave 2', 'finish']) {
      const a = await approvalMessageFor(h, id, what);
      await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a.ts, actionId: 'approve' });
    }
    const end = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.state === 'done' ? r : null;
    }, 30_000);
    await h.notifier.idle();

    const thread = h.emu.state.thread(CH.ops, end.messages.parent!);
    const starts = [
      /^Control plane 1-24-2 \(done\): done: Pre-check/,
      /^Wave 1 of up-\w+ :white_check_mark: approved by <@U0BOB> /,
      /^Wave 1 of 2 \(done\): done: Point the namespaces at 1-24-2/,
      /^Proxy-status diff after wave 1 of up-\w+: 2 moved, 0 partial, 5 unchanged, 0 not synced$/,
      /^Wave 2 of up-\w+ :white_check_mark: approved by <@U0BOB> /,
      /^Wave 2 of 2 \(done\): done: Point the namespaces at 1-24-2/,
      /^Proxy-status diff after wave 2 of up-\w+: 4 moved, 0 partial, 3 unchanged, 0 not synced$/,
      /^Finish of up-\w+ :white_check_mark: approved by <@U0BOB> /,
      /^Finish \(done\): done: Move the revision tags/,
      /^up-\w+ is now done: every wave runs `1-24-2`, the revision tags point at it and `1-23-1` is uninstalled\.$/,
    ];
    expect(thread.map((m) => m.text)).toEqual(starts.map((re) => expect.stringMatching(re)));
    // each phase message was posted once and then updated in place, ending all done
    for (const i of [0, 2, 5, 8]) {
      expect(thread[i]!.versions.length).toBeGreaterThan(3);
      expect(thread[i]!.text).toMatch(/\(done\): done: /);
      expect(thread[i]!.text).not.toMatch(/pending|running/);
    }
    expect(thread[0]!.text).toContain(
      'done: Install istiod 1-24-2 beside 1-23-1 — istiod 1.24.2 installed as revision 1-24-2',
    );
    expect(thread[5]!.text).toContain(
      'done: Point the namespaces at 1-24-2 — 2 namespaces now point at revision 1-24-2',
    );
    expect(thread[5]!.text).toContain('done: Restart their workloads — 4 workloads restarted');
    expect(thread[8]!.text).toContain('done: Uninstall 1-23-1 — 1-23-1 uninstalled');
    // the running wave showed its live rollout progress while it waited
    expect(
      thread[2]!.versions.some((v) => /running: Wait for the rollouts — \d+\/2 workloads ready/.test(v.text)),
    ).toBe(true);
    // every version of every message, text and blocks, is in words
    for (const m of [h.emu.state.find(CH.ops, end.messages.parent!)!, ...thread])
      for (const v of m.versions) expect(visibleText(v)).not.toMatch(RAW_JSON);
    expect(RAW_JSON.test('d1 → {"revision":"1-31-dev"}')).toBe(true);
    expect(h.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  }, 60_000);

  it('a rollback gets its own checklist of undo steps, in words, and says how it ended', async () => {
    h = await startSlackHarness('http');
    await h.emu.command({
      user: USERS.alice,
      channel: CH.ops,
      text: 'upgrade 1.24.2 --waves "app-a;app-b,app-c"',
    });
    const planned = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.alice).find((e) => e.text.includes('Planned')),
    );
    const id = /up-[a-z0-9]{4,8}/.exec(planned.text)![0];
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    const a2 = await approvalMessageFor(h, id, 'wave 2');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a2.ts, actionId: 'rollback' });
    const end = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.state === 'rolled_back' ? r : null;
    }, 30_000);
    await h.notifier.idle();
    const thread = h.emu.state.thread(CH.ops, end.messages.parent!);
    const texts = thread.map((m) => m.text);
    const rollback = thread.find((m) => m.text.startsWith(`Rollback of ${id}`))!;
    expect(rollback.text).toMatch(/\(done\): /);
    expect(rollback.text).toContain('wave 1 (app-a) back on istio-injection=enabled');
    expect(rollback.versions.length).toBeGreaterThan(2);
    expect(texts.at(-1)).toBe(`${id} is now rolled back: every wave that had moved is back on \`1-23-1\`.`);
    expect(texts.indexOf(rollback.text)).toBeGreaterThan(
      texts.findIndex((t) => t.includes('Proxy-status diff after wave 1')),
    );
    expect(texts.length).toBeLessThanOrEqual(9);
    for (const m of thread) for (const v of m.versions) expect(visibleText(v)).not.toMatch(RAW_JSON);
  }, 60_000);
});
