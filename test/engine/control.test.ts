// Pause / resume / abort, approval expiry, a failed step stops the upgrade (retry, rollback, abort).
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import { QUEUE_NAME, type StepJobData } from '../../src/engine/queue.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/**
 * The step jobs of upgrade `id` in the engine's queue, by state: what will run (`waiting`, `delayed`,
 * `prioritized`), what runs (`active`) and what ran (`completed`, `failed`, kept 24 h).
 */
async function stepJobs(prefix: string, id: string) {
  const q = new Queue<StepJobData>(QUEUE_NAME, {
    connection: { ...REDIS, maxRetriesPerRequest: null },
    prefix,
  });
  try {
    const states = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'] as const;
    const out = {} as Record<(typeof states)[number], string[]>;
    for (const st of states)
      out[st] = (await q.getJobs([st]))
        .filter((j) => j?.name !== 'expire' && j?.data?.id === id)
        .map((j) => `${j.data.step}${j.data.wave === undefined ? '' : `-w${j.data.wave}`}`)
        .sort();
    return out;
  } finally {
    await q.close();
  }
}

async function setup(tag: string, extra: Parameters<typeof testEngine>[3] = {}, tickMs = 20) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, undefined, tickMs);
  const notifier = new RecordingNotifier();
  engine = testEngine(prefix, standinRegistry([cluster]), notifier, extra);
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  const e = engine;
  const until = (p: (r: UpgradeRecord) => boolean) =>
    waitUntil(async () => {
      const r = await e.service.get(req.value.id);
      return r && p(r) ? r : null;
    });
  return { cluster, notifier, prefix, id: req.value.id, service: e.service, until };
}

describe('approval expiry', () => {
  it('an expired approval pauses the upgrade and says so; resume asks again with a new nonce', async () => {
    const { id, service, notifier, until } = await setup('exp', { approvalTtlMs: 150 });
    const waiting = await until((r) => r.state === 'awaiting_approval');
    const paused = await until((r) => r.state === 'paused');
    expect(paused.decisions.at(-1)).toMatchObject({ outcome: 'expired', by: 'engine', wave: 1 });
    const said = notifier.events.find((e) => e.type === 'state_changed' && e.reason?.includes('expired'));
    expect(said?.record.state).toBe('paused');
    expect(await service.approve({ id, nonce: waiting.approval!.nonce, actor: ALICE })).toMatchObject({
      ok: false,
      error: { code: 'step_not_pending', message: expect.stringContaining('expired by engine') },
    });
    const resumed = await service.resume(id, BOB);
    if (!resumed.ok) throw new Error(resumed.error.message);
    expect(resumed.value.state).toBe('awaiting_approval');
    expect(resumed.value.approval?.nonce).not.toBe(waiting.approval!.nonce);
    expect(await service.approve({ id, nonce: resumed.value.approval!.nonce, actor: ALICE })).toMatchObject({
      ok: true,
    });
    await until((r) => r.currentWave === 2 || r.state === 'paused');
  });
});

