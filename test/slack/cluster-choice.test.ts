// --cluster is not needed from a channel bound to one cluster; refusals name where this channel may go.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { chooseCluster } from '../../src/slack/clusters.js';
import { waitUntil } from '../support/engine-harness.js';
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

async function answer(user: string, since: number, re: RegExp): Promise<string> {
  const e = await waitUntil(async () =>
    h!.emu.state
      .ephemeralsFor(user)
      .slice(since)
      .find((x) => re.test(x.text)),
  );
  return e.text;
}

describe('which cluster a command means', () => {
  it('from a channel bound to one cluster, that cluster; elsewhere a refusal names the clusters it may drive', async () => {
    h = await startSlackHarness('socket', {
      policy: POLICY,
      clusters: ['prod', 'staging'],
      defaultCluster: 'prod',
    });
    // #other is bound to staging only: staging is meant, not DEFAULT_CLUSTER (prod)
    await h.emu.command({ user: USERS.alice, channel: CH.other, text: 'upgrade 1.24.2 --dry-run' });
    expect(await answer(USERS.alice, 0, /Planned|Not allowed|Could not/)).toMatch(
      /^:memo: Planned \*up-\w+\*: 1\.23\.1 → 1\.24\.2 on `staging`/,
    );
    // #ops asking for staging: refused, naming the channel of staging and what #ops may drive
    let n = h.emu.state.ephemeralsFor(USERS.alice).length;
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2 --cluster staging' });
    const refused = await answer(USERS.alice, n, /Not allowed/);
    expect(refused).toContain(
      'This channel may not drive cluster "staging". Use one of its channels: <#C0OTHER>.',
    );
    expect(refused).toContain('From this channel you may drive: `prod`.');
    // an incident channel drives nothing
    n = h.emu.state.ephemeralsFor(USERS.alice).length;
    await h.emu.command({ user: USERS.alice, channel: CH.incident, text: 'upgrade 1.24.2' });
    expect(await answer(USERS.alice, n, /Not allowed/)).toContain(
      'Incident channels may check status and roll back, not start upgrades. This channel drives no cluster.',
    );
  }, 30_000);

  it.each([
    [['C1'], undefined, 'default', { cluster: 'a' }],
    [['C1'], 'b', 'default', { cluster: 'b' }],
    [['C2'], undefined, 'default', { cluster: 'default' }],
    [['C3'], undefined, 'b', { cluster: 'b' }],
    [['C3'], undefined, 'default', { ambiguous: ['b', 'c'] }],
  ] as const)('channel %j, --cluster %s, DEFAULT_CLUSTER %s → %j', (channels, given, def, expected) => {
    const p: Policy = {
      ...TEST_POLICY,
      clusters: {
        a: { channels: ['C1'] },
        b: { channels: ['C3'] },
        c: { channels: ['C3', 'C4'] },
        d: { channels: ['*'] },
      },
    };
    expect(chooseCluster(p, channels[0], given, def)).toEqual(expected);
  });
});
