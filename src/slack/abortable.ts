/**
 * A cancel signal for Slack Web API calls. The WebClient (7.x) takes no per-call signal, so a call made
 * inside `withSignal(signal, () => client.x(...))` carries it through an AsyncLocalStorage to the
 * WebClient's axios request (`signalRequests`, installed as its `requestInterceptor` by app.ts): on
 * abort the HTTP request is aborted, the WebClient's later retries are refused before they reach the
 * network, and the caller is answered at once with the signal's reason. A call made outside
 * `withSignal` is unchanged (bounded by the client's own timeout and retries).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { webApi } from '@slack/bolt';

const current = new AsyncLocalStorage<AbortSignal>();

const why = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('the Slack call was cancelled');

/** The WebClient's `requestInterceptor`: the request of a call inside `withSignal` carries its signal. */
export const signalRequests: NonNullable<webApi.WebClientOptions['requestInterceptor']> = (config) => {
  const signal = current.getStore();
  if (!signal) return config;
  if (signal.aborted) throw why(signal); // a retry after the abort: it never leaves the process
  return { ...config, signal };
};

/** Runs one Web API call under `signal`: aborted with it, and answered at once when it aborts. */
export function withSignal<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(why(signal));
  return current.run(
    signal,
    () =>
      new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(why(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        call()
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      }),
  );
}

/** A signal that aborts after `ms` with a reason naming `what`. */
export function deadline(ms: number, what: string): AbortSignal {
  const ac = new AbortController();
  setTimeout(
    () => ac.abort(new Error(`${what} did not answer within ${Math.round(ms / 100) / 10} s`)),
    ms,
  ).unref();
  return ac.signal;
}
