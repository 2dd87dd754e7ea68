// User-group resolution: only the policy's groups, cached for a while; a definitive answer empties a
// group, an outage uses cached members only up to a maximum age; fail closed.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createGroupResolver } from '../../src/slack/groups.js';
import { silentLogger } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';

let emu: SlackEmulator;
let client: webApi.WebClient;
beforeEach(async () => {
  emu = await new SlackEmulator().start();
  emu.state.addUsergroup('S1', ['U1', 'U2']).addUsergroup('S2', ['U2']).addUsergroup('S3', ['U1']);
  client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: { retries: 0 },
    logger: boltLogger(silentLogger()),
  });
});
afterEach(async () => emu.stop());

const lookups = () => emu.state.calls.filter((c) => c.method === 'usergroups.users.list').length;

describe('group resolver', () => {
  it('resolves only the groups the policy names, and caches them', async () => {
    let now = 0;
    const g = createGroupResolver({
      client,
      groups: ['S1', 'S2'],
      logger: silentLogger(),
      ttlMs: 1000,
      now: () => now,
    });
    expect(await g.groupsOf('U1')).toEqual(['S1']);
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
    expect(lookups()).toBe(2);
    emu.state.usergroups.set('S2', ['U1']);
    expect(await g.groupsOf('U1')).toEqual(['S1']); // cached
    now = 1001;
    expect(await g.groupsOf('U1')).toEqual(['S1', 'S2']);
    expect(lookups()).toBe(4);
  });

  it('fails closed when Slack cannot answer and nothing is cached', async () => {
    const g = createGroupResolver({ client, groups: ['S404', 'S3'], logger: silentLogger() });
    expect(await g.groupsOf('U1')).toEqual(['S3']);
    await emu.stop();
    const g2 = createGroupResolver({ client, groups: ['S1'], logger: silentLogger() });
    expect(await g2.groupsOf('U1')).toEqual([]);
    emu = await new SlackEmulator().start(); // for afterEach
  });

  function resolver(now: () => number) {
    return createGroupResolver({
      client,
      groups: ['S1', 'S2'],
      logger: silentLogger(),
      ttlMs: 1000,
      maxAgeMs: 5000,
      now,
    });
  }

  it('empties a group at once when Slack says it does not exist, even with members cached', async () => {
    let now = 0;
    const g = resolver(() => now);
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
    emu.state.usergroups.delete('S2');
    now = 1001;
    expect(await g.groupsOf('U2')).toEqual(['S1']);
    expect(emu.state.calls.some((c) => c.error === 'no_such_subteam')).toBe(true);
    emu.state.usergroups.set('S2', ['U2']); // back: asked again after the ttl
    expect(await g.groupsOf('U2')).toEqual(['S1']); // the emptied answer is cached for the ttl
    now = 2002;
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
  });

  it('empties every group when Slack refuses the token (invalid_auth)', async () => {
    let now = 0;
    const g = resolver(() => now);
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
    emu.state.botToken = 'xoxb-rotated-elsewhere';
    now = 1001;
    expect(await g.groupsOf('U2')).toEqual([]);
    expect(emu.state.calls.filter((c) => c.error === 'invalid_auth')).toHaveLength(2);
  });

  it('uses cached members through a Slack outage only up to the maximum age, then fails closed', async () => {
    let now = 0;
    const g = resolver(() => now);
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
    emu.state.outage = { status: 503 };
    now = 4000;
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']); // 4 s old, max age 5 s
    expect(emu.state.calls.filter((c) => c.status === 503).length).toBeGreaterThan(0);
    now = 5001;
    expect(await g.groupsOf('U2')).toEqual([]); // too old: nobody is in the groups
    now = 5002;
    expect(await g.groupsOf('U2')).toEqual([]); // and the old members do not come back
    emu.state.outage = null;
    expect(await g.groupsOf('U2')).toEqual(['S1', 'S2']);
  });
});

describe('a Slack that does not answer usergroups.users.list', () => {
  it('the read is cancelled at its deadline: cached members while young enough, then nobody', async () => {
    let now = 0;
    const g = createGroupResolver({
      client,
      groups: ['S1'],
      logger: silentLogger(),
      ttlMs: 1000,
      maxAgeMs: 60_000,
      readTimeoutMs: 300,
      now: () => now,
    });
    expect(await g.groupsOf('U1')).toEqual(['S1']);
    emu.state.stall = { methods: ['usergroups.users.list'] };
    now = 5_000;
    const t0 = Date.now();
    expect(await g.groupsOf('U1')).toEqual(['S1']); // Slack hangs: what it last said, still young
    now = 120_000;
    expect(await g.groupsOf('U1')).toEqual([]); // too old: fail closed
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(emu.state.stalled).toHaveLength(2);
  }, 15_000);
});
