import { parseProxyStatus, type Snapshot } from '../domain/proxystatus/index.js';
import type { NodeVersions } from '../domain/upgrade/ambient/index.js';
import type { ClusterReads } from '../engine/cluster-reads.js';
import { CodedError, ErrorCode } from '../errors.js';
import type { ProxyStatusQuery } from '../slack/context.js';

/**
 * `/istio ps`: one snapshot across every revision of a cluster, optionally one namespace. The raw
 * texts come from the engine's reads: this process's cluster ports, or a worker (ROLE=bot), in which
 * case a refusal such as `no_worker` keeps its code.
 */
export function proxyStatusQuery(
  reads: Pick<ClusterReads, 'proxyStatus'> & Partial<Pick<ClusterReads, 'nodeVersions'>>,
): ProxyStatusQuery {
  return async ({ cluster, namespace }) => {
    // an ambient mesh's node agents beside the proxies (a read that fails leaves them out)
    const nodes = reads.nodeVersions?.(cluster).catch(() => null);
    const res = await reads.proxyStatus(cluster);
    if (!res.ok) {
      const { code, message, hint } = res.error;
      const known = (Object.values(ErrorCode) as string[]).includes(code)
        ? (code as ErrorCode)
        : ErrorCode.KubeApi;
      throw new CodedError(known, hint ? `${message} ${hint}` : message, { code });
    }
    const merged: Snapshot & { nodes?: NodeVersions[] } = { format: 'table-1.14', proxies: [] };
    for (const [i, text] of res.value.entries()) {
      if (text.trim() === '') continue;
      const r = parseProxyStatus(text);
      if (!r.ok) {
        throw new CodedError(
          ErrorCode.IstioctlFailed,
          `proxy-status output ${i + 1} line ${r.error.line}: ${r.error.message}`,
        );
      }
      merged.format = r.snapshot.format;
      merged.proxies.push(...r.snapshot.proxies.filter((p) => !namespace || p.namespace === namespace));
    }
    const n = await nodes;
    if (n?.ok && n.value) merged.nodes = n.value;
    return merged;
  };
}
