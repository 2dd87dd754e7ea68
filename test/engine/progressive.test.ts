// Progressive mode through the engine (ADR 15), on real Redis and BullMQ with the stand-in cluster and
// the stand-in analysis port: a passed wave starts the next one after the bake time without a click
// (a delayed job), wave 1 and the finish are still approved; a pause in the bake time cancels the
// start and resume asks a person; the start survives a restart of every process; outside the change
// window it waits for the window's start; `--analysis` / `--auto` refusals change nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { Calendar } from '../../src/domain/calendar.js';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Policy } from '../../src/domain/policy.js';
import {
  type AnalysisSpec,
  DEFAULT_CONTROL_PLANE,
  DEFAULT_METRICS,
} from '../../src/domain/upgrade/analysis.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterRegistry, UpgradeEvent } from '../../src/engine/ports.js';
import { AnalysisStandin, registryWithAnalysis } from '../support/cluster-standin-analysis.js';
import {
  ALICE,
  approveUntilEnd,
  meshState,
  openPolicy,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const SPEC: AnalysisSpec = {
  name: 'default',
  intervalMs: 100,
  count: 1,
  failureLimit: 0,
  baselineMs: 1_000,
  perWorkload: false,
  onFailure: 'pause',
  metrics: DEFAULT_METRICS,
  controlPlane: DEFAULT_CONTROL_PLANE,
};
const cmd: UpgradeCommand = {
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  waves: [['app-a'], ['app-b'], ['app-c']],
};

let engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close();
  engines = [];
});

function policyWith(prod: Partial<Policy['clusters'][string]>): Policy {
  const p = openPolicy(['prod']);
  p.clusters.prod = { channels: ['*'], analysis: SPEC, ...prod };
  return p;
}

