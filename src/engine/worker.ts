/**
 * The BullMQ worker: runs the one current step job of each upgrade. A job acts only if the record
 * says it is the current run (same `seq`, state running / rolling_back); anything else is a stale or
 * duplicate job and is dropped after making sure the current one is queued. Steps are idempotent
 * and checkpoint before their side effects, so a stalled job re-run after a crash converges.
 */
import { randomUUID } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { ok } from '../domain/result.js';
import { currentRun, type StepRun } from '../domain/upgrade/order.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import { guard, within } from './guard-ports.js';
import { portsFor } from './installers.js';
import { type ExpiryJobData, jobIdFor, QUEUE_NAME } from './queue.js';
import {
  advance,
  applyAfterCommit,
  commit,
  ensureScheduled,
  isoNow,
  notifySafely,
  type Runtime,
  StepFailure,
  Superseded,
} from './runtime.js';
import { HANDLERS, type StepContext, StepDeferred, StepHalted } from './steps/index.js';
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

const stillCurrent = (r: UpgradeRecord, run: StepRun) =>
  (r.seq ?? 0) === run.seq && ['running', 'rolling_back', 'paused', 'aborting'].includes(r.state);

/** Runs with no thread messages of their own (plan posts the plan; finish_abort the state change; a
 * scheduled start of progressive mode was announced when it was scheduled). */
const QUIET: ReadonlySet<string> = new Set([
  'plan',
  'finish_abort',
  'await_wave_approval',
  'await_finish_approval',
]);

