// A full upgrade and a full rollback through the engine, against the stand-in cluster and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd = (over: Partial<UpgradeCommand> = {}): UpgradeCommand => ({
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  ...over,
});

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('engine: full upgrade', () => {
  it('moves every wave, flips the default tag and removes the old control plane', async () => {
    const prefix = uniquePrefix('flow');
    const cluster = await seededCluster('prod', prefix);
    const notifier = new RecordingNotifier();
    engine = testEngine(prefix, standinRegistry([cluster]), notifier);
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd(), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    expect(req.value.id).toMatch(/^up-[a-z0-9]{4}$/);
    expect(req.value.waves.map((w) => w.namespaces)).toEqual([['app-a'], ['app-b', 'app-c']]);

    const end = await approveUntilEnd(engine.service, req.value.id);
    expect(end.state).toBe('done');
    expect(end.stopped).toBeUndefined();
    const s = await cluster.state();
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
    expect(s.tags).toContainEqual({ tag: 'default', revision: '1-24-2' });
    expect(s.tags).toContainEqual({ tag: 'prod-stable', revision: '1-24-2' });
    expect(s.workloads.every((w) => w.podRevision === '1-24-2')).toBe(true);
    expect(s.gateways[0]!.revision).toBe('1-24-2');
    for (const ns of ['app-a', 'app-b', 'app-c'])
      expect(s.namespaces.find((n) => n.name === ns)).toMatchObject({ injection: null, rev: '1-24-2' });
    // one restart per workload, with its wave's stamp
    const restarts = await cluster.restarts();
    expect(restarts).toHaveLength(6);
    for (const w of end.waves) {
      expect(w.status).toBe('done');
      expect(w.approvedBy).toBe(ALICE.user);
      expect(w.diff?.moved).toBe(w.namespaces.length * 2); // web and db of each namespace
      expect(restarts.filter((x) => x.restartedAt === w.restartedAt)).toHaveLength(w.namespaces.length * 2);
    }
    expect(end.compensations).toEqual([]);
    expect(await engine.service.list({ activeOnly: true })).toEqual([]);
    const types = new Set(notifier.events.map((e) => e.type));
    for (const t of [
      'planned',
      'step_started',
      'step_finished',
      'approval_requested',
      'approval_decided',
      'wave_diff',
    ])
      expect(types).toContain(t);
    // the first wave's diff: exactly app-a's two workloads moved from 1-23-1 to 1-24-2
    const diff = notifier.events.find((e) => e.type === 'wave_diff');
    expect(diff && 'diff' in diff ? (diff.diff as { moved: unknown[] }).moved : null).toHaveLength(2);
    expect(end.audit.map((a) => a.action)).toContain('approved');
  }, 30_000);

  it('a downgrade runs the same procedure with the roles reversed', async () => {
    const prefix = uniquePrefix('down');
    const cluster = await seededCluster('prod', prefix);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd({ version: '1.22.4' }), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    expect(req.value).toMatchObject({ move: 'downgrade', to: { revision: '1-22-4' } });
    expect((await approveUntilEnd(engine.service, req.value.id)).state).toBe('done');
    const s = await cluster.state();
    expect(s.controlPlanes).toEqual([{ revision: '1-22-4', version: '1.22.4', ready: true }]);
    expect(s.workloads.every((w) => w.podRevision === '1-22-4')).toBe(true);
  });

  it('a dry run stops after the plan', async () => {
    const prefix = uniquePrefix('dry');
    const cluster = await seededCluster('prod', prefix);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd({ dryRun: true }), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const end = await waitUntil(async () => {
      const r = await engine!.service.get(req.value.id);
      return r?.state === 'planned' ? r : null;
    });
    expect(end.step).toBe('plan');
    expect((await cluster.state()).controlPlanes).toHaveLength(1);
    const again = await engine.service.request({ command: cmd(), requester: ALICE });
    expect(again.ok).toBe(true);
  });
});

describe('engine: full rollback', () => {
  it('undoes the completed waves in reverse, moves gateways back and uninstalls the canary', async () => {
    const prefix = uniquePrefix('rb');
    const cluster = await seededCluster('prod', prefix);
    const notifier = new RecordingNotifier();
    engine = testEngine(prefix, standinRegistry([cluster]), notifier);
    await engine.startWorker();
    const req = await engine.service.request({
      command: cmd({ waves: [['app-a'], ['app-b'], ['app-c']] }),
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const at3 = await approveUntilEnd(engine.service, id, {
      stopWhen: (r) => r.state === 'awaiting_approval' && r.approval?.wave === 3,
    });
    expect(at3.waves.map((w) => w.status)).toEqual(['done', 'done', 'awaiting_approval']);
    const rb = await engine.service.rollback({ id, actor: BOB, reason: 'p99 latency up' });
    if (!rb.ok) throw new Error(rb.error.message);
    expect(rb.value.state).toBe('rolling_back');
    const end = await waitUntil(async () => {
      const r = await engine!.service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state).toBe('rolled_back');
    expect(end.rollback).toMatchObject({ by: BOB.user, reason: 'p99 latency up', channel: BOB.channel });
    expect(end.waves.map((w) => w.status)).toEqual(['rolled_back', 'rolled_back', 'awaiting_approval']);
    const s = await cluster.state();
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
    expect(s.gateways[0]!.revision).toBe('1-23-1');
    expect(s.namespaces.find((n) => n.name === 'app-a')).toMatchObject({ injection: 'enabled', rev: null });
    expect(s.namespaces.find((n) => n.name === 'app-b')).toMatchObject({ injection: null, rev: '1-23-1' });
    // reverse order: wave 2 undone before wave 1
    const compensated = end.audit.filter(
      (a) => a.action === 'step_started' && a.detail?.startsWith('compensate'),
    );
    // waves 2 and 1, gateways back, the install's tags, the canary
    expect(compensated.length).toBe(5);
    expect(end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail)).toEqual([
      'move_namespaces_back',
      'move_namespaces_back',
      'move_gateways_back',
      'restore_tags',
      'uninstall_canary',
    ]);
    expect(await engine.service.request({ command: cmd(), requester: ALICE })).toMatchObject({ ok: true });
  }, 30_000);

  it('rollback during a running wave stops the wave first', async () => {
    const prefix = uniquePrefix('rbw');
    const cluster = await seededCluster('prod', prefix, undefined, 400);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd(), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    await approveUntilEnd(engine.service, id, { stopWhen: (r) => r.step === 'wait_rollouts' });
    const rb = await engine.service.rollback({ id, actor: BOB, reason: 'errors', uninstallCanary: false });
    expect(rb.ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await engine!.service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state).toBe('rolled_back');
    const s = await cluster.state();
    expect(s.controlPlanes.map((c) => c.revision).sort()).toEqual(['1-23-1', '1-24-2']);
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
  }, 30_000);
});