async function start(
  policy: Policy,
  o: {
    verdicts?: ('passed' | 'failed')[];
    clock?: { now(): number };
    command?: Partial<UpgradeCommand>;
  } = {},
) {
  const prefix = uniquePrefix('progressive');
  const cluster = await seededCluster('prod', prefix, meshState(3));
  const notifier = new RecordingNotifier();
  const analysis = new AnalysisStandin(o.verdicts ?? []);
  const registry = registryWithAnalysis(cluster, analysis);
  const make = () => {
    const e = testEngine(prefix, registry, notifier, { policy, ...(o.clock ? { clock: o.clock } : {}) });
    engines.push(e);
    return e;
  };
  const engine = make();
  await engine.startWorker();
  const req = await engine.service.request({ command: { ...cmd, ...o.command }, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  return { engine, make, notifier, analysis, id: req.value.id, registry: registry as ClusterRegistry };
}

const autoEvents = (n: RecordingNotifier) =>
  n.events.filter((e): e is Extract<UpgradeEvent, { type: 'auto_start' }> => e.type === 'auto_start');
const approvedBy = (r: UpgradeRecord) =>
  r.decisions.filter((d) => d.outcome === 'approved').map((d) => `${d.wave ?? 'finish'}:${d.by}`);
const until = (e: Engine, id: string, ok: (r: UpgradeRecord) => boolean, ms = 30_000) =>
  waitUntil(
    async () => {
      const r = await e.service.get(id);
      return r && ok(r) ? r : null;
    },
    ms,
    50,
  );

describe('progressive mode', () => {
  it('waves 2 and 3 start after the bake time without a click; wave 1 and the finish are approved', async () => {
    const { engine, id, notifier, analysis } = await start(
      policyWith({ progressive: { bakeMs: 600, autoFirstWave: false, autoFinish: false } }),
    );
    const approvals: string[] = [];
    const end = await waitUntil(
      async () => {
        const r = await engine.service.get(id);
        if (!r) return null;
        if (['done', 'stopped', 'paused'].includes(r.state)) return r;
        if (r.state === 'awaiting_approval' && r.approval) {
          approvals.push(r.approval.wave ? `wave ${r.approval.wave}` : 'finish');
          await engine.service.approve({ id, nonce: r.approval.nonce, actor: ALICE });
        }
        return null;
      },
      40_000,
      30,
    );
    expect(end.state).toBe('done');
    expect([...new Set(approvals)]).toEqual(['wave 1', 'finish']);
    expect(approvedBy(end)).toEqual(['1:U0ALICE', '2:engine', '3:engine', 'finish:U0ALICE']);
    expect(end.progressive).toMatchObject({ bakeMs: 600, source: 'policy' });
    // the control-plane gate is asked for in wave 1 only, for the new revision
    expect(analysis.requests.map((q) => q.controlPlane?.revision ?? null)).toEqual(['1-24-2', null, null]);
    const auto = autoEvents(notifier).map((e) => e.record.autoStart);
    expect(auto.map((a) => `${a?.wave} ${a?.reason}`)).toEqual([
      '2 progressive, wave 1 analysis passed',
      '3 progressive, wave 2 analysis passed',
    ]);
    // each wave started no earlier than its scheduled time: the bake time after the previous wave
    for (const w of [2, 3]) {
      const at = Date.parse(end.waves[w - 1]!.startedAt!);
      const prevDone = Date.parse(end.waves[w - 2]!.finishedAt!);
      expect(at - prevDone).toBeGreaterThanOrEqual(600 - 50);
    }
  }, 60_000);

  it('a failed wave schedules nothing: paused; resumed and passed, wave 2 is scheduled', async () => {
    const { engine, id } = await start(
      policyWith({ progressive: { bakeMs: 200, autoFirstWave: false, autoFinish: false } }),
      { verdicts: ['failed'] },
    );
    const paused = await approveUntilEnd(engine.service, id, {
      timeoutMs: 30_000,
      stopWhen: (r) => r.state === 'paused',
    });
    expect(paused).toMatchObject({ step: 'analyze_wave', currentWave: 1 });
    expect(paused.autoStart).toBeUndefined();
    expect((await engine.service.resume(id, ALICE)).ok).toBe(true);
    // the analysis runs again (passes now), then wave 2 is scheduled by itself
    const scheduled = await until(engine, id, (r) => !!r.autoStart);
    expect(scheduled.autoStart).toMatchObject({ wave: 2 });
  }, 40_000);

  it('a pause in the bake time cancels the start; resume asks for an approval', async () => {
    const { engine, id } = await start(
      policyWith({ progressive: { bakeMs: 2_500, autoFirstWave: false, autoFinish: false } }),
    );
    const scheduled = await approveUntilEnd(engine.service, id, {
      timeoutMs: 30_000,
      stopWhen: (r) => !!r.autoStart,
    });
    expect(scheduled).toMatchObject({ state: 'running', step: 'await_wave_approval', currentWave: 2 });
    expect((await engine.service.pause(id, ALICE)).ok).toBe(true);
    // well past the scheduled time: nothing started
    await new Promise((r) => setTimeout(r, 3_500));
    const still = await engine.service.get(id);
    expect(still).toMatchObject({ state: 'paused', step: 'await_wave_approval', currentWave: 2 });
    expect(still?.waves[1]?.startedAt).toBeUndefined();
    expect(still?.autoStart).toBeUndefined();
    expect((await engine.service.resume(id, ALICE)).ok).toBe(true);
    const asked = await until(engine, id, (r) => r.state === 'awaiting_approval');
    expect(asked.approval).toMatchObject({ step: 'await_wave_approval', wave: 2 });
  }, 40_000);

  it('the scheduled start survives a restart of every process (a delayed job in Redis)', async () => {
    const { engine, make, id, notifier } = await start(
      policyWith({ progressive: { bakeMs: 2_000, autoFirstWave: false, autoFinish: false } }),
    );
    await approveUntilEnd(engine.service, id, { timeoutMs: 30_000, stopWhen: (r) => !!r.autoStart });
    await engine.close();
    engines = engines.filter((e) => e !== engine);
    const again = make();
    await again.startWorker();
    const r = await until(
      again,
      id,
      (x) => x.waves[1]!.status === 'running' || x.waves[1]!.status === 'done',
    );
    expect(approvedBy(r)).toEqual(['1:U0ALICE', '2:engine']);
    // the new worker announced the scheduled start again under the same key (the notifier posts it once)
    const wave2 = autoEvents(notifier).filter((e) => e.record.autoStart?.wave === 2);
    expect(wave2.length).toBeGreaterThanOrEqual(2);
    expect(new Set(wave2.map((e) => e.key)).size).toBe(1);
  }, 40_000);

  it('outside the change window the start waits for the window’s start (wave 1 too, with autoFirstWave)', async () => {
    // Europe/Berlin, Monday 7 Dec 2026, 09:01:50: the window opens at 09:02.
    const windows: Calendar['windows'] = [
      { days: [1], from: '09:02', to: '10:00', timeZone: 'Europe/Berlin' },
    ];
    const t0 = Date.now();
    const startAt = Date.parse('2026-12-07T08:01:50Z');
    const clock = { now: () => startAt + (Date.now() - t0) };
    const { engine, id, notifier } = await start(
      policyWith({ windows, progressive: { bakeMs: 300, autoFirstWave: true, autoFinish: false } }),
      { clock },
    );
    const deferred = await until(engine, id, (r) => !!r.autoStart?.deferred, 8_000);
    expect(deferred).toMatchObject({ state: 'running', step: 'await_wave_approval', currentWave: 1 });
    expect(deferred.autoStart).toMatchObject({
      at: '2026-12-07T08:02:00.000Z',
      reason: 'progressive, the control plane is ready',
    });
    expect(deferred.autoStart?.deferred).toMatch(/outside its change windows/);
    expect(autoEvents(notifier).at(-1)?.record.autoStart?.deferred).toBeDefined();
    const started = await until(engine, id, (r) => !!r.waves[0]!.startedAt, 20_000);
    expect(Date.parse(started.waves[0]!.startedAt!)).toBeGreaterThanOrEqual(
      Date.parse('2026-12-07T08:02:00Z'),
    );
    expect(approvedBy(started)).toEqual(['1:engine']);
  }, 40_000);

  it('--analysis and --auto refusals name what to do and create nothing', async () => {
    const { engine } = await start(policyWith({ analyses: { strict: { ...SPEC, name: 'strict' } } }), {
      command: { waves: [['app-a']] },
    });
    await engine.service.abort((await engine.service.list({ activeOnly: true }))[0]!.id, ALICE);
    await until(engine, (await engine.service.list({ limit: 1 }))[0]!.id, (r) => r.state === 'aborted');
    const ask = (c: Partial<UpgradeCommand>) =>
      engine.service.request({ command: { ...cmd, ...c }, requester: ALICE });
    const unknown = await ask({ analysis: 'lax' });
    expect(!unknown.ok && `${unknown.error.message} ${unknown.error.hint}`).toBe(
      'Cluster prod has no traffic analysis named "lax". Its analyses: default, strict.',
    );
    const none = await ask({ analysis: 'none' });
    expect(!none.ok && none.error.code).toBe('analysis_required');
    expect((await engine.service.list({ activeOnly: true })).length).toBe(0);
    const strict = await ask({ analysis: 'strict', auto: true });
    expect(strict.ok && strict.value.analysis?.name).toBe('strict');
    expect(strict.ok && strict.value.progressive).toMatchObject({ source: 'command', bakeMs: 600_000 });
    expect(strict.ok && strict.value.audit[0]?.detail).toBe(
      '1.23.1 → 1.24.2 (labels, analysis strict, progressive (--auto, bake 600s))',
    );
  }, 30_000);
});
