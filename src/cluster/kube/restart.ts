/**
 * Restarts workloads the way `kubectl rollout restart` does (pod template annotation
 * `kubectl.kubernetes.io/restartedAt`, reusing the stamp stored in the upgrade record) and waits for the
 * rollouts the way `kubectl rollout status` does, with resumable watches, a timeout and progress.
 *
 * Requests: one list per kind and namespace, one merge patch per workload whose template does not
 * already carry the stamp (a retry patches nothing), one list + watch per kind and namespace to wait;
 * a kind spread over CLUSTER_WIDE_FROM namespaces or more is listed (in pages) and watched once
 * across the cluster instead (readGroups).
 */
import type { RolloutProgress, WorkloadKind, WorkloadRef, WorkloadRestarter } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { abortError, allOrStop, throwIfAborted } from '../cancel.js';
import type { KubeClient } from './client.js';
import { isOnDelete, type RolloutStatus, rolloutStatus } from './rollout-status.js';
import { limiter, listWatch } from './watch.js';
import {
  asAny,
  CLUSTER_WIDE_FROM,
  groupRefs,
  keyOf,
  listAcrossCluster,
  listWorkloads,
  patchWorkload,
  RESTARTED_AT,
  refName,
  type WorkloadObject,
  watchPath,
} from './workloads.js';

export { RESTARTED_AT } from './workloads.js';

export interface RestarterOptions {
  /** Requests in flight at once (lists). Default 16. */
  concurrency?: number;
  /** Restart patches in flight at once. Default 4 × concurrency: each is small and starts a rollout,
   * and at 16 a 500-workload wave spent ~12 s pacing them out (the cluster's floor sends them at once). */
  patchConcurrency?: number;
  /** Server-side watch timeout in seconds (tests make it short to exercise resuming). */
  watchTimeoutSeconds?: number;
  /** Least time between two progress callbacks. Default 500 ms. */
  progressIntervalMs?: number;
  logger?: Logger | undefined;
}

export interface BlockedWorkload extends WorkloadRef {
  reason: 'paused' | 'on_delete';
  message: string;
}

export class KubeRestarter implements WorkloadRestarter {
  private readonly limit: <R>(fn: () => Promise<R>) => Promise<R>;
  private readonly patchLimit: <R>(fn: () => Promise<R>) => Promise<R>;
  constructor(
    private readonly client: KubeClient,
    private readonly o: RestarterOptions = {},
  ) {
    this.limit = limiter(o.concurrency ?? 16);
    this.patchLimit = limiter(o.patchConcurrency ?? 4 * (o.concurrency ?? 16));
  }

