/**
 * List, then watch from the list's resourceVersion; after a disconnect (server timeout, network
 * error) watch again from the last resourceVersion seen (bookmarks included); on 410 Gone, list again.
 * Runs until `signal` aborts (then it resolves at once, whatever request is in flight); rejects on a
 * permanent fault (403, 404, …: faults.ts), which no amount of waiting fixes.
 *
 * A watch keeps its own server-side timeout (`timeoutSeconds`); only its start (the response headers)
 * is bounded by the client's request timeout, so a stalled watch request is given up and resumed.
 */
import { Watch } from '@kubernetes/client-node';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { KubeClient, RequestOptions } from './client.js';
import { classifyFault } from './faults.js';

export interface Listed<T> {
  items: T[];
  metadata?: { resourceVersion?: string | undefined } | undefined;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListWatchOptions<T> {
  client: KubeClient;
  /** For messages and request counts: `Deployments in shop`. */
  what: string;
  /** Collection path, e.g. `/apis/apps/v1/namespaces/shop/deployments`. */
  path: string;
  query?: Record<string, string>;
  list: (opts: RequestOptions) => Promise<Listed<T>>;
  /** `list` sends its own requests through the client (a paged list): called as is, not wrapped in
   * one more `client.request` (which would count, time and retry the pages as one request). */
  listRequests?: boolean;
  onList: (items: T[]) => void;
  onEvent: (type: WatchEventType, obj: T) => void;
  signal: AbortSignal;
  /** Server-side watch timeout (the server closes the watch after it; we resume). Default 300. */
  timeoutSeconds?: number;
  /** Bounds concurrent list requests across many watches. */
  limit?: <R>(fn: () => Promise<R>) => Promise<R>;
  onResume?: (why: 'closed' | 'error' | 'gone') => void;
  logger?: Logger | undefined;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

interface Outcome {
  gone: boolean;
  error: unknown;
}

/** A watch that failed for good (403, 404, …): waiting does not fix it. */
function permanentWatchError(what: string, error: unknown): CodedError | null {
  const e = error as { statusCode?: number; message?: string } | null;
  if (!e || typeof e.statusCode !== 'number' || e.statusCode === 410) return null;
  const f = classifyFault({ status: e.statusCode, message: e.message ?? null });
  if (f.kind !== 'permanent') return null;
  return new CodedError(
    ErrorCode.KubeApi,
    `Kubernetes API: watch ${what} failed (HTTP ${e.statusCode}): ${e.message ?? ''}`,
    { status: e.statusCode, attempts: 1, fault: f.kind },
  );
}

export async function listWatch<T extends { metadata?: { resourceVersion?: string } }>(
  o: ListWatchOptions<T>,
): Promise<void> {
  const { client, signal } = o;
  const limit = o.limit ?? ((fn) => fn());
  let rv: string | null = null;
  let failures = 0;
  while (!signal.aborted) {
    if (rv === null) {
      try {
        const l = await limit(() =>
          o.listRequests ? o.list({}) : client.request(`list ${o.what}`, o.list, { signal }),
        );
        if (signal.aborted) return;
        o.onList(l.items);
        rv = l.metadata?.resourceVersion ?? '0';
        failures = 0;
      } catch (e) {
        if (signal.aborted) return;
        // transient faults were retried by call within its budget: keep trying (the wave's timeout
        // bounds it); a permanent one (403, 404, …) ends the wait with its cause
        if (!(e instanceof CodedError) || e.details.fault !== 'transient') throw e;
        failures++;
        o.logger?.warn({ err: e, what: o.what, failures }, 'list failed; retrying');
        await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
        continue;
      }
    }
    let stale = false;
    const outcome = await new Promise<Outcome>((resolve) => {
      let gone = false;
      let ctrl: AbortController | undefined;
      client.stats.watches++;
      const onAbort = () => {
        ctrl?.abort();
        settle({ gone, error: null });
      };
      // a watch whose start stalls (the headers never come) is given up and resumed
      const startTimer = setTimeout(
        () => settle({ gone, error: new Error(`watch did not start within ${client.requestTimeoutMs} ms`) }),
        client.requestTimeoutMs,
      );
      const settle = (out: Outcome) => {
        clearTimeout(startTimer);
        signal.removeEventListener('abort', onAbort);
        resolve(out);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const query = {
        ...o.query,
        resourceVersion: rv ?? undefined,
        allowWatchBookmarks: true,
        timeoutSeconds: o.timeoutSeconds ?? 300,
      };
      new Watch(client.kc)
        .watch(
          o.path,
          query,
          (type: string, obj: T & { code?: number }) => {
            if (stale) return;
            if (type === 'ERROR') {
              if (obj?.code === 410) gone = true;
              return;
            }
            const next = obj?.metadata?.resourceVersion;
            if (next) rv = next;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') o.onEvent(type, obj);
          },
          (error: unknown) => settle({ gone, error }),
        )
        .then((c) => {
          ctrl = c;
          clearTimeout(startTimer);
          // cancelled, or given up while it started: close it now
          if (signal.aborted || stale) c.abort();
        })
        .catch((error: unknown) => settle({ gone, error }));
    });
    stale = true;
    if (signal.aborted) return;
    const permanent = permanentWatchError(o.what, outcome.error);
    if (permanent) throw permanent;
    const status = (outcome.error as { statusCode?: number } | null)?.statusCode;
    if (outcome.gone || status === 410) {
      rv = null;
      o.onResume?.('gone');
      continue;
    }
    if (outcome.error) {
      failures++;
      o.onResume?.('error');
      o.logger?.warn({ err: outcome.error, what: o.what, failures }, 'watch failed; resuming');
      await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
      continue;
    }
    failures = 0;
    o.onResume?.('closed');
  }
}

/** A concurrency limiter: at most `n` functions run at once (a finishing one hands its slot on). */
export function limiter(n: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active++;
    try {
      return await fn();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}
