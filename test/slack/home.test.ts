// The App Home tab in the Slack emulator: opening it publishes (views.publish) what the viewer's
// channels and role allow — per cluster the control planes, the active upgrade with a link to its
// thread, the calendar's outlook — and the last finished upgrades; a cluster whose read is late shows
// "unavailable" while the rest is published; a viewer with no channel and no role sees no cluster.
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { silentLogger, waitUntil } from '../support/engine-harness.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { CH, type SlackHarness, startSlackHarness, TEST_POLICY, USERS } from '../support/slack-harness.js';

const STAGING = 'C0STAGING';
// Tuesday 1 Dec 2026, 10:00 in Berlin
const NOW = Date.parse('2026-12-01T09:00:00Z');

const POLICY: Policy = {
  ...TEST_POLICY,
  clusters: {
    prod: {
      channels: [CH.ops],
      windows: [{ days: [1, 2, 3, 4], from: '09:00', to: '16:00', timeZone: 'Europe/Berlin' }],
    },
    staging: {
      channels: [STAGING],
      freezes: [{ from: '2026-12-01T00:00:00Z', to: '2026-12-03T06:00:00Z', reason: 'release 4.2 freeze' }],
    },
    edge: { channels: ['*'], windows: [{ days: [6, 7], from: '09:00', to: '12:00', timeZone: 'UTC' }] },
  },
};

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(mode: 'http' | 'socket', readTimeoutMs = 3000): Promise<SlackHarness> {
  h = await startSlackHarness(mode, {
    policy: POLICY,
    clusters: ['prod', 'staging', 'edge'],
    home: { now: () => NOW, readTimeoutMs },
  });
  const { state } = h.emu;
  // who is where: alice and bob in ops; staging is private (bob); dave in the incident channel; carol elsewhere
  const only = (id: string, users: string[]) => {
    const ch = state.channels.get(id)!;
    ch.members = new Set([...users, state.botUserId]);
  };
  only(CH.ops, [USERS.alice, USERS.bob]);
  only(CH.incident, [USERS.dave]);
  only(CH.other, [USERS.carol]);
  state.addChannel(STAGING, 'staging', { members: [USERS.bob], private: true });
  return h;
}

/** Opens the Home tab as `user` and returns what they see once the bot has published it. */
async function openHome(user: string): Promise<{ text: string; blocks: Record<string, unknown>[] }> {
  const before = h!.emu.state.homeViews.get(user)?.versions.length ?? 0;
  await h!.emu.openHome(user);
  const v = await waitUntil(async () => {
    const home = h!.emu.state.homeViews.get(user);
    return home && home.versions.length > before ? home.view : null;
  }, 10_000);
  const blocks = v.blocks as Record<string, unknown>[];
  return { text: visibleText({ blocks }), blocks };
}

