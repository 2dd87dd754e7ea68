/**
 * The one classification of cluster faults (pure, table-tested in test/cluster-adapters/faults.test.ts):
 * which failures of a Kubernetes request are worth another attempt, and how long to wait first.
 *
 * - transient: 429 (Retry-After honoured), 500/502/503/504, connection resets/refusals, broken pipes,
 *   socket hang-ups, timeouts (ours or the server's), etcd hiccups ("etcdserver: leader changed",
 *   "etcdserver: request timed out", …): retried with exponential backoff and full jitter, within a
 *   per-call time budget;
 * - conflict: 409: retried a couple of times (someone else wrote in between), then stopped;
 * - permanent: 400/401/403/404/422 and every other 4xx, TLS and configuration errors: stopped at once,
 *   with the cause.
 *
 * The same text patterns recognise a transient API error in istioctl's stderr (`classifyText`).
 */

export type FaultKind = 'transient' | 'conflict' | 'permanent';

export interface Fault {
  kind: FaultKind;
  /** Short reason for messages and logs: `HTTP 503`, `ECONNRESET`, `etcdserver: leader changed`. */
  reason: string;
  /** The server asked to wait this long (Retry-After), in ms. */
  retryAfterMs?: number;
  /** The request certainly was not processed (refused connection, 429): safe to retry any request. */
  notProcessed?: boolean;
}

/** What is known about one failed request. */
export interface FaultInput {
  /** HTTP status of the answer; absent when there was none. */
  status?: number | null | undefined;
  /** errno-style code of a network error (`ECONNRESET`). */
  code?: string | null | undefined;
  message?: string | null | undefined;
  /** The Retry-After header, as sent. */
  retryAfter?: string | null | undefined;
  /** Our own per-request timeout ended the attempt. */
  timedOut?: boolean | undefined;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Text of a transient API failure, wherever it shows (an error message, a Status body, istioctl's stderr). */
const TRANSIENT_TEXT: [RegExp, string][] = [
  [/etcdserver: leader changed/i, 'etcdserver: leader changed'],
  [/etcdserver: request timed out/i, 'etcdserver: request timed out'],
  [/etcdserver: (no leader|server stopped|too many requests)/i, 'etcdserver unavailable'],
  [/socket hang up/i, 'socket hang up'],
  [/connection reset by peer|\bECONNRESET\b/i, 'connection reset'],
  [/connection refused|\bECONNREFUSED\b/i, 'connection refused'],
  [/broken pipe|\bEPIPE\b/i, 'broken pipe'],
  [/\bETIMEDOUT\b|i\/o timeout|TLS handshake timeout/i, 'network timeout'],
  [/http2: client connection lost|unexpected EOF/i, 'connection lost'],
  [/\brequest timed? ?out\b|Timeout: request did not complete/i, 'request timeout'],
  [/the server is currently unable to handle the request/i, 'server unavailable'],
  [/Too Many Requests|client rate limiter/i, 'too many requests'],
];

/** A transient API failure recognised in free text (a message, istioctl's stderr); null when none is clear. */
export function classifyText(text: string | null | undefined): Fault | null {
  if (!text) return null;
  for (const [re, reason] of TRANSIENT_TEXT) {
    if (re.test(text)) return { kind: 'transient', reason };
  }
  return null;
}

/** Retry-After: delay-seconds or an HTTP date; ms to wait, or null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export function classifyFault(f: FaultInput, nowMs = Date.now()): Fault {
  const status = typeof f.status === 'number' && f.status > 0 ? f.status : null;
  if (status !== null) {
    if (status === 409) return { kind: 'conflict', reason: 'HTTP 409' };
    if (TRANSIENT_STATUS.has(status)) {
      const fault: Fault = { kind: 'transient', reason: `HTTP ${status}` };
      const after = parseRetryAfter(f.retryAfter, nowMs);
      if (after !== null) fault.retryAfterMs = after;
      if (status === 429) fault.notProcessed = true;
      return fault;
    }
    // a Status body of another code may still say etcd hiccupped (seen as 500s, but be lenient)
    if (status >= 500) return classifyText(f.message) ?? { kind: 'permanent', reason: `HTTP ${status}` };
    return { kind: 'permanent', reason: `HTTP ${status}` };
  }
  if (f.timedOut) return { kind: 'transient', reason: 'request timeout' };
  const code = f.code?.toUpperCase();
  if (code && TRANSIENT_CODES.has(code)) {
    return code === 'ECONNREFUSED'
      ? { kind: 'transient', reason: code, notProcessed: true }
      : { kind: 'transient', reason: code };
  }
  const fromText = classifyText(f.message);
  if (fromText)
    return fromText.reason === 'connection refused' ? { ...fromText, notProcessed: true } : fromText;
  return { kind: 'permanent', reason: code ?? 'error' };
}

export interface RetryPolicy {
  /** No new attempt starts after this long since the first one (ms). */
  budgetMs: number;
  /** First backoff cap; doubles per attempt (ms). */
  baseDelayMs: number;
  /** Largest backoff cap (ms). */
  maxDelayMs: number;
  /** Retries after a 409 before it counts as permanent. */
  conflictRetries: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  budgetMs: 60_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  conflictRetries: 2,
};

/** Full jitter: uniform in [0, min(maxDelay, base · 2^(attempt-1))] for the `attempt`-th failure (1-based). */
export function backoffMs(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; why: 'permanent' | 'conflict' | 'budget' | 'not_idempotent' };

export interface AttemptState {
  /** Failed attempts so far, this one included (1-based). */
  attempt: number;
  /** 409s so far, this one included. */
  conflicts: number;
  /** Since the first attempt started (ms). */
  elapsedMs: number;
  /** Reads and merge patches that set a value; a create or a JSON-patch append is not. */
  idempotent: boolean;
}

/** Retry or stop after a failed attempt. */
export function decideRetry(
  f: Fault,
  s: AttemptState,
  p: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (f.kind === 'permanent') return { retry: false, why: 'permanent' };
  if (!s.idempotent && !f.notProcessed) return { retry: false, why: 'not_idempotent' };
  if (f.kind === 'conflict' && s.conflicts > p.conflictRetries) return { retry: false, why: 'conflict' };
  const delayMs = Math.max(f.retryAfterMs ?? 0, backoffMs(s.attempt, p, random));
  if (s.elapsedMs + delayMs > p.budgetMs) return { retry: false, why: 'budget' };
  return { retry: true, delayMs };
}
