// Scenario 2 (issue 6), end to end: revision-tags strategy (prod-stable / prod-canary) to the end.
// Namespaces point at `prod-stable`; each wave relabels them to `prod-canary` (pointed at the canary),
// the finish moves `prod-stable` and `default` to the canary and uninstalls the old revision.
// Slack emulator → Bolt → REAL engine → REAL cluster adapters and istioctl (1.25.3 → 1.31-dev).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  approvalMessage,
  approve,
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
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');

describe.skipIf(!cluster.available)('scenario 2: tags strategy (prod-stable / prod-canary)', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const NS = ['sc2-a', 'sc2-b'];
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await setTag(OLD, 'prod-stable', R_OLD);
    // `default` on the old revision too: only the bot's finish may move it
    await setTag(OLD, 'default', R_OLD);
    await createApps(NS, { 'istio.io/rev': 'prod-stable' });
    await expectPodsOn(NS, R_OLD, OLD);
    s = await startScenario();
    console.log(`[scenario 2] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 2] total ${secs(t0)} s`);
  });

  it('moves namespaces through prod-canary and finishes with prod-stable on the canary', LONG, async () => {
    const id = await requestUpgrade(s, `upgrade ${NEW} --strategy tags --waves "sc2-a;sc2-b"`);
    await approvalMessage(s, id, 'wave 1');
    let r = await record(s, id);
    expect(r.strategy).toBe('tags');
    expect(r.tags).toEqual({ stable: 'prod-stable', canary: 'prod-canary' });
    expect(JSON.stringify(parentMessage(s, r)!.blocks)).toContain('prod-canary');

    await approve(s, id, 'wave 1');
    const diff1 = await diffMessage(s, id, 1);
    expect(JSON.stringify(diff1.blocks)).toContain(`sc2-a/web\` ${R_OLD} → ${R_NEW}`);
    await approvalMessage(s, id, 'wave 2');
    expect(await nsRev('sc2-a')).toBe('prod-canary');
    expect(await nsRev('sc2-b')).toBe('prod-stable');
    const t1 = await tags(NEW);
    expect([t1['prod-canary'], t1['prod-stable'], t1.default]).toEqual([R_NEW, R_OLD, R_OLD]);
    await expectPodsOn(['sc2-a'], R_NEW, NEW);
    await expectPodsOn(['sc2-b'], R_OLD, OLD);

    await approve(s, id, 'wave 2');
    await diffMessage(s, id, 2);
    await approvalMessage(s, id, 'finish');
    expect((await tags(NEW)).default).toBe(R_OLD); // until the finish
    await approve(s, id, 'finish');
    r = await waitForState(s, id, (x) => x.state === 'done').catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();

    const t2 = await tags(NEW);
    expect([t2['prod-stable'], t2['prod-canary'], t2.default]).toEqual([R_NEW, R_NEW, R_NEW]);
    await expectUninstalled(R_OLD);
    expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
    for (const ns of NS) expect(await nsRev(ns)).toBe('prod-canary');
    await expectPodsOn(NS, R_NEW, NEW);
    expect(parentMessage(s, r)!.text).toContain('done');
    const thread = threadOf(s, r).map((m) => m.text);
    expect(thread.some((t) => t.includes('Proxy-status diff after wave 2'))).toBe(true);
    expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  });
});
