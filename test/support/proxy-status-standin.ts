// STAND-IN for `istioctl proxy-status` (istioctl/pkg/proxystatus + pkg/writer/pilot/status.go),
// for the e2e cluster only. The real command asks each running istiod for its connected proxies
// over xDS; here no istiod or Envoy runs (KWOK pods are fake), so this reports every running pod
// with an `istio-proxy` container as connected to a running istiod pod of the pod's revision,
// and prints it in the exact table format of the given istioctl version:
//   < 1.27 : NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION   (cells "SYNCED (2m3s)", "IGNORED")
//   >= 1.27: NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES        (cell "4 (CDS,LDS,EDS,RDS)")
// laid out with Go text/tabwriter Init(w, 0, 8, 5, ' ', 0), rows sorted by NAME.
// Revision selection as istioctl: `-r` selects istiods labelled istio.io/rev=<r>; without it,
// < 1.28 queries every istiod, >= 1.28 the default revision (tag "default", else "default").
// `-o json` is an unknown flag before 1.27, ignored in 1.27-1.29, JSON DiscoveryResponses from 1.30.

export const ISTIO_NAMESPACE = 'istio-system';
export const CLUSTER_ID = 'Kubernetes';

/** Minimal pod shape the stand-in reads (a subset of V1Pod). */
export interface StandinPod {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: Date | string;
  };
  spec?: {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
  status?: {
    phase?: string;
    startTime?: Date | string;
    conditions?: { type: string; status: string; lastTransitionTime?: Date | string }[];
  };
}

export interface ProxyRow {
  proxyId: string;
  namespace: string;
  istiod: string;
  istiodVersion: string;
  version: string;
  since: Date;
}

