/**
 * One step run of an upgrade (src/engine/worker.ts takes the job): the lease and its renewal, the
 * watch that notices pause / rollback / abort, the guarded ports (fenced before every mutation), the
 * handler, and the machine's event for how it ended.
 */
import { ok } from '../domain/result.js';
import { currentRun, type StepRun } from '../domain/upgrade/order.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import { guard, within } from './guard-ports.js';
import { portsFor } from './installers.js';
import {
  advance,
  applyAfterCommit,
  commit,
  isoNow,
  notifySafely,
  type Runtime,
  StepFailure,
  Superseded,
} from './runtime.js';
import { HANDLERS, type StepContext, StepDeferred, StepHalted } from './steps/index.js';

import type { WorkerOptions } from './worker.js';

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

export async function runStep(
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