describe('pause / resume / abort', () => {
  it('pause while a step runs lets it finish and holds; resume continues to the end', async () => {
    const { id, prefix, service, until, cluster } = await setup('pause', {}, 300);
    // wait_rollouts takes 2 s more, so the pause lands while it runs even on a loaded machine
    await cluster.setDelay('restarter.waitForRollouts', 2_000);
    // the step's job must have started (the record names the next step before its job runs; a pause
    // then would hold before it, not while it runs)
    await approveUntilEnd(service, id, {
      stopWhen: (r) =>
        r.step === 'wait_rollouts' &&
        r.audit.some((a) => a.action === 'step_started' && a.detail?.startsWith('wait_rollouts')),
    });
    const p = await service.pause(id, BOB);
    expect(p).toMatchObject({ ok: true, value: { state: 'paused' } });
    const held = await until((r) => r.step === 'verify_sidecars');
    expect(held.state).toBe('paused');
    await cluster.setDelay('restarter.waitForRollouts', 0);
    // Held: once the step that ran has finished, nothing of the upgrade is queued or running, and
    // verify_sidecars was never queued (a pause that only changed the state would have queued it).
    await expect.poll(async () => (await stepJobs(prefix, id)).active, { timeout: 10_000 }).toEqual([]);
    const jobs = await stepJobs(prefix, id);
    expect([jobs.waiting, jobs.delayed, jobs.prioritized]).toEqual([[], [], []]);
    expect([...jobs.completed, ...jobs.failed]).not.toContain('verify_sidecars-w1');
    expect(jobs.completed).toContain('wait_rollouts-w1');
    expect(await service.get(id)).toMatchObject({ state: 'paused', step: 'verify_sidecars' });
    expect(await service.pause(id, BOB)).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect(await service.resume(id, BOB)).toMatchObject({ ok: true, value: { state: 'running' } });
    expect((await approveUntilEnd(service, id, { timeoutMs: 20_000 })).state).toBe('done');
  }, 30_000);

  it('abort stops where it is and frees the cluster', async () => {
    const { id, service, cluster } = await setup('abort');
    const r = await approveUntilEnd(service, id, { stopWhen: (x) => x.state === 'awaiting_approval' });
    expect(r.step).toBe('await_wave_approval');
    const a = await service.abort(id, BOB);
    expect(a).toMatchObject({ ok: true, value: { state: 'aborted' } });
    expect(a.ok && a.value.audit.at(-1)).toMatchObject({
      actor: BOB.user,
      action: 'abort',
      channel: BOB.channel,
    });
    expect(await service.resume(id, BOB)).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect((await cluster.state()).controlPlanes).toHaveLength(2); // nothing undone: abort is not rollback
    expect(await service.request({ command: cmd, requester: ALICE })).toMatchObject({
      ok: false,
      error: { code: 'revision_exists' },
    });
  });
});

describe('a failed step', () => {
  it('stops with a cause; retry runs it again and the upgrade completes', async () => {
    const prefix = uniquePrefix('fail');
    const cluster = await seededCluster('prod', prefix);
    await cluster.failNext('installer.verify', 'verify_failed', 'Deployment istiod-1-24-2 is not available');
    const notifier = new RecordingNotifier();
    engine = testEngine(prefix, standinRegistry([cluster]), notifier);
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const stopped = await approveUntilEnd(engine.service, req.value.id);
    expect(stopped.state).toBe('stopped');
    expect(stopped.stopped).toMatchObject({
      step: 'verify_control_plane',
      code: 'verify_failed',
      cause: expect.stringContaining('istiod-1-24-2'),
    });
    expect(notifier.events.filter((e) => e.type === 'stopped')).toHaveLength(1);
    // No silent retry: the failed step ran once, and once it has finished nothing of the upgrade is
    // queued or running.
    await expect
      .poll(async () => (await stepJobs(prefix, req.value.id)).active, { timeout: 10_000 })
      .toEqual([]);
    const jobs = await stepJobs(prefix, req.value.id);
    expect([jobs.waiting, jobs.delayed, jobs.prioritized]).toEqual([[], [], []]);
    expect([...jobs.completed, ...jobs.failed].filter((j) => j === 'verify_control_plane')).toEqual([
      'verify_control_plane',
    ]);
    expect((await engine.service.get(req.value.id))?.state).toBe('stopped');
    expect(await engine.service.retry(req.value.id, BOB)).toMatchObject({
      ok: true,
      value: { state: 'running' },
    });
    expect((await approveUntilEnd(engine.service, req.value.id)).state).toBe('done');
  });

  it('a failed wave can be rolled back instead', async () => {
    const prefix = uniquePrefix('failrb');
    const cluster = await seededCluster('prod', prefix);
    await cluster.failNext(
      'restarter.waitForRollouts',
      'rollout_failed',
      'deployment "web" exceeded its progress deadline',
    );
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const stopped = await approveUntilEnd(engine.service, req.value.id);
    expect(stopped).toMatchObject({
      state: 'stopped',
      stopped: { step: 'wait_rollouts', code: 'rollout_failed' },
    });
    expect(stopped.waves[0]!.status).toBe('failed');
    await engine.service.rollback({ id: req.value.id, actor: BOB, reason: 'rollout failed' });
    const end = await approveUntilEnd(engine.service, req.value.id);
    expect(end.state).toBe('rolled_back');
    const s = await cluster.state();
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  });
});
