// The plan says when each wave can start: from the cluster's change windows and freezes, in the
// window's time zone, on the thread's parent message and in /istio status (issue 15).
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { planMessage } from '../../src/slack/blocks/plan.js';
import { waitUntil } from '../support/engine-harness.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { record } from '../support/slack-fixtures.js';
import {
  CH,
  parentOf,
  type SlackHarness,
  startSlackHarness,
  TEST_POLICY,
  USERS,
} from '../support/slack-harness.js';

const BERLIN = {
  days: [1, 2, 3, 4] as (1 | 2 | 3 | 4)[],
  from: '09:00',
  to: '16:00',
  timeZone: 'Europe/Berlin',
};
const at = (iso: string) => Date.parse(iso);

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('plan: when each wave can start', () => {
  it('on a Friday, every wave waits for Monday 09:00 Berlin; the thread and /istio status say so', async () => {
    const policy: Policy = { ...TEST_POLICY, clusters: { prod: { channels: [CH.ops], windows: [BERLIN] } } };
    h = await startSlackHarness('socket', { policy, now: () => at('2026-12-04T10:00:00Z') });
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const r = await waitUntil(async () => {
      const [x] = await h!.engine.service.list({ activeOnly: true });
      return x?.state === 'awaiting_approval' && x.messages.parent ? x : null;
    });
    const parent = await waitUntil(async () => {
      const m = parentOf(h!, (await h!.engine.service.get(r.id))!);
      return m && visibleText(m).includes('can start') ? m : null;
    });
    const text = visibleText(parent);
    expect(text).toMatch(
      /\*Wave 1\* \(1 ns\): `app-a` · :clock3: can start from Mon 7 Dec 09:00 Europe\/Berlin/,
    );
    expect(text).toMatch(
      /\*Wave 2\* \(2 ns\): `app-b`, `app-c` · :clock3: can start from Mon 7 Dec 09:00 Europe\/Berlin/,
    );
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: `status ${r.id}` });
    const status = await waitUntil(async () =>
      h!.emu.state
        .ephemeralsFor(USERS.bob)
        .map((e) => visibleText(e))
        .find((t) => t.includes('*Decisions*') || t.includes('*Waves*')),
    );
    expect(status).toContain('can start from Mon 7 Dec 09:00 Europe/Berlin');
  }, 30_000);

  it('inside a window: now; a freeze ahead moves it past the freeze; no calendar: not said', () => {
    const r = record({
      waves: [
        { index: 1, namespaces: ['a'], status: 'done' },
        { index: 2, namespaces: ['b'], status: 'awaiting_approval' },
      ],
    });
    const now = at('2026-12-03T09:00:00Z'); // Thu 10:00 Berlin
    const open = visibleText(planMessage(r, { calendar: { windows: [BERLIN] }, now }));
    expect(open).toContain('*Wave 2* (1 ns): `b` · :clock3: can start now');
    expect(open).not.toMatch(/Wave 1.*can start/);
    const frozen = visibleText(
      planMessage(r, {
        calendar: {
          windows: [BERLIN],
          freezes: [{ from: '2026-12-03T00:00:00Z', to: '2026-12-08T00:00:00Z', reason: 'audit' }],
        },
        now,
      }),
    );
    expect(frozen).toContain('can start from Tue 8 Dec 09:00 Europe/Berlin');
    expect(visibleText(planMessage(r, { calendar: undefined, now }))).not.toContain('can start');
  });
});
