// The header line of a proxy-status table: which column is what, where each column starts, and
// which istioctl version's layout it is.
import type { ProxyStatusFormat } from './model.js';
import { shortType } from './status.js';

export enum Role {
  Name,
  Cluster,
  Istiod,
  Version,
  Subscribed,
  Type,
  Other,
}

export interface Header {
  roles: Role[];
  /** cell text per column (the xDS type name for Role.Type). */
  names: string[];
  /** offset of each column from the start of the line. */
  starts: number[];
  format: ProxyStatusFormat;
}

const TYPE_HEADER = /^[A-Z][A-Z0-9]{0,5}DS$/;

function roleOf(cell: string): Role {
  switch (cell) {
    case 'NAME':
    case 'PROXY':
      return Role.Name;
    case 'CLUSTER':
      return Role.Cluster;
    case 'ISTIOD':
    case 'PILOT':
      return Role.Istiod;
    case 'VERSION':
      return Role.Version;
    case 'SUBSCRIBED TYPES':
      return Role.Subscribed;
    default:
      return TYPE_HEADER.test(cell) || cell.startsWith('CRD:') || cell.includes('/') ? Role.Type : Role.Other;
  }
}

function detectFormat(roles: Role[], names: string[]): ProxyStatusFormat {
  const types = names.filter((_, i) => roles[i] === Role.Type);
  if (roles.includes(Role.Subscribed)) return types.length > 0 ? 'table-1.27-verbose' : 'table-1.27';
  if (types.length === 0) return 'table-1.27';
  const ecds = types.indexOf('ECDS');
  const lds = types.indexOf('LDS');
  // 1.14–1.26 print CDS LDS EDS RDS ECDS; `-v 1` (1.27+) sorts by type URL: CDS ECDS EDS LDS RDS.
  if (ecds >= 0 && lds >= 0 && ecds < lds) return 'table-1.27-verbose';
  if (ecds >= 0) return 'table-1.14';
  return roles.includes(Role.Cluster) ? 'table-1.13' : 'table-1.12';
}

/** True when the line's first cell is a header's first column. */
export function looksLikeHeader(firstCell: string): boolean {
  return firstCell === 'NAME' || firstCell === 'PROXY';
}

/** Reads a header from its cells; null when it lacks NAME first or ISTIOD. */
export function readHeader(cells: string[], starts: number[]): Header | null {
  const roles = cells.map(roleOf);
  if (roles[0] !== Role.Name || !roles.includes(Role.Istiod)) return null;
  // istioctl prints the whole type URL for types it has no short name for
  const names = cells.map((c, i) => (roles[i] === Role.Type && c.includes('/') ? shortType(c) : c));
  return { roles, names, starts, format: detectFormat(roles, names) };
}
