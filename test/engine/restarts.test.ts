// Restarts exactly once: the wave's restartedAt stamp comes from the upgrade id and the wave (no
// clock), so a Redis that lost the write of the stamp restarts nothing twice; a rollback restarts only
// the workloads whose pods run the canary.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import { UpgradeStore } from '../../src/engine/store.js';
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

const cmd: UpgradeCommand = {
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  waves: [['app-a', 'app-b'], ['app-c']],
};
let engine: Engine | undefined;
let store: UpgradeStore | undefined;
afterEach(async () => {
  await engine?.close();
  await store?.close();
  engine = store = undefined;
});

async function setup(tag: string) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, undefined, 100);
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  await engine.startWorker();
  store = new UpgradeStore({ redis: REDIS, prefix, clock: { now: Date.now } });
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  return { cluster, id: req.value.id, service: engine.service, store };
}

describe('restart stamps', () => {
  it('a wave whose stored stamp was lost is re-run with the same stamp: no workload restarts twice', async () => {
    const { cluster, id, service, store } = await setup('stamp');
    await approveUntilEnd(service, id, {
      stopWhen: (r) => r.step === 'wait_rollouts' && r.currentWave === 1,
    });
    // Redis lost its last writes: the record is back at restart_workloads of wave 1, without its stamp.
    const lost = await store.update(id, (r) => {
      r.step = 'restart_workloads';
      r.state = 'running';
      r.seq = (r.seq ?? 0) + 1;
      delete r.waves[0]!.restartedAt;
      return { ok: true, value: { record: r, value: null } };
    });
    expect(lost.ok).toBe(true);
    const end = await approveUntilEnd(service, id, { timeoutMs: 30_000 });
    expect(end.state, JSON.stringify(end.stopped)).toBe('done');
    const restarts = await cluster.restarts();
    expect(restarts.map((x) => x.restartedAt).sort()).toEqual([
      ...Array(4).fill(`${id}/wave-1`),
      ...Array(2).fill(`${id}/wave-2`),
    ]);
    expect(new Set(restarts.map((x) => x.workload)).size).toBe(6);
  }, 40_000);
});

describe('rollback restarts', () => {
  it('only the workloads whose pods run the canary are restarted by a rollback', async () => {
    const { cluster, id, service } = await setup('rbonly');
    await approveUntilEnd(service, id, {
      stopWhen: (r) => r.state === 'awaiting_approval' && r.approval?.wave === 2,
    });
    // Someone moved app-b's db back by hand: its pods no longer run the canary.
    await cluster.mutate((s) => {
      const db = s.workloads.find((w) => w.namespace === 'app-b' && w.name === 'db')!;
      db.podRevision = '1-23-1';
    });
    const rb = await service.rollback({ id, actor: BOB, reason: 'drill' });
    expect(rb.ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    }, 20_000);
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    const back = (await cluster.restarts()).filter((x) => x.restartedAt.endsWith('/rollback'));
    expect(back.map((x) => x.workload).sort()).toEqual([
      'app-a/Deployment/web',
      'app-a/StatefulSet/db',
      'app-b/Deployment/web',
    ]);
    expect(back[0]?.restartedAt).toBe(`${id}/wave-1/rollback`);
    const pods = (await cluster.state()).workloads.filter((w) => w.namespace === 'app-b');
    expect(pods.map((w) => w.podRevision)).toEqual(['1-23-1', '1-23-1']);
  }, 40_000);
});