async function runStep(
  rt: Runtime,
  run: StepRun,
  record: UpgradeRecord,
  token: string,
  o: Required<WorkerOptions>,
) {
  const handler = HANDLERS[run.step];
  const cluster = rt.clusters.get(record.cluster);
  const log = rt.logger.child({ upgradeId: run.id, cluster: record.cluster, step: run.step, seq: run.seq });
  const ac = new AbortController();
  // The lease: renewed every watchMs. A worker that cannot renew it within the lease time (cut off from
  // Redis, or the token taken over) cancels its own step; so does one whose run is superseded.
  let renewedAt = Date.now();
  let ticking = false;
  const fenced = (why: string) => {
    if (ac.signal.aborted) return;
    log.warn({ why }, 'step cancelled: this worker no longer holds the run');
    ac.abort(new Superseded(why));
  };
  const watch = setInterval(() => {
    if (Date.now() - renewedAt > o.lockDurationMs) fenced('lease not renewed within the lease time');
    if (ticking || ac.signal.aborted) return;
    ticking = true;
    void (async () => {
      const held = await rt.store.refreshRunner(run.id, token, o.lockDurationMs);
      if (!held) return fenced('lease taken over');
      renewedAt = Date.now();
      const r = await rt.store.get(run.id);
      if (!r || !stillCurrent(r, run)) ac.abort(new Superseded('run superseded'));
    })()
      .catch((e) => log.warn({ err: e }, 'watch failed'))
      .finally(() => {
        ticking = false;
      });
  }, o.watchMs);
  const fence = async () => {
    const ms = Math.max(200, Math.min(2_000, o.lockDurationMs / 3));
    const ok = await within(rt.store.fence(run.id, token, run.seq), ms, 'fence').catch(() => false);
    if (!ok) {
      fenced("fence: the run is no longer this worker's");
      throw new Superseded('fenced before a cluster change');
    }
  };
  try {
    if (!handler || !cluster)
      throw new StepFailure(
        'engine_error',
        !cluster ? `unknown cluster ${record.cluster}` : `no handler for ${run.step}`,
      );
    const checkpoint = async (mutate: (r: UpgradeRecord) => void) => {
      const res = await rt.store.update(run.id, (r) => {
        if (!stillCurrent(r, run)) return { ok: false, error: { code: 'stale_job', message: 'superseded' } };
        mutate(r);
        return ok({ record: r, value: null });
      });
      if (!res.ok) throw new Superseded(res.error.message);
      ctx.record = res.value.record;
      return res.value.record;
    };
    const ctx: StepContext = {
      record,
      run,
      // the installer the record names (istioctl, or the Helm canary path)
      ports: guard(portsFor(cluster, record), ac.signal, fence),
      signal: ac.signal,
      checkpoint,
      notify: (event) => notifySafely(rt, event),
      store: rt.store,
      now: () => isoNow(rt),
      calendar: rt.policy?.clusters[record.cluster],
      waveTimeoutMs: rt.waveTimeoutMs,
      logger: log,
    };
    const wave = run.wave === undefined ? {} : { wave: run.wave };
    if (!QUIET.has(run.step)) {
      await checkpoint((r) => {
        const detail = `${run.step}${run.wave ? ` wave ${run.wave}` : ''} (run ${run.seq})`;
        if (!r.audit.some((a) => a.action === 'step_started' && a.detail === detail))
          r.audit.push({ at: isoNow(rt), actor: 'engine', action: 'step_started', detail });
      });
      await ctx.notify({
        type: 'step_started',
        key: `${run.id}:started:${run.seq}`,
        record: ctx.record,
        step: run.step,
        ...wave,
      });
    }
    log.info('step started');
    const outcome = await handler(ctx);
    if (ac.signal.aborted) throw new Superseded('run superseded');
    const fresh = { nonce: rt.ids.nonce(), approvalTtlMs: rt.approvalTtlMs };
    const done = await commit(rt, run.id, {
      type: 'step_done',
      step: run.step,
      seq: run.seq,
      at: isoNow(rt),
      ...fresh,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    });
    // "finished" goes out before the next step's job or approval request, so a thread reads in order.
    if (done.ok && !QUIET.has(run.step))
      await ctx.notify({
        type: 'step_finished',
        key: `${run.id}:finished:${run.seq}`,
        record: done.value.record,
        step: run.step,
        ...wave,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
      });
    if (done.ok) await applyAfterCommit(rt, done.value.record, done.value.effects);
    log.info({ ok: done.ok }, 'step finished');
  } catch (e) {
    if (e instanceof Superseded) {
      log.info('step superseded');
      // Cancelled by its own lease or fence while nobody took the run over (Redis was slow or away
      // for a lease time): the run is still current, so the job must run again, not complete — a
      // completed job id is never added twice, and the upgrade would wait forever.
      const now = await rt.store.get(run.id);
      const cur = now ? currentRun(now) : null;
      if (cur && cur.seq === run.seq && cur.step === run.step)
        throw new Error(`step ${run.step} of ${run.id} stopped by its lease while still current: run again`);
      return;
    }
    if (e instanceof StepDeferred && run.step !== 'compensate' && run.step !== 'finish_abort') {
      log.info({ until: e.until, cause: e.message }, 'scheduled start deferred');
      await advance(rt, run.id, {
        type: 'defer',
        step: run.step,
        seq: run.seq,
        at: isoNow(rt),
        until: e.until,
        reason: e.message,
      });
      return;
    }
    if (e instanceof StepHalted && run.step !== 'compensate' && run.step !== 'finish_abort') {
      log.warn({ action: e.action, cause: e.message }, 'step halted the upgrade');
      await advance(rt, run.id, {
        type: 'halt',
        step: run.step,
        seq: run.seq,
        at: isoNow(rt),
        action: e.action,
        reason: e.message,
      });
      return;
    }
    if (e instanceof StepFailure) {
      log.warn({ code: e.code, cause: e.message }, 'step failed: upgrade stopped');
      await advance(rt, run.id, {
        type: 'step_failed',
        step: run.step,
        seq: run.seq,
        at: isoNow(rt),
        code: e.code,
        cause: e.message,
      });
      return;
    }
    throw e; // Redis or engine trouble: BullMQ retries the (idempotent) job
  } finally {
    clearInterval(watch);
  }
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
