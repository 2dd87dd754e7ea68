// The one classification of cluster faults (src/cluster/kube/faults.ts): which failures are retried,
// how long to wait, when to stop. Pure: tables of cases.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classifyFault,
  classifyText,
  DEFAULT_RETRY,
  decideRetry,
  type FaultInput,
  type FaultKind,
  parseRetryAfter,
} from '../../src/cluster/kube/faults.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('classifyFault', () => {
  it.each<[string, FaultInput, FaultKind, string]>([
    ['429', { status: 429 }, 'transient', 'HTTP 429'],
    ['500', { status: 500, message: 'Internal error occurred' }, 'transient', 'HTTP 500'],
    ['502', { status: 502 }, 'transient', 'HTTP 502'],
    ['503', { status: 503 }, 'transient', 'HTTP 503'],
    ['504', { status: 504, message: 'Timeout: request did not complete' }, 'transient', 'HTTP 504'],
    ['409', { status: 409, message: 'the object has been modified' }, 'conflict', 'HTTP 409'],
    ['400', { status: 400 }, 'permanent', 'HTTP 400'],
    ['401', { status: 401 }, 'permanent', 'HTTP 401'],
    ['403', { status: 403, message: 'deployments.apps is forbidden' }, 'permanent', 'HTTP 403'],
    ['404', { status: 404 }, 'permanent', 'HTTP 404'],
    ['422', { status: 422 }, 'permanent', 'HTTP 422'],
    ['410 outside a watch', { status: 410 }, 'permanent', 'HTTP 410'],
    ['501', { status: 501 }, 'permanent', 'HTTP 501'],
    [
      'an unknown 5xx saying etcd changed leader',
      { status: 599, message: 'etcdserver: leader changed' },
      'transient',
      'etcdserver: leader changed',
    ],
    ['ECONNRESET', { code: 'ECONNRESET', message: 'read ECONNRESET' }, 'transient', 'ECONNRESET'],
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }, 'transient', 'ECONNREFUSED'],
    ['EPIPE', { code: 'EPIPE' }, 'transient', 'EPIPE'],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }, 'transient', 'ETIMEDOUT'],
    ['lower-case code', { code: 'econnreset' }, 'transient', 'ECONNRESET'],
    [
      'socket hang up',
      { message: 'request to https://127.0.0.1:6443/api failed, reason: socket hang up' },
      'transient',
      'socket hang up',
    ],
    [
      'our own timeout',
      { timedOut: true, message: 'The user aborted a request.' },
      'transient',
      'request timeout',
    ],
    ['request timeout text', { message: 'request timed out' }, 'transient', 'request timeout'],
    [
      'etcd leader changed',
      { message: 'etcdserver: leader changed' },
      'transient',
      'etcdserver: leader changed',
    ],
    [
      'etcd request timed out',
      { message: 'etcdserver: request timed out' },
      'transient',
      'etcdserver: request timed out',
    ],
    [
      'TLS: unknown authority',
      { message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
      'permanent',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ],
    [
      'DNS: no such host',
      { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND kube' },
      'permanent',
      'ENOTFOUND',
    ],
    ['nothing known', {}, 'permanent', 'error'],
  ])('%s', (_name, input, kind, reason) => {
    const f = classifyFault(input, NOW);
    expect(f.kind).toBe(kind);
    expect(f.reason).toBe(reason);
  });

  it('honours Retry-After on 429 and 503, and marks a 429 or a refused connection as not processed', () => {
    expect(classifyFault({ status: 429, retryAfter: '3' }, NOW)).toEqual({
      kind: 'transient',
      reason: 'HTTP 429',
      retryAfterMs: 3000,
      notProcessed: true,
    });
    expect(
      classifyFault({ status: 503, retryAfter: 'Sun, 22 Nov 2026 10:00:05 GMT' }, NOW).retryAfterMs,
    ).toBe(5000);
    expect(classifyFault({ status: 500 }, NOW).notProcessed).toBeUndefined();
    expect(classifyFault({ code: 'ECONNREFUSED' }, NOW).notProcessed).toBe(true);
    expect(classifyFault({ code: 'ECONNRESET' }, NOW).notProcessed).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | null, number | null]>([
    ['0', 0],
    ['7', 7000],
    [' 2 ', 2000],
    ['Sun, 22 Nov 2026 10:00:10 GMT', 10_000],
    ['Sun, 22 Nov 2026 09:59:00 GMT', 0],
    ['soon', null],
    [null, null],
  ])('%s', (v, ms) => expect(parseRetryAfter(v, NOW)).toBe(ms));
});

