// Scenario 1 (issue 6), end to end: labels strategy, 3 namespaces in 2 waves, approvals by another
// user, a proxy-status diff per wave, finish with the default tag moved and the old revision
// uninstalled. Slack emulator → Bolt → REAL engine (Redis) → REAL cluster adapters and REAL istioctl
// (1.25.3 → 1.31-dev) on the e2e cluster (test/cluster). Asserts on the cluster and on Slack.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  approvalMessage,
  approve,
  CH,
  createApps,
  diffMessage,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  nsRev,
  parentMessage,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  setTag,
  startScenario,
  tags,
  threadOf,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');

describe.skipIf(!cluster.available)('scenario 1: labels strategy, 3 namespaces in 2 waves', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const NS = ['sc1-a', 'sc1-b', 'sc1-c'];
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    // `default` on the old revision, as in a mesh that has one: only the bot's finish may move it
    // (the canary install would create it only if there were none)
    await setTag(OLD, 'default', R_OLD);
    await createApps(NS, { 'istio.io/rev': R_OLD }, ['web', 'api']);
    await expectPodsOn(NS, R_OLD, OLD, 2);
    s = await startScenario();
    console.log(`[scenario 1] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 1] total ${secs(t0)} s`);
  });

  it('upgrades through Slack to the end, wave by wave', LONG, async () => {
    const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc1-a;sc1-b,sc1-c"`);
    const a1 = await approvalMessage(s, id, 'wave 1');
    let r = await record(s, id);
    // the plan parent message
    const parent = parentMessage(s, r)!;
    expect(parent.text).toContain(`${id}: ${OLD} → ${NEW}`);
    const plan = JSON.stringify(parent.blocks);
    for (const ns of NS) expect(plan).toContain(ns);
    expect(r.strategy).toBe('labels');
    // canary installed beside the old one before any namespace moves
    expect(await istiods()).toEqual([`istiod-${R_NEW}`, `istiod-${R_OLD}`].sort());
    expect(await nsRev('sc1-a')).toBe(R_OLD);
    expect((await tags(NEW)).default).toBe(R_OLD); // the canary install left it alone

    // four eyes: the requester cannot approve
    await s.emu.click({ user: USERS.alice, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    await waitForState(s, id, (x) => x.audit.some((a) => a.action === 'refused' && a.actor === USERS.alice));
    expect((await record(s, id)).state).toBe('awaiting_approval');

    // wave 1 approved by Bob: the message is replaced by the decision
    const d1 = await approve(s, id, 'wave 1');
    expect(JSON.stringify(d1.blocks)).not.toContain('"action_id":"approve"');
    const diff1 = await diffMessage(s, id, 1);
    expect(diff1.text).toMatch(/: 2 moved, 0 partial/);
    expect(JSON.stringify(diff1.blocks)).toContain(`sc1-a/web\` ${R_OLD} → ${R_NEW}`);
    expect(JSON.stringify(diff1.blocks)).toContain(`sc1-a/api\` ${R_OLD} → ${R_NEW}`);
    await approvalMessage(s, id, 'wave 2');
    // cluster after wave 1: sc1-a on the canary, the others untouched
    expect(await nsRev('sc1-a')).toBe(R_NEW);
    expect(await nsRev('sc1-b')).toBe(R_OLD);
    await expectPodsOn(['sc1-a'], R_NEW, NEW, 2);
    await expectPodsOn(['sc1-b', 'sc1-c'], R_OLD, OLD, 2);

    expect((await tags(NEW)).default).toBe(R_OLD);

    await approve(s, id, 'wave 2');
    const diff2 = await diffMessage(s, id, 2);
    expect(diff2.text).toMatch(/: 4 moved, 0 partial/);
    for (const ns of ['sc1-b', 'sc1-c'])
      expect(JSON.stringify(diff2.blocks)).toContain(`${ns}/web\` ${R_OLD} → ${R_NEW}`);
    await expectPodsOn(NS, R_NEW, NEW, 2);
    expect((await tags(NEW)).default).toBe(R_OLD); // until the finish

    await approve(s, id, 'finish');
    r = await waitForState(s, id, (x) => x.state === 'done', 300_000).catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();

    // cluster: default tag on the canary, old control plane gone, every pod on the new proxy
    expect((await tags(NEW)).default).toBe(R_NEW);
    await expectUninstalled(R_OLD);
    expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
    for (const ns of NS) expect(await nsRev(ns)).toBe(R_NEW);
    await expectPodsOn(NS, R_NEW, NEW, 2);

    // Slack: thread in order, approvals by Bob, parent updated in place to done
    const thread = threadOf(s, r).map((m) => m.text);
    const idx = (t: string) => thread.findIndex((x) => x.includes(t));
    expect(idx('Proxy-status diff after wave 2')).toBeGreaterThan(idx('Proxy-status diff after wave 1'));
    expect(idx('Uninstall')).toBeGreaterThan(idx('Proxy-status diff after wave 2'));
    expect(thread.filter((t) => t.includes(`approved by <@${USERS.bob}>`))).toHaveLength(3);
    const p = parentMessage(s, r)!;
    expect(p.text).toContain('done');
    expect(p.versions.length).toBeGreaterThan(3);
    expect(r.waves.map((w) => w.approvedBy)).toEqual([USERS.bob, USERS.bob]);
    expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  });
});
