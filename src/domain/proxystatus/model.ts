// Proxy-status model: the shapes every parser produces and the diff consumes.
// Pure types and tiny helpers only; no I/O.

/** Normalised per-xDS-type state (durations and parenthesised details dropped). */
export type XdsStatus = 'SYNCED' | 'NOT SENT' | 'STALE' | 'IGNORED' | 'ERROR';

/**
 * Which output a snapshot was parsed from.
 * - `table-1.12`: `NAME CDS LDS EDS RDS ISTIOD VERSION` (istioctl ≤ 1.12)
 * - `table-1.13`: adds CLUSTER
 * - `table-1.14`: adds ECDS (istioctl 1.14 – 1.26)
 * - `table-1.27`: `NAME CLUSTER ISTIOD VERSION SUBSCRIBED TYPES` (no sync state)
 * - `table-1.27-verbose`: `-v 1`, per-type columns after the default ones
 * - `json-1.30`: `istioctl ps -o json` (1.30+), concatenated DiscoveryResponses
 * - `syncz`: istiod `/debug/syncz` JSON array
 */
export type ProxyStatusFormat =
  | 'table-1.12'
  | 'table-1.13'
  | 'table-1.14'
  | 'table-1.27'
  | 'table-1.27-verbose'
  | 'json-1.30'
  | 'syncz';

export interface ProxyRecord {
  /** Pod name (NAME before the last `.`). */
  pod: string;
  namespace: string;
  /** Owning workload derived from the pod name (Deployment / StatefulSet / DaemonSet naming). */
  workload: string;
  /** Cluster id, null when the format has none. */
  cluster: string | null;
  /** istiod pod name, null when unknown (syncz without a hint). */
  istiod: string | null;
  /** Revision from the istiod pod name (`default` for `istiod-<hash>-<id>`, `unknown` if no istiod). */
  revision: string;
  /** Proxy version exactly as given (may be `1.24.2-distroless`, `1.9.0*`, ...). */
  version: string;
  /** Per-type state, keyed by the type name as the source spells it (CDS, LDS, EDS, RDS, ECDS, ...). */
  xds: Record<string, XdsStatus>;
  /** false if any type is STALE/ERROR, true if the format carries sync state and none is, null otherwise. */
  synced: boolean | null;
}

/** Alias the issue uses; importing it as `Proxy` shadows the global Proxy, so prefer `ProxyRecord`. */
export type Proxy = ProxyRecord;

export interface Snapshot {
  format: ProxyStatusFormat;
  proxies: ProxyRecord[];
}

export type ParseErrorCode =
  | 'EMPTY_INPUT'
  | 'UNKNOWN_FORMAT'
  | 'MISSING_COLUMN'
  | 'BAD_ROW'
  | 'BAD_JSON'
  | 'BAD_RECORD';

export interface ParseError {
  code: ParseErrorCode;
  message: string;
  /** 1-based line in the input the error refers to. */
  line: number;
}

export type ParseResult = { ok: true; snapshot: Snapshot } | { ok: false; error: ParseError };

export interface ParseOptions {
  /** syncz carries no istiod pod name: use this one (and its revision) for every proxy. */
  istiod?: string;
}

export interface WorkloadKey {
  namespace: string;
  workload: string;
}

export interface MovedWorkload extends WorkloadKey {
  /** Revisions joined by `,`, sorted. */
  fromRevision: string;
  toRevision: string;
  /** Versions joined by `,`, sorted. */
  fromVersion: string;
  toVersion: string;
}

export interface PartialWorkload extends WorkloadKey {
  fromRevisions: string[];
  toRevisions: string[];
}

export interface WorkloadRevision extends WorkloadKey {
  /** Revisions joined by `,`, sorted. */
  revision: string;
}

export interface NotSyncedProxy {
  namespace: string;
  pod: string;
  /** xDS types that are STALE or ERROR. */
  types: string[];
}

export interface ProxyDiff {
  /** Proxy count per revision. */
  before: Record<string, number>;
  after: Record<string, number>;
  moved: MovedWorkload[];
  partial: PartialWorkload[];
  unchanged: WorkloadRevision[];
  added: WorkloadRevision[];
  removed: WorkloadRevision[];
  notSynced: NotSyncedProxy[];
}
