/**
 * proxy-status from istiod's `/debug/syncz` (HTTP, port 15014), for a bot running in the cluster:
 * one GET per running istiod pod of each revision, rendered as a proxy-status table with the pod's name
 * in ISTIOD (syncz itself does not say which istiod answered).
 */
import { parseProxyStatus } from '../../domain/proxystatus/index.js';
import type { ProxyStatusSource } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import { abortError, throwIfAborted } from '../cancel.js';
import type { IstiodPod, KubeMeshInspector } from '../kube/inspector.js';
import { renderTable } from './render.js';

export interface SynczOptions {
  /** URL of an istiod pod's syncz; default `http://<podIP>:15014/debug/syncz`. */
  endpoint?: (pod: IstiodPod) => string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export class SynczProxyStatus implements ProxyStatusSource {
  constructor(
    private readonly inspector: KubeMeshInspector,
    private readonly o: SynczOptions = {},
  ) {}

  async capture(revisions: string[], signal?: AbortSignal): Promise<string[]> {
    const pods = (await this.inspector.istiodPods(undefined, signal)).filter((p) =>
      revisions.includes(p.revision),
    );
    const out: string[] = [];
    for (const pod of pods) out.push(await this.one(pod, signal));
    return out;
  }

  private async one(pod: IstiodPod, signal?: AbortSignal): Promise<string> {
    const url = this.o.endpoint?.(pod) ?? `http://${pod.ip}:15014/debug/syncz`;
    const f = this.o.fetchImpl ?? fetch;
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 30_000);
    let text: string;
    try {
      throwIfAborted(signal, `istiod ${pod.name} /debug/syncz`);
      const res = await f(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw abortError(signal, `istiod ${pod.name} /debug/syncz`);
      throw new CodedError(ErrorCode.KubeApi, `istiod ${pod.name} /debug/syncz: ${(e as Error).message}`, {
        pod: pod.name,
      });
    }
    const parsed = parseProxyStatus(text, { istiod: pod.name });
    if (!parsed.ok) {
      throw new CodedError(ErrorCode.KubeApi, `istiod ${pod.name} /debug/syncz: ${parsed.error.message}`, {
        pod: pod.name,
      });
    }
    return renderTable(
      parsed.snapshot.proxies.map((p) => ({
        name: `${p.pod}.${p.namespace}`,
        cluster: p.cluster ?? 'Kubernetes',
        istiod: pod.name,
        version: p.version || 'unknown',
        xds: p.xds,
      })),
      true,
    );
  }
}