describe('App Home', () => {
  it('shows each viewer the clusters their channels and role allow, with the active upgrade and its thread', async () => {
    await start('socket');
    // a finished upgrade (rolled back) and an active one on prod
    await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const first = await waitUntil(async () => {
      const [r] = await h!.engine.service.list({ activeOnly: true });
      return r?.state === 'awaiting_approval' ? r : null;
    });
    await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: `rollback ${first.id} trying` });
    await waitUntil(async () => (await h!.engine.service.get(first.id))?.state === 'rolled_back');
    await h!.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2' });
    const active = await waitUntil(async () => {
      const [r] = await h!.engine.service.list({ activeOnly: true });
      return r?.state === 'awaiting_approval' && r.messages.parent ? r : null;
    });

    // alice: in ops (prod) and a requester (edge is open to every channel); not in staging's channel
    const alice = await openHome(USERS.alice);
    expect(alice.text).toContain('*Cluster `prod`*');
    expect(alice.text).toContain('*Cluster `edge`*');
    expect(alice.text).not.toContain('staging');
    expect(alice.text).toMatch(/`1-23-1` Istio 1\.23\.1/);
    expect(alice.text).toMatch(/`1-24-2` Istio 1\.24\.2/); // the canary the active upgrade installed
    const link = `https://emulator.slack.test/archives/${CH.ops}/p${active.messages.parent!.replace('.', '')}`;
    expect(alice.text).toContain(`<${link}|${active.id}>`);
    expect(alice.text).toContain('waiting for approval');
    expect(alice.text).toContain('Change window open until Tue, 1 Dec 2026, 16:00 Europe/Berlin');
    expect(alice.text).toContain(
      'Outside the change windows (Sat,Sun 09:00–12:00 UTC); opens Sat, 5 Dec 2026, 09:00 UTC',
    );
    expect(alice.text).toMatch(
      new RegExp(
        `\`${first.id}\` on \`prod\`: 1\\.23\\.1 → 1\\.24\\.2, :leftwards_arrow_with_hook: rolled back`,
      ),
    );
    expect(alice.text).not.toContain(`\`${active.id}\` on`); // the active one is not among the finished

    // bob: ops, the private staging channel and an approver
    const bob = await openHome(USERS.bob);
    expect(bob.text).toContain('*Cluster `staging`*');
    expect(bob.text).toContain('Change freeze until Thu, 3 Dec 2026, 06:00 UTC');
    expect(bob.text).toContain('release 4.2 freeze');
    // dave: the incident channel sees every cluster
    const dave = await openHome(USERS.dave);
    for (const c of ['prod', 'staging', 'edge']) expect(dave.text).toContain(`*Cluster \`${c}\`*`);

    // carol: no channel of a cluster, no role: no cluster, and why
    const carol = await openHome(USERS.carol);
    expect(carol.text).toContain('You see no cluster here');
    for (const c of ['prod', 'staging', 'edge', active.id, first.id]) expect(carol.text).not.toContain(c);

    // each publish went to the viewer who opened the tab, as a home view Slack accepted
    const publishes = h!.emu.state.calls.filter((c) => c.method === 'views.publish');
    expect(publishes.map((c) => c.args.user_id)).toEqual([USERS.alice, USERS.bob, USERS.dave, USERS.carol]);
    expect(publishes.every((c) => c.ok)).toBe(true);
    // channel members are read once per policy channel, not per viewer
    const members = h!.emu.state.calls.filter((c) => c.method === 'conversations.members');
    expect(members.map((c) => c.args.channel).sort()).toEqual([CH.incident, CH.ops, STAGING].sort());
  }, 60_000);

  it('shows a cluster whose read is late or fails as unavailable and publishes the rest (HTTP mode)', async () => {
    await start('http', 400);
    await h!.standins.get('staging')!.setDelay('inspector.controlPlanes', 5000);
    // edge's read fails at once (its API answers an error)
    const edge = h!.standins.get('edge')!;
    await edge.redis.del(edge.key);
    const t0 = Date.now();
    const bob = await openHome(USERS.bob);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(bob.text).toContain(
      '*Cluster `staging`*\n:warning: Control planes unavailable: cluster staging did not answer within 0.4 s',
    );
    expect(bob.text).toMatch(/\*Cluster `prod`\*\nControl planes:\n• `1-23-1` Istio 1\.23\.1/);
    expect(bob.text).toContain(
      '*Cluster `edge`*\n:warning: Control planes unavailable: Could not read the control planes of cluster edge: stand-in cluster edge not seeded',
    );
    // the slow read was cancelled, not left running
    await waitUntil(async () =>
      (await h!.standins.get('staging')!.calls()).some((c) => c.outcome === 'cancelled'),
    );
  }, 30_000);

  it('Slack refuses a Home view over its limits, and a tab the app has not enabled', async () => {
    await start('socket');
    const client = new webApi.WebClient(h!.emu.state.botToken, {
      slackApiUrl: h!.emu.apiUrl,
      retryConfig: { retries: 0 },
      logger: boltLogger(silentLogger()),
    });
    const block = { type: 'section', text: { type: 'mrkdwn', text: 'x' } } as const;
    const publish = (blocks: unknown[]) =>
      client.views.publish({ user_id: USERS.alice, view: { type: 'home', blocks: blocks as never } });
    await expect(publish(Array(101).fill(block))).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    await expect(
      publish([{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }]),
    ).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    await expect(publish(Array(100).fill(block))).resolves.toMatchObject({ ok: true });
    h!.emu.state.homeTabEnabled = false;
    await expect(publish([block])).rejects.toMatchObject({ data: { error: 'not_enabled' } });
  }, 30_000);
});
