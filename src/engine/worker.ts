/**
 * The BullMQ worker: runs the one current step job of each upgrade. A job acts only if the record
 * says it is the current run (same `seq`, state running / rolling_back); anything else is a stale or
 * duplicate job and is dropped after making sure the current one is queued. Steps are idempotent
 * and checkpoint before their side effects, so a stalled job re-run after a crash converges.
 */
import { randomUUID } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { currentRun, type StepRun } from '../domain/upgrade/order.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import { type ExpiryJobData, jobIdFor, QUEUE_NAME } from './queue.js';
import { runStep } from './run-step.js';
import { advance, ensureScheduled, isoNow, notifySafely, type Runtime } from './runtime.js';
import { throttled } from './throttle.js';

/** Longest wait for the job that holds an upgrade (a step still running its own course). */
const MAX_TAKEOVER_WAIT_MS = 60 * 60_000;

export interface WorkerOptions {
  /** Upgrades processed at once by this process (each upgrade has one job at a time). Default 4. */
  concurrency?: number;
  /** BullMQ lock (default 30 s) and stalled-check interval (default 30 s); short in tests. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** How often a running step re-reads its record to notice pause/rollback/abort (default 1 s). */
  watchMs?: number;
  /** How often the worker makes sure every active upgrade has its job (default 60 s). */
  reconcileMs?: number;
}

async function processJob(rt: Runtime, job: Job, o: Required<WorkerOptions>): Promise<string> {
  if (job.name === 'expire') {
    const d = job.data as ExpiryJobData;
    const res = await advance(rt, d.id, { type: 'expire', nonce: d.nonce, at: isoNow(rt) });
    return res.ok ? 'expired' : 'not pending';
  }
  const run = job.data as StepRun;
  const record = await rt.store.get(run.id);
  if (!record) return 'no record';
  const cur = currentRun(record);
  if (!cur || cur.seq !== run.seq || cur.step !== run.step) {
    await ensureScheduled(rt, record);
    return 'stale';
  }
  // One token per processor call: a copy of this job re-run after a lost lock waits for this one.
  // A run that takes over (rollback, abort) waits for the superseded step to stop: it is cancelled
  // within seconds, and a cut-off worker's token lapses after the lease time. Waiting never ends the
  // upgrade `stopped`: it ends when the token is free or when this run is no longer current.
  const token = `${job.id}#${randomUUID()}`;
  const deadline = Date.now() + MAX_TAKEOVER_WAIT_MS;
  let fresh: UpgradeRecord = record;
  for (;;) {
    if (await rt.store.acquireRunner(run.id, token, o.lockDurationMs)) {
      const again = await rt.store.get(run.id);
      const c = again ? currentRun(again) : null;
      if (again && c && c.seq === run.seq && c.step === run.step) {
        fresh = again;
        break;
      }
      await rt.store.releaseRunner(run.id, token);
      if (again) await ensureScheduled(rt, again);
      return 'stale';
    }
    const r = await rt.store.get(run.id);
    const c = r ? currentRun(r) : null;
    if (!r || !c || c.seq !== run.seq || c.step !== run.step) {
      if (r) await ensureScheduled(rt, r);
      return 'stale';
    }
    if (Date.now() > deadline)
      throw new Error(`upgrade ${run.id}: another job held it for ${MAX_TAKEOVER_WAIT_MS / 60_000} min`);
    await new Promise((res) => setTimeout(res, 50));
  }
  try {
    await runStep(rt, run, fresh, token, o);
  } finally {
    await rt.store.releaseRunner(run.id, token);
  }
  return 'ran';
}

export async function startWorker(
  rt: Runtime,
  redis: RedisOptions,
  prefix: string,
  opts: WorkerOptions = {},
) {
  const o: Required<WorkerOptions> = {
    concurrency: opts.concurrency ?? 4,
    lockDurationMs: opts.lockDurationMs ?? 30_000,
    stalledIntervalMs: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 2,
    watchMs: opts.watchMs ?? 1_000,
    reconcileMs: opts.reconcileMs ?? 60_000,
  };
  const worker = new Worker(QUEUE_NAME, (job) => processJob(rt, job, o), {
    connection: { ...redis, maxRetriesPerRequest: null },
    prefix,
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
  });
  worker.on(
    'error',
    throttled((f, m) => rt.logger.warn(f, m), 'worker error'),
  );
  const stopFor = (run: StepRun, cause: string) =>
    advance(rt, run.id, {
      type: 'step_failed',
      step: run.step,
      seq: run.seq,
      at: isoNow(rt),
      code: 'engine_error',
      cause,
    });
  worker.on('failed', (job, e) => {
    if (!job || job.name === 'expire') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    rt.logger.error({ err: e, jobId: job.id, final }, 'job failed');
    if (final)
      void stopFor(job.data as StepRun, `the engine could not run this step: ${e.message}`).catch((err) =>
        rt.logger.error({ err }, 'could not stop upgrade after job failure'),
      );
  });
  // Every active upgrade gets its one job; a current job BullMQ gave up on (stalled too often, or
  // out of attempts while this process was down) stops the upgrade with the reason instead.
  // On start, the events a crash may have swallowed between the write and the notification are sent
  // again with their original keys (the notifier skips keys it already posted).
  const reconcile = async (announce: boolean) => {
    for (const r of await rt.store.list({ activeOnly: true, limit: 10_000 })) {
      const run = currentRun(r);
      const job = run ? await rt.queue.queue.getJob(jobIdFor(run)) : undefined;
      if (run && job && (await job.isFailed())) await stopFor(run, `job failed: ${job.failedReason}`);
      else await ensureScheduled(rt, r);
      if (!announce) continue;
      if (r.state === 'awaiting_approval' && r.approval)
        await notifySafely(rt, {
          type: 'approval_requested',
          key: `${r.id}:approval:${r.approval.nonce}`,
          record: r,
        });
      if (r.state === 'stopped')
        await notifySafely(rt, { type: 'stopped', key: `${r.id}:stopped:${(r.seq ?? 1) - 1}`, record: r });
      // a scheduled start (progressive mode) whose announcement a crash may have swallowed
      if (r.state === 'running' && r.autoStart)
        await notifySafely(rt, { type: 'auto_start', key: `${r.id}:auto:${r.seq ?? 0}`, record: r });
    }
  };
  await worker.waitUntilReady();
  await reconcile(true).catch((e) => rt.logger.warn({ err: e }, 'reconcile failed'));
  const timer = setInterval(
    () => void reconcile(false).catch((e) => rt.logger.warn({ err: e }, 'reconcile failed')),
    o.reconcileMs,
  );
  return {
    worker,
    async close() {
      clearInterval(timer);
      await worker.close();
    },
  };
}
