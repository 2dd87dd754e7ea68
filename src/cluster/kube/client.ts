/**
 * One cluster's Kubernetes client: loaded from a kubeconfig context or in-cluster, every request
 * counted (the benchmark reports requests per workload) and every error mapped to CodedError(kube_api).
 */
import {
  AdmissionregistrationV1Api,
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { CodedError, ErrorCode } from '../../errors.js';

export const IN_CLUSTER = 'in-cluster';

export interface KubeTarget {
  /** kubeconfig context, or `in-cluster` for the pod's ServiceAccount. */
  context: string;
  /** kubeconfig file; default: KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string | undefined;
}

export interface KubeStats {
  requests: number;
  watches: number;
  byWhat: Record<string, number>;
}

/** The merge-patch content type (the generated client defaults to json-patch). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubeClient {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly stats: KubeStats = { requests: 0, watches: 0, byWhat: {} };

  constructor(readonly target: KubeTarget) {
    this.kc = loadConfig(target);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.admission = this.kc.makeApiClient(AdmissionregistrationV1Api);
  }

  /** Runs one API request: counted, and failures turned into CodedError(kube_api). */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.count(what);
    try {
      return await fn();
    } catch (e) {
      throw kubeError(what, e);
    }
  }

  /** Like call, but a 404 answers null. */
  async callOrNull<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await this.call(what, fn);
    } catch (e) {
      if (e instanceof CodedError && e.details.status === 404) return null;
      throw e;
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

/** `what` reads like `patch Deployment shop/cart`. */
export function kubeError(what: string, e: unknown): CodedError {
  if (e instanceof CodedError) return e;
  if (e instanceof ApiException) {
    const s = statusBody(e.body);
    const msg = s.message ?? e.message.split('\n')[0];
    return new CodedError(ErrorCode.KubeApi, `Kubernetes API: ${what} failed (HTTP ${e.code}): ${msg}`, {
      status: e.code,
      reason: s.reason ?? null,
    });
  }
  const err = e as { message?: string; code?: string; statusCode?: number };
  return new CodedError(ErrorCode.KubeApi, `Kubernetes API: ${what} failed: ${err.message ?? String(e)}`, {
    status: err.statusCode ?? null,
    cause: err.code ?? null,
  });
}
