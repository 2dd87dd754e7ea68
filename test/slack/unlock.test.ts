// `/istio unlock CLUSTER` through Slack: operators only, the engine decides, the answer says what happened.
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/engine-harness.js';
import { CH, type SlackHarness, startSlackHarness, TEST_POLICY, USERS } from '../support/slack-harness.js';

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
        .find((t) => what.test(t)),
    5000,
  );

describe('/istio unlock', () => {
  it('refuses non-operators, refuses a lock in use, and answers an operator', async () => {
    h = await startSlackHarness('http', { policy: { ...TEST_POLICY, operators: [USERS.carol] } });
    await h.emu.command({ user: USERS.dave, channel: CH.ops, text: 'unlock prod' });
    await said(USERS.dave, /Only operators may unlock/);
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const id = /up-[a-z0-9]{4,8}/.exec(await said(USERS.alice, /Planned/))![0];
    await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'unlock prod' });
    await said(USERS.carol, new RegExp(`(locked by|A step of) ${id}`));
    await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'unlock' });
    await said(USERS.carol, /Say which cluster to unlock/);
    const refusals = await h.engine.service.refusals(10);
    expect(refusals.map((r) => r.action)).toContain('unlock prod');
  });
});
