/**
 * Kubernetes request failures as the adapters report them: the fault of a failed attempt (faults.ts)
 * and the CodedError(kube_api) the thread shows (the Status message, never headers or credentials).
 */
import { ApiException } from '@kubernetes/client-node';
import { CodedError, ErrorCode } from '../../errors.js';
import { classifyFault, type Fault } from './faults.js';

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  return (body ?? {}) as StatusBody;
}

export interface RawError {
  message?: string;
  code?: string;
  errno?: string;
  type?: string;
  statusCode?: number;
}

/** One attempt got no answer within the request timeout. */
export class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)}s`} (KUBE_REQUEST_TIMEOUT)`);
  }
}

/** The fault of a failed attempt (raw, or already a CodedError from `call`). */
export function faultOf(e: unknown): Fault {
  if (e instanceof CodedError) {
    return classifyFault({
      status: e.details.status as number | null,
      code: (e.details.cause as string | null) ?? null,
      message: e.message,
      retryAfter: (e.details.retryAfter as string | null) ?? null,
    });
  }
  if (e instanceof ApiException) {
    const headers = (e.headers ?? {}) as Record<string, string>;
    return classifyFault({
      status: e.code,
      message: statusBody(e.body).message ?? null,
      retryAfter: headers['retry-after'] ?? null,
    });
  }
  const err = (e ?? {}) as RawError;
  return classifyFault({
    status: err.statusCode ?? null,
    code: err.code ?? err.errno ?? null,
    message: err.message ?? String(e),
  });
}

/** `what` reads like `patch Deployment shop/cart`. */
export function kubeError(what: string, e: unknown): CodedError {
  if (e instanceof CodedError) return e;
  const fault = faultOf(e).kind;
  if (e instanceof ApiException) {
    const s = statusBody(e.body);
    const msg = s.message ?? e.message.split('\n')[0];
    const retryAfter = ((e.headers ?? {}) as Record<string, string>)['retry-after'] ?? null;
    return new CodedError(ErrorCode.KubeApi, `Kubernetes API: ${what} failed (HTTP ${e.code}): ${msg}`, {
      status: e.code,
      reason: s.reason ?? null,
      fault,
      ...(retryAfter !== null ? { retryAfter } : {}),
    });
  }
  const err = (e ?? {}) as RawError;
  return new CodedError(ErrorCode.KubeApi, `Kubernetes API: ${what} failed: ${err.message ?? String(e)}`, {
    status: err.statusCode ?? null,
    cause: err.code ?? null,
    fault,
  });
}

/** The error that escapes `request`: says how many attempts were made. */
export function withAttempts(what: string, e: CodedError, attempts: number): CodedError {
  const message =
    attempts > 1
      ? e.message.replace(`${what} failed`, `${what} failed after ${attempts} attempts`)
      : e.message;
  return new CodedError(e.code, message, { ...e.details, attempts });
}