describe('classifyText (istioctl stderr)', () => {
  it.each<[string, string | null]>([
    ['Error: failed to get revision: etcdserver: leader changed', 'etcdserver: leader changed'],
    [
      'Error: Get "https://10.0.0.1:443/api": dial tcp 10.0.0.1:443: connect: connection refused',
      'connection refused',
    ],
    ['read tcp 10.0.0.2:5050->10.0.0.1:443: read: connection reset by peer', 'connection reset'],
    ['the server is currently unable to handle the request (get pods)', 'server unavailable'],
    [
      'Error: the server has received too many requests and has asked us to try again later (Too Many Requests)',
      'too many requests',
    ],
    ['net/http: TLS handshake timeout', 'network timeout'],
    ['Error: could not find target revision 1-25-3', null],
    ['Error: cannot modify tag: cannot find MutatingWebhookConfiguration', null],
    ['', null],
  ])('%s', (text, reason) => expect(classifyText(text)?.reason ?? null).toBe(reason));
});

describe('backoff and the retry decision', () => {
  const p = DEFAULT_RETRY;
  const transient = { kind: 'transient' as const, reason: 'HTTP 500' };

  it('full jitter: uniform below a cap that doubles per attempt up to the maximum', () => {
    expect(backoffMs(1, p, () => 0)).toBe(0);
    expect(backoffMs(1, p, () => 0.999_999)).toBe(p.baseDelayMs - 1);
    expect(backoffMs(3, p, () => 0.5)).toBe(p.baseDelayMs * 2);
    expect(backoffMs(30, p, () => 0.999_999)).toBe(p.maxDelayMs - 1);
  });

  it.each([
    [
      'a transient fault within the budget is retried',
      transient,
      { attempt: 1, conflicts: 0, elapsedMs: 0, idempotent: true },
      { retry: true, delayMs: 125 },
    ],
    [
      'a permanent fault stops at once',
      { kind: 'permanent' as const, reason: 'HTTP 403' },
      { attempt: 1, conflicts: 0, elapsedMs: 0, idempotent: true },
      { retry: false, why: 'permanent' },
    ],
    [
      'the budget is spent',
      transient,
      { attempt: 9, conflicts: 0, elapsedMs: 59_990, idempotent: true },
      { retry: false, why: 'budget' },
    ],
    [
      'Retry-After is waited for',
      { ...transient, retryAfterMs: 2000 },
      { attempt: 1, conflicts: 0, elapsedMs: 0, idempotent: true },
      { retry: true, delayMs: 2000 },
    ],
    [
      'a Retry-After beyond the budget stops',
      { ...transient, retryAfterMs: 30_000 },
      { attempt: 2, conflicts: 0, elapsedMs: 40_000, idempotent: true },
      { retry: false, why: 'budget' },
    ],
    [
      'a 409 is retried twice',
      { kind: 'conflict' as const, reason: 'HTTP 409' },
      { attempt: 2, conflicts: 2, elapsedMs: 0, idempotent: true },
      { retry: true, delayMs: 250 },
    ],
    [
      'then stops',
      { kind: 'conflict' as const, reason: 'HTTP 409' },
      { attempt: 3, conflicts: 3, elapsedMs: 0, idempotent: true },
      { retry: false, why: 'conflict' },
    ],
    [
      'a request that is not idempotent is not sent twice after a 500',
      transient,
      { attempt: 1, conflicts: 0, elapsedMs: 0, idempotent: false },
      { retry: false, why: 'not_idempotent' },
    ],
    [
      'but after a 429 it is (not processed)',
      { ...transient, notProcessed: true },
      { attempt: 1, conflicts: 0, elapsedMs: 0, idempotent: false },
      { retry: true, delayMs: 125 },
    ],
  ])('%s', (_name, fault, state, decision) => {
    expect(decideRetry(fault, state, p, () => 0.5)).toEqual(decision);
  });
});
