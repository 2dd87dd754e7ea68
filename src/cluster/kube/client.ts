/**
 * One cluster's Kubernetes client: loaded from a kubeconfig context or in-cluster, every request
 * counted (the benchmark reports requests per workload), given its own timeout and the step's
 * AbortSignal, retried on transient faults (one classification: faults.ts) and, when it finally
 * fails, mapped to CodedError(kube_api) saying how many attempts were made.
 */
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  ResponseContext,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { abortError, sleep } from '../cancel.js';
import { DEFAULT_RETRY, decideRetry, type RetryPolicy } from './faults.js';
import { faultOf, kubeError, RequestTimeout, withAttempts } from './kube-errors.js';

export { faultOf, kubeError } from './kube-errors.js';

export const IN_CLUSTER = 'in-cluster';

export interface KubeTarget {
  /** kubeconfig context, or `in-cluster` for the pod's ServiceAccount. */
  context: string;
  /** kubeconfig file; default: KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string | undefined;
}

export interface KubeClientOptions {
  /** Longest one request may take (KUBE_REQUEST_TIMEOUT). Default 30 s. Watches keep their own. */
  requestTimeoutMs?: number | undefined;
  /** Retry policy; `budgetMs` is KUBE_RETRY_BUDGET (default 60 s). */
  retry?: Partial<RetryPolicy> | undefined;
  logger?: Logger | undefined;
}

export interface KubeStats {
  requests: number;
  watches: number;
  /** Attempts after the first one (transient faults retried). */
  retries: number;
  byWhat: Record<string, number>;
}

/** Per-request options for the generated APIs: the attempt's signal (pass them on as the last argument). */
export type RequestOptions = ConfigurationOptions;

export interface CallOptions {
  /** The step's signal: aborting it stops the request (and any retry) at once. */
  signal?: AbortSignal | undefined;
  /**
   * Whether sending the request twice does no harm. True (the default) for everything the adapters
   * send: reads (get/list) and merge patches that set a value (labels, the restartedAt stamp). Pass
   * false for a create, a delete with preconditions or a JSON-patch append: only faults that prove the
   * request was not processed (a refused connection, a 429) are retried then.
   */
  idempotent?: boolean;
}

/** The merge-patch content type (the generated client defaults to json-patch), kept with `o`. */
export const mergePatch = (o?: RequestOptions): RequestOptions =>
  setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o);
/** The merge-patch content type alone (no signal, no timeout): for tests and scripts. */
export const MERGE_PATCH = mergePatch();

/** What the bot's API requests say they are: apiserver audit logs (and the scale benchmark's
 * counting proxy) tell them from istioctl's and other clients'. */
export const USER_AGENT = 'istio-upgrade-bot';

/** Options whose middleware hands `signal` to the request (RequestContext.setSignal). */
export function withSignal(signal: AbortSignal): RequestOptions {
  const mw: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      ctx.setHeaderParam('User-Agent', USER_AGENT);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [mw], middlewareMergeStrategy: 'append' };
}

/**
 * `o` with a successful response's JSON replaced by `trim(json)` before the generated client turns it
 * into typed objects (errors pass untouched). A page of 500 pods is megabytes: parsed and then copied
 * into typed objects, such pages were most of a wave's garbage (the worker's peak RSS, ADR 23).
 */
export function trimResponse(
  o: RequestOptions | undefined,
  trim: (json: unknown) => unknown,
): RequestOptions {
  const mw: ObservableMiddleware = {
    pre: (ctx) => new Observable(Promise.resolve(ctx)),
    post: (res) =>
      new Observable(
        (async () => {
          if (res.httpStatusCode < 200 || res.httpStatusCode > 299) return res;
          const text = JSON.stringify(trim(JSON.parse(await res.body.text())));
          return new ResponseContext(res.httpStatusCode, res.headers, {
            text: async () => text,
            binary: async () => Buffer.from(text),
          });
        })(),
      ),
  };
  return { ...o, middleware: [...(o?.middleware ?? []), mw], middlewareMergeStrategy: 'append' };
}

/** A list response of which each item is kept as `keep` makes it, or dropped (undefined). */
export function keepItems(o: RequestOptions | undefined, keep: (item: RawItem) => unknown): RequestOptions {
  return trimResponse(o, (json) => {
    const list = json as { items?: unknown };
    if (Array.isArray(list.items)) {
      const kept: unknown[] = [];
      for (const item of list.items as RawItem[]) {
        const k = keep(item);
        if (k !== undefined) kept.push(k);
      }
      list.items = kept;
    }
    return list;
  });
}

