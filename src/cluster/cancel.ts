/**
 * Cancellation helpers shared by the cluster adapters: a superseded step (abort, rollback, lost lease)
 * aborts its AbortSignal, and every adapter stops its requests, waits and processes at once and
 * rejects with the signal's reason (an Error), so the engine sees why.
 */
import { CodedError, ErrorCode } from '../errors.js';

/** The error a cancelled call rejects with: the signal's reason when it is an Error. */
export function abortError(signal: AbortSignal, what = 'cluster call'): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  return new CodedError(ErrorCode.KubeApi, `${what} was cancelled`, { cancelled: true });
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** Waits `ms`; rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal as AbortSignal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with `p`, or rejects as soon as `signal` aborts (p keeps running; its own signal stops it). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Runs `tasks` (each given a signal that aborts on the outer signal or on the first failure) and waits
 * for all of them to settle; then rejects with the first real failure (the outer signal's reason when
 * the step was cancelled), else resolves. So a failure or a cancel stops queued work from starting and
 * nothing is left running when this settles.
 */
export async function allOrStop<T>(
  tasks: ((signal: AbortSignal) => Promise<T>)[],
  signal?: AbortSignal,
): Promise<T[]> {
  const stop = new AbortController();
  const link = () => stop.abort(signal?.reason);
  if (signal?.aborted) link();
  else signal?.addEventListener('abort', link, { once: true });
  let first: { e: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      tasks.map((t) =>
        t(stop.signal).catch((e: unknown) => {
          if (!first && !stop.signal.aborted) first = { e };
          stop.abort(new Error('stopped after another request failed'));
          throw e;
        }),
      ),
    );
    if (signal?.aborted) throw abortError(signal);
    if (first) throw first.e;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  } finally {
    signal?.removeEventListener('abort', link);
  }
}
