// The full proxy-status diff is reachable with `/istio status ID --details` (HTTP mode).
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

describe('status --details', () => {
  it('lists every workload of each wave diff, privately', async () => {
    h = await startSlackHarness('http');
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const text = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.alice).find((e) => e.text.includes('Planned')),
    );
    const id = /up-[a-z0-9]{4,8}/.exec(text.text)![0];
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: `status ${id} --details` });
    await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.bob).find((e) => e.text.includes('No proxy-status diff')),
    );
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await approvalMessageFor(h, id, 'wave 2');
    await h.notifier.idle();
    const before = h.emu.state.ephemeralsFor(USERS.bob).length;
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: `status ${id} --details` });
    const all = await waitUntil(async () => {
      const e = h!.emu.state.ephemeralsFor(USERS.bob).slice(before);
      return e.some((x) => x.text.includes('full diff')) ? e : null;
    });
    const shown = JSON.stringify(all);
    expect(shown).toContain('Wave 1 of');
    expect(shown).toContain('`app-a/web` 1-23-1 → 1-24-2');
    expect(shown).toContain('`app-a/db` 1-23-1 → 1-24-2');
    expect(shown).toContain('*Unchanged*');
    expect(all.every((e) => e.user === USERS.bob && e.via === 'response_url')).toBe(true);
    expect(h.emu.state.channelMessages(CH.ops).filter((m) => m.text.includes('full diff'))).toEqual([]);
  }, 60_000);
});
