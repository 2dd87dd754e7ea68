/**
 * Renders proxies as an istioctl proxy-status table the domain parser reads (pure):
 * - with sync state: the 1.14–1.26 layout `NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION`;
 * - without (Kubernetes-only source): `NAME CLUSTER ISTIOD VERSION` (parsed as 1.27+, synced unknown).
 * Columns are padded with at least three spaces, as tabwriter does, so `NOT SENT` stays one cell.
 */
export interface RenderRow {
  /** `<pod>.<namespace>` */
  name: string;
  cluster: string;
  istiod: string;
  version: string;
  /** Per type (CDS, LDS, EDS, RDS, ECDS): SYNCED, NOT SENT, STALE, ERROR, IGNORED. */
  xds?: Record<string, string>;
}

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS', 'ECDS'];

export function renderTable(rows: RenderRow[], withSync: boolean): string {
  const header = withSync
    ? ['NAME', 'CLUSTER', ...TYPES, 'ISTIOD', 'VERSION']
    : ['NAME', 'CLUSTER', 'ISTIOD', 'VERSION'];
  const body = [...rows]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) =>
      withSync
        ? [r.name, r.cluster, ...TYPES.map((t) => r.xds?.[t] ?? 'NOT SENT'), r.istiod, r.version]
        : [r.name, r.cluster, r.istiod, r.version],
    );
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return `${all
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/**
 * An istiod pod name that carries `revision` for the parser (`istiod-<rev>-<hash>-<id>`), for when no
 * istiod pod of that revision runs; `default` gives `istiod-<hash>-<id>`.
 */
export function placeholderIstiod(revision: string): string {
  return revision === 'default' ? 'istiod-0000000000-zzzzz' : `istiod-${revision}-0000000000-zzzzz`;
}
