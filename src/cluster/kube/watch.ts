/**
 * List, then watch from the list's resourceVersion; after a disconnect (server timeout, network
 * error) watch again from the last resourceVersion seen (bookmarks included); on 410 Gone, list again.
 * Runs until `signal` aborts.
 */
import { Watch } from '@kubernetes/client-node';
import type { Logger } from '../../log.js';
import type { KubeClient } from './client.js';

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
  list: () => Promise<Listed<T>>;
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
        const l = await limit(() => client.call(`list ${o.what}`, o.list));
        if (signal.aborted) return;
        o.onList(l.items);
        rv = l.metadata?.resourceVersion ?? '0';
        failures = 0;
      } catch (e) {
        failures++;
        o.logger?.warn({ err: e, what: o.what, failures }, 'list failed; retrying');
        await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
        continue;
      }
    }
    const outcome = await new Promise<Outcome>((resolve) => {
      let gone = false;
      client.stats.watches++;
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
            if (type === 'ERROR') {
              if (obj?.code === 410) gone = true;
              return;
            }
            const next = obj?.metadata?.resourceVersion;
            if (next) rv = next;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') o.onEvent(type, obj);
          },
          (error: unknown) => resolve({ gone, error }),
        )
        .then((ctrl) => {
          if (signal.aborted) ctrl.abort();
          else signal.addEventListener('abort', () => ctrl.abort(), { once: true });
        })
        .catch((error: unknown) => resolve({ gone, error }));
    });
    if (signal.aborted) return;
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