/** A response whose body nobody reads (a patch's object): not typed at all. */
export const noBody = (o?: RequestOptions): RequestOptions => trimResponse(o, () => ({}));

/** An object of a list as the apiserver sends it (JSON, before the generated client types it). */
export interface RawItem {
  metadata?: { namespace?: string; [field: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export class KubeClient {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly stats: KubeStats = { requests: 0, watches: 0, retries: 0, byWhat: {} };
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Test hook: the jitter source. */
  random: () => number = Math.random;

  constructor(
    readonly target: KubeTarget,
    private readonly o: KubeClientOptions = {},
  ) {
    this.kc = loadConfig(target);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.admission = this.kc.makeApiClient(AdmissionregistrationV1Api);
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
  }

  /**
   * What the adapters use for every API request: each attempt gets its own timeout and the step's
   * signal (pass `opts` on to the generated API as its last argument), transient faults are retried
   * within the budget (faults.ts), and the final failure is a CodedError(kube_api) with
   * `details.attempts`. A cancelled step rejects at once with the signal's reason.
   */
  async request<T>(what: string, fn: (opts: RequestOptions) => Promise<T>, o: CallOptions = {}): Promise<T> {
    const started = Date.now();
    let attempt = 0;
    let conflicts = 0;
    for (;;) {
      if (o.signal?.aborted) throw abortError(o.signal, what);
      attempt++;
      if (attempt > 1) this.stats.retries++;
      const timeout = AbortSignal.timeout(this.requestTimeoutMs);
      const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
      try {
        // through `call`, so a decorator of it (the error metrics) sees every attempt
        return await this.call(what, () =>
          fn(withSignal(signal)).catch((e: unknown) => {
            if (timeout.aborted && !o.signal?.aborted) throw new RequestTimeout(this.requestTimeoutMs);
            throw e;
          }),
        );
      } catch (e) {
        if (o.signal?.aborted) throw abortError(o.signal, what);
        const fault = faultOf(e);
        if (fault.kind === 'conflict') conflicts++;
        const d = decideRetry(
          fault,
          { attempt, conflicts, elapsedMs: Date.now() - started, idempotent: o.idempotent ?? true },
          this.retry,
          this.random,
        );
        if (!d.retry) throw withAttempts(what, kubeError(what, e), attempt);
        this.o.logger?.warn(
          { what, attempt, fault: fault.reason, delayMs: d.delayMs },
          'Kubernetes request failed; retrying',
        );
        await sleep(d.delayMs, o.signal);
      }
    }
  }

  /** Like request, but a 404 answers null. */
  async requestOrNull<T>(
    what: string,
    fn: (opts: RequestOptions) => Promise<T>,
    o: CallOptions = {},
  ): Promise<T | null> {
    try {
      return await this.request(what, fn, o);
    } catch (e) {
      if (e instanceof CodedError && e.details.status === 404) return null;
      throw e;
    }
  }

  /**
   * One attempt of one API request: counted, a failure turned into CodedError(kube_api) carrying its
   * classification (`details.fault`, `details.retryAfter`). No timeout or retry of its own: use
   * `request`. (src/wiring decorates this method to count failures.)
   */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.count(what);
    try {
      return await fn();
    } catch (e) {
      throw kubeError(what, e);
    }
  }

  count(what: string): void {
    this.stats.requests++;
    const key = what.split(' ')[0]!;
    this.stats.byWhat[key] = (this.stats.byWhat[key] ?? 0) + 1;
  }

  resetStats(): void {
    this.stats.requests = 0;
    this.stats.watches = 0;
    this.stats.retries = 0;
    this.stats.byWhat = {};
  }
}

function loadConfig(t: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (t.context === IN_CLUSTER) {
      kc.loadFromCluster();
      return kc;
    }
    if (t.kubeconfig) kc.loadFromFile(t.kubeconfig);
    else kc.loadFromDefault();
    if (!kc.getContexts().some((c) => c.name === t.context)) {
      throw new Error(
        `context "${t.context}" is not in the kubeconfig (${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(t.context);
  } catch (e) {
    throw new CodedError(ErrorCode.KubeApi, `cannot load Kubernetes configuration: ${(e as Error).message}`, {
      context: t.context,
    });
  }
  return kc;
}
