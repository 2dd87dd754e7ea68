// The worker's reconciler: a lost job is re-added; a job BullMQ gave up on stops the upgrade with the reason.
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.js';
import { jobIdFor, QUEUE_NAME } from '../../src/engine/queue.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

const cmd = { kind: 'upgrade' as const, version: '1.24.2', strategy: 'labels' as const, dryRun: false };

describe('reconcile', () => {
  it('a job that vanished (crash between write and enqueue) is added again and the upgrade completes', async () => {
    const prefix = uniquePrefix('lost');
    const cluster = await seededCluster('prod', prefix);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    const req = await engine.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const q = new Queue(QUEUE_NAME, { connection: { ...REDIS, maxRetriesPerRequest: null }, prefix });
    expect(await q.remove(jobIdFor({ id: req.value.id, seq: 1, step: 'plan' }))).toBe(1);
    await q.close();
    await engine.startWorker();
    expect((await approveUntilEnd(engine.service, req.value.id)).state).toBe('done');
  });

  it('a current job BullMQ failed for good stops the upgrade with the reason', async () => {
    const prefix = uniquePrefix('gaveup');
    const cluster = await seededCluster('prod', prefix);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    const req = await engine.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const grab = new Worker(QUEUE_NAME, null, {
      connection: { ...REDIS, maxRetriesPerRequest: null },
      prefix,
      autorun: false,
    });
    const job = await grab.getNextJob('t1');
    if (!job) throw new Error('no job');
    job.discard();
    await job.moveToFailed(new Error('job stalled more than allowable limit'), 't1');
    await grab.close();
    await engine.startWorker();
    const r = await waitUntil(async () => {
      const x = await engine!.service.get(req.value.id);
      return x?.state === 'stopped' ? x : null;
    });
    expect(r.stopped).toMatchObject({
      step: 'plan',
      code: 'engine_error',
      cause: expect.stringContaining('stalled'),
    });
    expect(await engine.service.retry(req.value.id, ALICE)).toMatchObject({ ok: true });
    expect((await approveUntilEnd(engine.service, req.value.id)).state).toBe('done');
  });

  it('a starting worker re-sends the open approval request with its original key', async () => {
    const prefix = uniquePrefix('announce');
    const cluster = await seededCluster('prod', prefix);
    const notifier = new RecordingNotifier();
    engine = testEngine(prefix, standinRegistry([cluster]), notifier);
    const first = await engine.startWorker();
    const req = await engine.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const waiting = await waitUntil(async () => {
      const x = await engine!.service.get(req.value.id);
      return x?.state === 'awaiting_approval' ? x : null;
    });
    await first.close();
    const key = `${req.value.id}:approval:${waiting.approval!.nonce}`;
    expect(notifier.events.filter((e) => e.key === key)).toHaveLength(1);
    await engine.startWorker();
    expect(notifier.events.filter((e) => e.key === key)).toHaveLength(2); // same key: the notifier skips it
  });
});
