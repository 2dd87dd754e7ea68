/**
 * Counts failed Slack Web API calls and failed Kubernetes API calls into the metrics of src/ops/metrics.ts,
 * by decorating the clients the composition root builds (nothing in src/slack, src/engine or
 * src/cluster changes):
 * - `CountingWebClient`: a WebClient whose every method (they are bound to `apiCall` at construction)
 *   counts a thrown error by Slack's error string (`channel_not_found`, `ratelimited`, ...) or the
 *   client's code (`slack_webapi_request_error` for network failures);
 * - `countKubeErrors`: wraps each cluster's `KubeClient.call` (every API request of the adapters goes
 *   through it) and counts a failure as `http_<status>` or `network`. 404s are not counted: the
 *   adapters ask for objects that may be absent (`requestOrNull`) and treat that as an answer. Every attempt goes through `call`, so a retried request counts each failed attempt.
 */
import { webApi } from '@slack/bolt';
import type { Counter } from 'prom-client';
import type { AdaptersRegistry } from '../cluster/registry.js';
import { CodedError } from '../errors.js';

/** Slack's error string of a failed call, or the client's error code. */
export function slackErrorLabel(e: unknown): string {
  const err = e as { data?: { error?: unknown }; code?: unknown };
  if (typeof err?.data?.error === 'string' && err.data.error) return err.data.error;
  if (typeof err?.code === 'string' && err.code) return err.code;
  return 'unknown';
}

export class CountingWebClient extends webApi.WebClient {
  constructor(
    token: string | undefined,
    options: ConstructorParameters<typeof webApi.WebClient>[1],
    private readonly errors: Counter<'error'>,
  ) {
    super(token, options);
  }

  override async apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (e) {
      // `errors` is unset while the base constructor binds the methods; calls happen only later
      this.errors?.inc({ error: slackErrorLabel(e) });
      throw e;
    }
  }
}

/** `http_<status>` for an API answer, `network` when there was none; null for a 404 (not counted). */
export function kubeErrorLabel(e: unknown): string | null {
  const status = e instanceof CodedError ? e.details.status : (e as { code?: unknown })?.code;
  if (status === 404) return null;
  return typeof status === 'number' ? `http_${status}` : 'network';
}

/** The same registry, whose clusters' Kubernetes clients count their failed requests. */
export function countKubeErrors<R extends AdaptersRegistry>(registry: R, errors: Counter<'code'>): R {
  const wrapped = new WeakSet<object>();
  const get = registry.get.bind(registry);
  registry.get = (name: string) => {
    const a = get(name);
    if (a && !wrapped.has(a.kube)) {
      wrapped.add(a.kube);
      const kube = a.kube;
      const call = kube.call.bind(kube);
      kube.call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        try {
          return await call(what, fn);
        } catch (e) {
          const label = kubeErrorLabel(e);
          if (label) errors.inc({ code: label });
          throw e;
        }
      };
    }
    return a;
  };
  return registry;
}
