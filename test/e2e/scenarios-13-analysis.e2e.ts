// Issue 13, end to end: health-gated waves on the e2e cluster with a REAL Prometheus scraping the
// mesh-telemetry stand-in, which serves Istio's metrics for the test cluster's Deployments with the
// revision their pods run (read from the API), and a fault set per namespace and revision. Slack
// emulator → Bolt → REAL engine (Redis) → REAL cluster adapters and istioctl (1.25.3 → 1.31-dev),
// REAL analysis adapter. One mesh for every upgrade (each one but the last ends rolled back, so the
// next starts from the old revision again); the analyses are 2 checks 3 s apart.
// Order: 13.2 paused by 5xx, rolled back by a click; 13.4 + 13.3 Prometheus gone → inconclusive and
// paused even with onFailure: rollback, then 5xx → rolled back by itself; 13.5 progressive; 13.1
// healthy to the end.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { type AnalysisSpec, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { waitUntil } from '../support/engine-harness.js';
import type { EmuMessage } from '../support/slack-emulator/state.js';
import { TEST_POLICY } from '../support/slack-harness.js';
import { startTraffic, type Traffic } from './support-analysis.js';
import {
  approvalMessage,
  approve,
  CH,
  createApps,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  startScenario,
  threadOf,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const NS = ['sc13-a', 'sc13-b'];
const WAVES = `--waves "sc13-a;sc13-b"`;
const SPEC: AnalysisSpec = {
  name: 'default',
  intervalMs: 3_000,
  count: 2,
  failureLimit: 0,
  baselineMs: 10_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
};
const policy = (prod: Partial<Policy['clusters'][string]> = {}): Policy => ({
  ...TEST_POLICY,
  clusters: {
    prod: {
      channels: [CH.ops],
      analysis: SPEC,
      analyses: { 'auto-rollback': { ...SPEC, name: 'auto-rollback', onFailure: 'rollback' } },
      ...prod,
    },
  },
});
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The analysis table of `wave` (the `n`-th one posted for it, from 1). */
const tables = (s: Scenario, r: UpgradeRecord, wave: number) =>
  threadOf(s, r).filter((m) => m.text.startsWith(`${r.id}: wave ${wave} traffic analysis `));
/** The PNG chart of `wave` shared into the thread. */
const charts = (s: Scenario, r: UpgradeRecord, wave: number) =>
  threadOf(s, r).filter((m) => m.files?.some((f) => f.name === `${r.id}-wave-${wave}-traffic.png`));

function expectChart(m: EmuMessage | undefined, r: UpgradeRecord) {
  expect(m?.thread_ts).toBe(r.messages?.parent);
  const f = m!.files![0]!;
  expect([...f.bytes!.subarray(0, 8)]).toEqual(PNG);
  expect(f.bytes!.readUInt32BE(16)).toBe(1000); // IHDR width
  expect(f.bytes!.length).toBeGreaterThan(10_000);
}

/** The cluster's istio-system, namespaces and pods are back on the old revision, canary gone. */
async function expectBackOnOld(R_OLD: string, R_NEW: string, OLD: string) {
  await expectPodsOn(NS, R_OLD, OLD);
  await expectUninstalled(R_NEW);
  expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
}

describe.skipIf(!cluster.available)('scenarios 13: health-gated waves with a real Prometheus', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  let traffic: Traffic;
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    traffic = await startTraffic(() => NS);
    await installRevision(OLD, R_OLD);
    await createApps(NS, { 'istio.io/rev': R_OLD });
    await expectPodsOn(NS, R_OLD, OLD);
    s = await startScenario({ policy: policy(), prometheusUrl: traffic.url });
    // the baseline of the first wave: Prometheus has scraped these workloads for a while
    await waitUntil(async () => traffic.mesh.scrapes >= 12, 60_000, 200);
    console.log(`[scenarios 13] mesh and Prometheus ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    await traffic?.close();
    if (cluster.available) await resetMesh();
    console.log(`[scenarios 13] total ${secs(t0)} s`);
  });

  it(
    '13.2: 30 % 5xx on the new revision in wave 2 pauses with the evidence; Roll back works from there',
    LONG,
    async () => {
      const t = Date.now();
      traffic.mesh.setFault({ namespace: 'sc13-b', revision: R_NEW, errorRate: 0.3 });
      const id = await requestUpgrade(s, `upgrade ${NEW} ${WAVES}`);
      await approve(s, id, 'wave 1');
      await approve(s, id, 'wave 2');
      const paused = await waitForState(s, id, (r) => r.state === 'paused', 240_000);
      expect(paused).toMatchObject({ step: 'analyze_wave', currentWave: 2 });
      expect(paused.waves[0]!.analysis?.verdict).toBe('passed');
      const a = paused.waves[1]!.analysis!;
      expect(a).toMatchObject({ verdict: 'failed', checks: 1, failedChecks: 1 });
      const bad = a.measurements.find((m) => m.verdict === 'fail')!;
      expect(bad).toMatchObject({ target: 'sc13-b', metric: 'request-success-rate' });
      expect(bad.value).toBeGreaterThan(55);
      expect(bad.value).toBeLessThan(85);
      await s.bot.notifier.idle();
      // the thread: wave 1's table and chart; wave 2's table (sc13-b FAIL), chart, then Roll back
      const thread = threadOf(s, paused);
      expect(tables(s, paused, 1)[0]?.text).toContain('traffic analysis passed');
      expectChart(charts(s, paused, 1)[0], paused);
      const table = tables(s, paused, 2)[0]!;
      expect(table.text).toContain('traffic analysis failed');
      expect(JSON.stringify(table.blocks)).toMatch(/sc13-b +success-rate – → \d\d\.\d% FAIL/);
      const chart = charts(s, paused, 2)[0];
      expectChart(chart, paused);
      const button = thread.find((m) => m.text === `${id} paused: wave 2 traffic analysis failed`)!;
      expect(JSON.stringify(button.blocks)).toContain('"action_id":"rollback"');
      expect(thread.indexOf(table)).toBeLessThan(thread.indexOf(chart!));
      expect(thread.indexOf(chart!)).toBeLessThan(thread.indexOf(button));
      // the pause names the evidence
      const why = `wave 2 analysis failed: 1 check(s) failed (limit 0): request-success-rate of sc13-b `;
      expect(thread.find((m) => m.text.startsWith(`${id} is now paused`))?.text).toContain(why);

      await s.emu.click({ user: USERS.bob, channel: CH.ops, ts: button.ts, actionId: 'rollback' });
      const end = await waitForState(s, id, (r) => r.state === 'rolled_back', 240_000).catch(async (e) => {
        console.log(dumpThread(s, await record(s, id)));
        throw e;
      });
      expect(end.rollback?.by).toBe(USERS.bob);
      await expectBackOnOld(R_OLD, R_NEW, OLD);
      traffic.mesh.clearFaults();
      console.log(`[scenarios 13] 13.2 in ${secs(t)} s`);
    },
  );

  it(
    '13.4 + 13.3: Prometheus gone → inconclusive, paused even with onFailure: rollback; then 5xx rolls back without a click',
    LONG,
    async () => {
      const t = Date.now();
      const id = await requestUpgrade(s, `upgrade ${NEW} ${WAVES} --analysis auto-rollback`);
      expect((await record(s, id)).analysis).toMatchObject({ name: 'auto-rollback', onFailure: 'rollback' });
      traffic.proxy.cut();
      await approve(s, id, 'wave 1');
      const paused = await waitForState(s, id, (r) => r.state === 'paused', 240_000);
      expect(paused).toMatchObject({ step: 'analyze_wave', currentWave: 1 });
      const a = paused.waves[0]!.analysis!;
      expect(a.verdict).toBe('inconclusive');
      expect(a.reason).toContain(`inconclusive at check 1: request-success-rate of sc13-a: ${traffic.url}: `);
      await s.bot.notifier.idle();
      const table = tables(s, paused, 1)[0]!;
      const said = JSON.stringify(table.blocks);
      expect(said).toContain('traffic analysis inconclusive');
      expect(said).toContain(`The chart of wave 1 could not be drawn: ${traffic.url}: `);
      expect(charts(s, paused, 1)).toEqual([]);
      expect(threadOf(s, paused).map((m) => m.text)).toContain(
        `${id} paused: wave 1 traffic analysis inconclusive`,
      );

      // Prometheus back (with its data): resume analyses again, it passes, wave 2 waits for approval
      traffic.proxy.restore();
      await s.emu.command({ user: USERS.bob, channel: CH.ops, text: `resume ${id}` });
      await approvalMessage(s, id, 'wave 2');
      let r = await record(s, id);
      expect(r.waves[0]!.analysis?.verdict).toBe('passed');
      expect(tables(s, r, 1).map((m) => m.text.split(':')[1])).toEqual([
        ' wave 1 traffic analysis inconclusive',
        ' wave 1 traffic analysis passed',
      ]);
      expectChart(charts(s, r, 1)[0], r);

      // 30 % 5xx on the new revision in wave 2: rolled back by the engine, no click
      traffic.mesh.setFault({ namespace: 'sc13-b', revision: R_NEW, errorRate: 0.3 });
      await approve(s, id, 'wave 2');
      r = await waitForState(s, id, (x) => x.state === 'rolled_back', 240_000).catch(async (e) => {
        console.log(dumpThread(s, await record(s, id)));
        throw e;
      });
      expect(r.waves[1]!.analysis?.verdict).toBe('failed');
      expect(r.rollback).toMatchObject({ by: 'engine' });
      expect(r.rollback?.reason).toContain('request-success-rate of sc13-b');
      expect(r.audit.filter((x) => x.action === 'rollback').map((x) => x.actor)).toEqual(['engine']); // nobody clicked
      await s.bot.notifier.idle();
      const thread = threadOf(s, r);
      expect(tables(s, r, 2)[0]?.text).toContain('traffic analysis failed');
      expectChart(charts(s, r, 2)[0], r);
      // no Roll back button for an analysis the engine acted on
      expect(thread.some((m) => m.text === `${id} paused: wave 2 traffic analysis failed`)).toBe(false);
      // the incident channel is told, with the evidence and the thread
      const incident = s.emu.state.messages.filter((m) => m.channel === CH.incident);
      expect(incident.map((m) => m.text)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${id} is being rolled back automatically on prod: 1 check\\(s\\) failed \\(limit 0\\): request-success-rate of sc13-b \\d`,
          ),
        ),
      ]);
      const body = JSON.stringify(incident[0]!.blocks);
      expect(body).toMatch(/sc13-b +success-rate – → \d\d\.\d% FAIL/);
      expect(body).toContain(`p${r.messages!.parent!.replace('.', '')}`);
      await expectBackOnOld(R_OLD, R_NEW, OLD);
      traffic.mesh.clearFaults();
      console.log(`[scenarios 13] 13.4 + 13.3 in ${secs(t)} s`);
    },
  );

  it('13.5: progressive mode, healthy: wave 2 starts without a click after the bake time', LONG, async () => {
    const t = Date.now();
    const p = await startScenario({
      policy: policy({ progressive: { bakeMs: 2_000, autoFirstWave: false, autoFinish: false } }),
      prometheusUrl: traffic.url,
    });
    try {
      const id = await requestUpgrade(p, `upgrade ${NEW} ${WAVES} --auto`);
      await approve(p, id, 'wave 1');
      // the finish still asks; wave 2 did not
      const finish = await approvalMessage(p, id, 'finish');
      const r = await record(p, id);
      expect(r.waves.map((w) => w.analysis?.verdict)).toEqual(['passed', 'passed']);
      // wave 1 approved by Bob; wave 2 started by the engine, nobody clicked
      expect(
        r.decisions.filter((d) => d.outcome === 'approved').map((d) => `${d.wave ?? 'finish'}:${d.by}`),
      ).toEqual([`1:${USERS.bob}`, '2:engine']);
      await p.bot.notifier.idle();
      const thread = threadOf(p, r);
      const approvals = thread.filter((m) =>
        JSON.stringify(m.blocks ?? []).includes('"action_id":"approve"'),
      );
      expect(approvals.map((m) => m.text)).toEqual([expect.stringContaining('finish')]);
      expect(thread.map((m) => m.text)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${id}: Wave 2 of 2 starts at .* without approval \\(progressive, wave 1 analysis passed\\)`,
          ),
        ),
      );
      for (const w of [1, 2]) expectChart(charts(p, r, w)[0], r);
      await expectPodsOn(NS, R_NEW, NEW);
      // back to the old revision for the next upgrade: Roll back on the finish approval
      await p.emu.click({ user: USERS.bob, channel: CH.ops, ts: finish.ts, actionId: 'rollback' });
      await waitForState(p, id, (x) => x.state === 'rolled_back', 240_000);
      await expectBackOnOld(R_OLD, R_NEW, OLD);
    } finally {
      await p.close();
    }
    console.log(`[scenarios 13] 13.5 in ${secs(t)} s`);
  });

  it(
    '13.1: a healthy two-wave upgrade: both analyses pass, the thread holds each table and chart',
    LONG,
    async () => {
      const t = Date.now();
      const id = await requestUpgrade(s, `upgrade ${NEW} ${WAVES}`);
      await approve(s, id, 'wave 1');
      await approve(s, id, 'wave 2');
      await approve(s, id, 'finish');
      const r = await waitForState(s, id, (x) => x.state === 'done', 300_000).catch(async (e) => {
        console.log(dumpThread(s, await record(s, id)));
        throw e;
      });
      await s.bot.notifier.idle();
      for (const w of r.waves) {
        expect(w.analysis).toMatchObject({ verdict: 'passed', checks: 2, failedChecks: 0 });
        expect(w.analysis!.measurements.map((m) => `${m.target} ${m.metric} ${m.verdict}`)).toEqual([
          `${w.namespaces[0]} request-success-rate pass`,
          `${w.namespaces[0]} request-duration-p99 pass`,
        ]);
      }
      const thread = threadOf(s, r);
      for (const w of [1, 2]) {
        const [table] = tables(s, r, w);
        const [chart] = charts(s, r, w);
        expect(table?.text).toContain('traffic analysis passed');
        expect(JSON.stringify(table!.blocks)).not.toContain('could not be drawn');
        expectChart(chart, r);
        const diff = thread.findIndex((m) => m.text.includes(`Proxy-status diff after wave ${w} `));
        expect(thread.indexOf(table!)).toBeLessThan(thread.indexOf(chart!));
        expect(thread.indexOf(chart!)).toBeLessThan(diff);
      }
      await expectPodsOn(NS, R_NEW, NEW);
      await expectUninstalled(R_OLD);
      expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
      console.log(`[scenarios 13] 13.1 in ${secs(t)} s`);
    },
  );
});