  /**
   * Stamps every workload's template with exactly `restartedAt`. Paused Deployments are not touched
   * (kubectl refuses them too); OnDelete workloads are stamped but replace no pod by themselves. Both are
   * thrown as one CodedError(rollout_failed) naming each, after the others were restarted, so the thread
   * says what a person must do; a retry after they did it succeeds without a second rollout.
   */
  async restart(workloads: WorkloadRef[], restartedAt: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal, 'restart');
    const found = new Map<string, WorkloadObject>();
    await allOrStop(
      readGroups(workloads).map(
        (g) => (s: AbortSignal) =>
          this.limit(() =>
            g.namespace === null
              ? listAcrossCluster(this.client, g.kind, s, namespacesOf(g.refs))
              : this.client.request(
                  `list ${g.kind}s in ${g.namespace}`,
                  (o) => listWorkloads(this.client, g.kind, g.namespace!, o),
                  { signal: s },
                ),
          ).then((l) => {
            for (const obj of l.items)
              found.set(`${g.kind}/${obj.metadata?.namespace ?? g.namespace}/${obj.metadata?.name}`, obj);
          }),
      ),
      signal,
    );
    const blocked: BlockedWorkload[] = [];
    const toPatch: WorkloadRef[] = [];
    for (const ref of workloads) {
      const obj = found.get(keyOf(ref));
      if (!obj) {
        this.o.logger?.warn({ workload: refName(ref) }, 'workload no longer exists; nothing to restart');
        continue;
      }
      const stamped = obj.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt;
      if (ref.kind === 'Deployment' && (obj as { spec?: { paused?: boolean } }).spec?.paused) {
        blocked.push({
          ...ref,
          reason: 'paused',
          message: `${refName(ref)} is paused: resume it (kubectl rollout resume deployment/${ref.name} -n ${ref.namespace}) and retry, or leave it out of the wave`,
        });
        continue;
      }
      if (!stamped) toPatch.push(ref);
      const any = asAny(ref.kind, obj);
      if (isOnDelete(any) && (!stamped || !rolloutStatus(any).done)) {
        blocked.push({
          ...ref,
          reason: 'on_delete',
          message: `${refName(ref)} uses updateStrategy OnDelete: its pods move only when deleted (kubectl delete pod -n ${ref.namespace} <pod>); retry when they are replaced`,
        });
      }
    }
    // once cancelled (or after a permanent failure), queued patches are not sent; in-flight ones are
    // aborted, and this settles only when none is left running
    const stamp = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } };
    await allOrStop(
      toPatch.map(
        (ref) => (s: AbortSignal) => this.patchLimit(() => patchWorkload(this.client, ref, stamp, s)),
      ),
      signal,
    );
    this.o.logger?.info(
      { patched: toPatch.length, unchanged: workloads.length - toPatch.length, blocked: blocked.length },
      'workloads restarted',
    );
    if (blocked.length > 0) {
      throw new CodedError(
        ErrorCode.RolloutFailed,
        `${blocked.length} workload(s) need a person before the wave can finish:\n${blocked.map((b) => `• ${b.message}`).join('\n')}`,
        { blocked },
      );
    }
  }

  async waitForRollouts(
    workloads: WorkloadRef[],
    opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (p: RolloutProgress) => void },
  ): Promise<void> {
    workloads = [...new Map(workloads.map((w) => [keyOf(w), w])).values()];
    const total = workloads.length;
    if (total === 0) {
      opts.onProgress?.({ total: 0, ready: 0 });
      return;
    }
    const state = new Map<string, { ref: WorkloadRef; status: RolloutStatus | null }>();
    for (const ref of workloads) state.set(keyOf(ref), { ref, status: null });
    const stop = new AbortController();
    let ready = 0;
    let lastEmit = 0;
    let emitTimer: NodeJS.Timeout | undefined;
    const interval = this.o.progressIntervalMs ?? 500;
    const emit = (force = false) => {
      if (!opts.onProgress) return;
      const now = Date.now();
      if (force || now - lastEmit >= interval) {
        clearTimeout(emitTimer);
        emitTimer = undefined;
        lastEmit = now;
        opts.onProgress({ total, ready });
      } else if (!emitTimer) {
        emitTimer = setTimeout(() => emit(true), interval - (now - lastEmit));
      }
    };

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let unlisten = () => {};
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        unlisten();
        clearTimeout(timer);
        clearTimeout(emitTimer);
        stop.abort();
        if (err === undefined) {
          emit(true);
          resolve();
        } else reject(err);
      };
      const update = (key: string, status: RolloutStatus) => {
        const s = state.get(key);
        if (!s || settled) return;
        if (status.error) {
          finish(
            new CodedError(ErrorCode.RolloutFailed, `${refName(s.ref)}: ${status.error}`, {
              workload: s.ref,
              reason: status.error.includes('progress deadline') ? 'ProgressDeadlineExceeded' : 'strategy',
            }),
          );
          return;
        }
        const was = s.status?.done ?? false;
        s.status = status;
        if (status.done !== was) {
          ready += status.done ? 1 : -1;
          emit();
        }
        if (ready === total) finish();
      };
      const timer = setTimeout(() => {
        const pending = [...state.values()].filter((s) => !s.status?.done);
        const lines = pending
          .slice(0, 10)
          .map((s) => `• ${refName(s.ref)}: ${s.status?.message || 'no status yet'}`);
        if (pending.length > 10) lines.push(`• … and ${pending.length - 10} more`);
        finish(
          new CodedError(
            ErrorCode.RolloutTimeout,
            `${pending.length} of ${total} rollout(s) not complete after ${Math.round(opts.timeoutMs / 1000)}s (WAVE_TIMEOUT):\n${lines.join('\n')}`,
            { pending: pending.map((s) => s.ref), ready, total },
          ),
        );
      }, opts.timeoutMs);
      if (opts.signal) {
        const signal = opts.signal;
        if (signal.aborted) return finish(abortError(signal, 'rollout wait'));
        const onAbort = () => finish(abortError(signal, 'rollout wait'));
        signal.addEventListener('abort', onAbort, { once: true });
        unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      emit(true);
      for (const g of readGroups(workloads)) {
        const mine = new Set(g.refs.map(keyOf));
        const seen = (obj: WorkloadObject) =>
          `${g.kind}/${obj.metadata?.namespace ?? g.namespace}/${obj.metadata?.name}`;
        const ns = g.namespace;
        listWatch<WorkloadObject>({
          client: this.client,
          what: ns === null ? `${g.kind}s` : `${g.kind}s in ${ns}`,
          path: watchPath(g.kind, ns),
          // across the cluster: one paged list (its pages go through client.request themselves)
          listRequests: ns === null,
          list: (o) =>
            ns === null
              ? listAcrossCluster(this.client, g.kind, stop.signal, namespacesOf(g.refs))
              : listWorkloads(this.client, g.kind, ns, o),
          limit: this.limit,
          signal: stop.signal,
          ...(this.o.watchTimeoutSeconds ? { timeoutSeconds: this.o.watchTimeoutSeconds } : {}),
          logger: this.o.logger,
          onList: (items) => {
            const present = new Set(items.map(seen));
            for (const key of mine) {
              if (!present.has(key)) this.gone(key, update);
            }
            for (const obj of items)
              if (mine.has(seen(obj))) update(seen(obj), rolloutStatus(asAny(g.kind, obj)));
          },
          onEvent: (type, obj) => {
            const key = seen(obj);
            if (!mine.has(key)) return; // another namespace's (a cluster-wide watch)
            if (type === 'DELETED') this.gone(key, update);
            else update(key, rolloutStatus(asAny(g.kind, obj)));
          },
        }).catch((e: unknown) => finish(e));
      }
    });
  }

  private gone(key: string, update: (key: string, s: RolloutStatus) => void): void {
    this.o.logger?.warn({ workload: key }, 'workload deleted during the wave; nothing left to wait for');
    update(key, { done: true, message: 'deleted' });
  }
}

/**
 * Refs grouped for reading: by kind and namespace (one list or watch each), except that a kind spread
 * over CLUSTER_WIDE_FROM namespaces or more is read across the cluster at once (`namespace: null`).
 */
export function readGroups(
  refs: readonly WorkloadRef[],
): { kind: WorkloadKind; namespace: string | null; refs: WorkloadRef[] }[] {
  const groups = groupRefs(refs);
  const out: { kind: WorkloadKind; namespace: string | null; refs: WorkloadRef[] }[] = [];
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet'] as const) {
    const of = groups.filter((g) => g.kind === kind);
    if (of.length >= CLUSTER_WIDE_FROM) out.push({ kind, namespace: null, refs: of.flatMap((g) => g.refs) });
    else out.push(...of);
  }
  return out;
}

const namespacesOf = (refs: readonly WorkloadRef[]): Set<string> => new Set(refs.map((r) => r.namespace));
