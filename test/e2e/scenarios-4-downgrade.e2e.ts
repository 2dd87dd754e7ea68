// Scenario 4 (issue 6), end to end: a downgrade. The newer Istio (1.31-dev) runs; the bot installs
// the older one (1.25.3) as the canary and moves the mesh back to it, wave by wave, to the end.
// Slack emulator → Bolt → REAL engine → REAL cluster adapters and istioctl.
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
  startScenario,
  tags,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');

describe.skipIf(!cluster.available)('scenario 4: downgrade 1.31-dev → 1.25.3', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const NS = ['sc4-a', 'sc4-b'];
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    await installRevision(NEW, R_NEW);
    await createApps(NS, { 'istio.io/rev': R_NEW });
    await expectPodsOn(NS, R_NEW, NEW);
    s = await startScenario();
    console.log(`[scenario 4] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 4] total ${secs(t0)} s`);
  });

  it('installs the older revision and moves everything back to it, to the end', LONG, async () => {
    const id = await requestUpgrade(s, `upgrade ${OLD} --waves "sc4-a;sc4-b"`);
    await approvalMessage(s, id, 'wave 1');
    let r = await record(s, id);
    expect(r.move).toBe('downgrade');
    expect(parentMessage(s, r)!.text).toContain(`Istio downgrade ${id}: ${NEW} → ${OLD}`);
    expect(await istiods()).toEqual([`istiod-${R_NEW}`, `istiod-${R_OLD}`].sort());

    await approve(s, id, 'wave 1');
    const diff1 = await diffMessage(s, id, 1);
    expect(JSON.stringify(diff1.blocks)).toContain(`sc4-a/web\` ${R_NEW} → ${R_OLD}`);
    await approvalMessage(s, id, 'wave 2');
    expect([await nsRev('sc4-a'), await nsRev('sc4-b')]).toEqual([R_OLD, R_NEW]);
    await expectPodsOn(['sc4-a'], R_OLD, OLD);
    await expectPodsOn(['sc4-b'], R_NEW, NEW);

    await approve(s, id, 'wave 2');
    await diffMessage(s, id, 2);
    await approve(s, id, 'finish');
    r = await waitForState(s, id, (x) => x.state === 'done').catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();

    await expectUninstalled(R_NEW);
    expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
    expect((await tags(OLD)).default).toBe(R_OLD);
    for (const ns of NS) expect(await nsRev(ns)).toBe(R_OLD);
    await expectPodsOn(NS, R_OLD, OLD);
    expect(parentMessage(s, r)!.text).toContain('done');
    expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  });
});