/** "1.25.3" -> [1, 25]; "1.31-dev" -> [1, 31]. */
export function majorMinor(version: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not an Istio version: ${version}`);
  return [Number(m[1]), Number(m[2])];
}

export function atLeast(version: string, minor: number): boolean {
  const [maj, min] = majorMinor(version);
  return maj > 1 || min >= minor;
}

/** The revision a proxy pod belongs to: injection status, else the pod label, else "default". */
export function proxyRevision(pod: StandinPod): string {
  const status = pod.metadata?.annotations?.['sidecar.istio.io/status'];
  if (status) {
    try {
      const rev = (JSON.parse(status) as { revision?: string }).revision;
      if (rev) return rev;
    } catch {
      // fall through, as istiod would ignore a malformed annotation
    }
  }
  return pod.metadata?.labels?.['istio.io/rev'] || 'default';
}

function proxyContainer(pod: StandinPod) {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
}

/** The proxy's ISTIO_VERSION: its image tag without a variant suffix such as -distroless. */
export function proxyVersion(image: string | undefined): string {
  const tag = image?.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
  return tag.replace(/-(distroless|debug)$/, '');
}

function toDate(v: Date | string | undefined, fallback: Date): Date {
  if (v === undefined) return fallback;
  return v instanceof Date ? v : new Date(v);
}

export function isRunning(pod: StandinPod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
}

/**
 * Which rows the queried istiods report. `istiods` are the running istiod pods istioctl selected;
 * `allPods` is every pod of the cluster. A proxy connects to one running istiod of its revision.
 */
export function connectedProxies(istiods: StandinPod[], allPods: StandinPod[], now: Date): ProxyRow[] {
  const byRev = new Map<string, StandinPod[]>();
  for (const p of allPods.filter((x) => isRunning(x) && x.metadata?.labels?.app === 'istiod')) {
    const rev = p.metadata?.labels?.['istio.io/rev'] || 'default';
    byRev.set(
      rev,
      [...(byRev.get(rev) ?? []), p].sort((a, b) => cmp(a.metadata?.name, b.metadata?.name)),
    );
  }
  const queried = new Set(istiods.map((p) => p.metadata?.name));
  const rows: ProxyRow[] = [];
  for (const pod of allPods) {
    const c = proxyContainer(pod);
    if (!c || !isRunning(pod)) continue;
    const candidates = byRev.get(proxyRevision(pod)) ?? [];
    if (candidates.length === 0) continue; // its control plane is gone: not connected anywhere
    const name = pod.metadata?.name ?? '';
    const istiod = candidates[hash(name) % candidates.length]!;
    const istiodName = istiod.metadata?.name ?? '';
    if (!queried.has(istiodName)) continue;
    const ready = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
    rows.push({
      proxyId: `${name}.${pod.metadata?.namespace ?? ''}`,
      namespace: pod.metadata?.namespace ?? '',
      istiod: istiodName,
      istiodVersion: proxyVersion(istiod.spec?.containers?.find((x) => x.name === 'discovery')?.image),
      version: proxyVersion(c.image),
      since: toDate(ready?.lastTransitionTime ?? pod.status?.startTime, now),
    });
  }
  return rows.sort((a, b) => cmp(a.proxyId, b.proxyId));
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, as istioctl uses it. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Go text/tabwriter with minwidth 0, tabwidth 8, padding 5, padchar ' ', no flags. */
export function tabwrite(rows: string[][]): string {
  const ncols = Math.max(...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < ncols - 1; c++) {
    widths.push(Math.max(...rows.map((r) => (c < r.length - 1 ? [...r[c]!].length : 0))) + 5);
  }
  return rows
    .map((r) => `${r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(widths[c]!) : cell)).join('')}\n`)
    .join('');
}

export const TYPE_URLS = {
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

/** The table `istioctl ps` of `istioctlVersion` prints for these rows. */
export function renderTable(istioctlVersion: string, rows: ProxyRow[], now: Date): string {
  if (atLeast(istioctlVersion, 27)) {
    const out = [['NAME', 'CLUSTER', 'ISTIOD', 'VERSION', 'SUBSCRIBED TYPES']];
    for (const r of rows) out.push([r.proxyId, CLUSTER_ID, r.istiod, r.version, '4 (CDS,LDS,EDS,RDS)']);
    return tabwrite(out);
  }
  const out = [['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']];
  for (const r of rows) {
    const synced = `SYNCED (${humanDuration(now.getTime() - r.since.getTime())})`;
    out.push([r.proxyId, CLUSTER_ID, synced, synced, synced, synced, 'IGNORED', r.istiod, r.version]);
  }
  return tabwrite(out);
}

/** `-o json` from 1.30: one pretty-printed DiscoveryResponse per queried istiod, concatenated. */
export function renderJson(rows: ProxyRow[], istiods: StandinPod[], now: Date): string {
  const docs: string[] = [];
  for (const istiod of [...istiods].sort((a, b) => cmp(a.metadata?.name, b.metadata?.name))) {
    const id = istiod.metadata?.name ?? '';
    const version = proxyVersion(istiod.spec?.containers?.find((x) => x.name === 'discovery')?.image);
    const mine = rows.filter((r) => r.istiod === id);
    const info = {
      Component: 'istiod',
      ID: id,
      Info: { version, revision: 'standin', status: 'Clean', tag: version },
    };
    const doc = {
      versionInfo: `${now.toISOString().replace(/\.\d+Z$/, 'Z')}/1`,
      resources: mine.map((r) => ({
        '@type': 'type.googleapis.com/envoy.service.status.v3.ClientConfig',
        node: { id: r.proxyId, metadata: { CLUSTER_ID, ISTIO_VERSION: r.version, NAMESPACE: r.namespace } },
        genericXdsConfigs: Object.values(TYPE_URLS).map((typeUrl) => ({
          typeUrl,
          lastUpdated: r.since.toISOString(),
          configStatus: 'SYNCED',
        })),
      })),
      typeUrl: 'istio.io/debug/syncz',
      nonce: `standin-${id}`,
      controlPlane: { identifier: JSON.stringify(info) },
    };
    docs.push(`${JSON.stringify(doc, null, 4)}\n`);
  }
  return docs.join('');
}
