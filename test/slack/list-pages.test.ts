// `/istio list --page N`: 20 upgrades a page, newest first, of the clusters this channel may view, and a
// pointer to the next page while there is one; a bad page number gets its usage.
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/engine-harness.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const said = (user: string, what: RegExp) =>
  waitUntil(
    async () =>
      h!.emu.state
        .ephemeralsFor(user)
        .map((e) => JSON.stringify(e))
        .reverse()
        .find((t) => what.test(t)),
    5000,
  );

describe('/istio list pages', () => {
  it('shows 20 a page with a pointer to the next, then the rest', async () => {
    h = await startSlackHarness('http');
    // 25 finished upgrades (dry runs end at once and free the cluster)
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2 --dry-run' });
      const id = await waitUntil(async () => {
        const all = await h!.engine.service.list({ limit: 50 });
        const fresh = all.find((r) => !ids.includes(r.id) && r.state === 'planned');
        return fresh?.id;
      }, 10_000);
      ids.push(id);
    }
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'list' });
    const p1 = await said(USERS.bob, /Recent upgrades/);
    expect(ids.slice(5).every((id) => p1.includes(id))).toBe(true);
    expect(ids.slice(0, 5).some((id) => p1.includes(id))).toBe(false);
    expect(p1).toContain('/istio list --page 2');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'list --page 2' });
    const p2 = await said(USERS.bob, /Recent upgrades, page 2/);
    expect(ids.slice(0, 5).every((id) => p2.includes(id))).toBe(true);
    expect(p2).not.toContain('--page 3');
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'list --page zero' });
    await said(USERS.bob, /takes a page number/);
  }, 60_000);
});
