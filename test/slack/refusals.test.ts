// `/istio list --refusals` shows only the clusters this channel may view (incident channels: all),
// with channel links that work.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { refusalsMessage } from '../../src/slack/blocks/status.js';
import { waitUntil } from '../support/engine-harness.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { CH, type SlackHarness, startSlackHarness, TEST_POLICY, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const POLICY: Policy = {
  ...TEST_POLICY,
  clusters: { prod: { channels: [CH.ops] }, staging: { channels: [CH.other] } },
};

async function say(user: string, channel: string, text: string, re: RegExp): Promise<string> {
  const n = h!.emu.state.ephemeralsFor(user).length;
  await h!.emu.command({ user, channel, text });
  const e = await waitUntil(async () =>
    h!.emu.state
      .ephemeralsFor(user)
      .slice(n)
      .find((x) => re.test(x.text)),
  );
  return visibleText(e);
}

describe('list --refusals', () => {
  it('shows each channel the refusals of its clusters, incident channels all, with working channel links', async () => {
    h = await startSlackHarness('http', { policy: POLICY, clusters: ['prod', 'staging'] });
    await say(USERS.carol, CH.ops, 'upgrade 1.24.2', /Not allowed/); // prod, in #ops
    await say(USERS.carol, CH.other, 'upgrade 1.24.2', /Not allowed/); // staging, in #other
    await say(USERS.alice, CH.ops, 'upgrade 1.24.2 --cluster staging', /Not allowed/); // staging, asked in #ops

    const ops = await say(USERS.bob, CH.ops, 'list --refusals', /refused requests/);
    expect(ops).toContain('Latest refused requests on `prod`');
    expect(ops).toContain('<@U0CAROL> in <#C0OPS>: *request an upgrade* — not_requester: 1.24.2 on prod');
    expect(ops).toContain(
      '<@U0ALICE> in <#C0OPS>: *request an upgrade* — channel_not_allowed: 1.24.2 on staging',
    );
    expect(ops).toContain('Use one of its channels: <#C0OTHER>.');
    expect(ops).not.toContain('in <#C0OTHER>');
    expect(ops).not.toContain('&lt;#');

    const other = await say(USERS.bob, CH.other, 'list --refusals', /refused requests/);
    expect(other).toContain('Latest refused requests on `staging`');
    expect(other).toContain('<@U0CAROL> in <#C0OTHER>');
    expect(other).toContain('<@U0ALICE> in <#C0OPS>'); // about staging
    expect(other).not.toContain('1.24.2 on prod');

    const incident = await say(USERS.dave, CH.incident, 'list --refusals', /refused requests/);
    expect(incident).toContain('Latest refused requests on every cluster');
    for (const s of ['<@U0CAROL> in <#C0OPS>', '<@U0CAROL> in <#C0OTHER>', '<@U0ALICE> in <#C0OPS>'])
      expect(incident).toContain(s);
  }, 30_000);

  it('keeps only channel links from a reason: anything else stays escaped', () => {
    const m = refusalsMessage([
      {
        at: '2026-11-22T02:00:00Z',
        user: 'U1',
        channel: 'C1',
        action: 'roll back up-abcd',
        reason: 'see <#C0OTHER> and <#C0OPS|ops>, not <!channel> or <https://evil.example|x>',
      },
    ]);
    const t = visibleText(m);
    expect(t).toContain(
      'see <#C0OTHER> and <#C0OPS>, not &lt;!channel&gt; or &lt;https://evil.example|x&gt;',
    );
  });
});
