// xDS state normalisation and type-name helpers shared by every parser.
import type { XdsStatus } from './model.js';

/**
 * Normalises one state cell: `SYNCED (2m3s)` → SYNCED, `STALE (Never Acknowledged)` → STALE,
 * `NOT_SENT` → `NOT SENT`, `UNKNOWN` → IGNORED (what istioctl itself prints for it).
 * Returns undefined for an unrecognised value, null for an empty cell.
 */
export function normaliseStatus(raw: string): XdsStatus | null | undefined {
  let s = raw.trim();
  if (s === '') return null;
  const paren = s.indexOf('(');
  if (paren >= 0) s = s.slice(0, paren).trimEnd();
  switch (s.toUpperCase()) {
    case 'SYNCED':
      return 'SYNCED';
    case 'NOT SENT':
    case 'NOT_SENT':
      return 'NOT SENT';
    case 'STALE':
      return 'STALE';
    case 'IGNORED':
    case 'UNKNOWN':
      return 'IGNORED';
    case 'ERROR':
      return 'ERROR';
    default:
      return undefined;
  }
}

export function isBad(status: XdsStatus): boolean {
  return status === 'STALE' || status === 'ERROR';
}

/** false when any type is STALE or ERROR, true otherwise. */
export function syncedOf(xds: Record<string, XdsStatus>): boolean {
  for (const k in xds) {
    if (isBad(xds[k]!)) return false;
  }
  return true;
}

const SHORT: Record<string, string> = {
  'envoy.config.cluster.v3.Cluster': 'CDS',
  'envoy.config.listener.v3.Listener': 'LDS',
  'envoy.config.route.v3.RouteConfiguration': 'RDS',
  'envoy.config.endpoint.v3.ClusterLoadAssignment': 'EDS',
  'envoy.config.core.v3.TypedExtensionConfig': 'ECDS',
  'envoy.extensions.transport_sockets.tls.v3.Secret': 'SDS',
  'istio.workload.Address': 'WDS',
  'istio.workload.Workload': 'WDS',
  'istio.security.Authorization': 'WADS',
  'istio.networking.nds.v1.NameTable': 'NDS',
  'istio.mesh.v1alpha1.ProxyConfig': 'PCDS',
};

/**
 * `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `CDS`, as istio's model.GetShortType names
 * them; unknown types keep their last path segment (istioctl would print the whole URL).
 */
export function shortType(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  const name = slash >= 0 ? typeUrl.slice(slash + 1) : typeUrl;
  return SHORT[name] ?? name;
}
