// Low-level cell scanning for proxy-status tables: offsets into the text, no per-line strings.
import { Role } from './header.js';
import type { XdsStatus } from './model.js';
import { normaliseStatus } from './status.js';

/** Codes for the states; 0 is an empty cell. Rows are keyed by a base-6 number of these codes. */
export const CODE: Record<XdsStatus, number> = { SYNCED: 1, 'NOT SENT': 2, STALE: 3, IGNORED: 4, ERROR: 5 };
export const STATUS: readonly XdsStatus[] = ['SYNCED', 'SYNCED', 'NOT SENT', 'STALE', 'IGNORED', 'ERROR'];

/**
 * Splits text[from, to) into cells separated by two or more spaces or a tab; writes absolute cell
 * offsets to cs/ce, returns the count. `to` excludes trailing blanks.
 */
export function tokenize(text: string, from: number, to: number, cs: number[], ce: number[]): number {
  let n = 0;
  let i = from;
  while (i < to) {
    let c = text.charCodeAt(i);
    while (c === 32 || c === 9) c = text.charCodeAt(++i);
    if (i >= to) break;
    const start = i;
    while (i < to) {
      c = text.charCodeAt(i);
      if (
        c === 9 ||
        (c === 32 && i + 1 < to && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9))
      ) {
        break;
      }
      i++;
    }
    cs[n] = start;
    ce[n] = i;
    n++;
  }
  return n;
}

function is(text: string, s: number, e: number, w: string): boolean {
  if (!text.startsWith(w, s)) return false;
  const k = s + w.length;
  return k === e || (text.charCodeAt(k) === 32 && text.charCodeAt(k + 1) === 40); // end, or " ("
}

/** Code of the state in text[s, e): istioctl's exact spellings first, normaliseStatus for the rest; -1 if unknown. */
export function codeAt(text: string, s: number, e: number): number {
  if (s >= e) return 0;
  switch (text.charCodeAt(s)) {
    case 83: // S
      if (is(text, s, e, 'SYNCED')) return 1;
      if (is(text, s, e, 'STALE')) return 3;
      break;
    case 78: // N
      if (is(text, s, e, 'NOT SENT')) return 2;
      break;
    case 73: // I
      if (is(text, s, e, 'IGNORED')) return 4;
      break;
    case 69: // E
      if (is(text, s, e, 'ERROR')) return 5;
      break;
  }
  const v = normaliseStatus(text.slice(s, e));
  return v === undefined ? -1 : v === null ? 0 : CODE[v];
}

// Give codeAt type feedback for every branch before it gets hot, so the optimised parser does not
// deoptimise the first time a rare state (STALE, ERROR, an odd spelling) shows up deep in a table.
for (const sample of [
  'SYNCED',
  'SYNCED (1s)',
  'STALE',
  'STALE (1s)',
  'NOT SENT',
  'IGNORED',
  'ERROR',
  'NOT_SENT',
  '',
]) {
  codeAt(sample, 0, sample.length);
}

/** Returns the same string for repeated cell texts without cutting a new one (few distinct values). */
export class Interner {
  private readonly values: string[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  get(text: string, s: number, e: number): string {
    const len = e - s;
    const vs = this.values;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      // the last character first: cheap, and it tells pod names of one ReplicaSet apart
      if (v.length === len && v.charCodeAt(len - 1) === text.charCodeAt(e - 1) && text.startsWith(v, s)) {
        return v;
      }
    }
    const v = text.slice(s, e);
    if (vs.length < this.size) vs.push(v);
    else {
      vs[this.next] = v;
      this.next = (this.next + 1) % this.size;
    }
    return v;
  }
}

export const SPACES: readonly string[] = Array.from({ length: 257 }, (_, i) => ' '.repeat(i));

/** A class, not a literal: see State in table.ts (no field-type generalisation on the second table). */
export class Shared {
  constructor(
    readonly xds: Record<string, XdsStatus>,
    readonly synced: boolean,
    /** the types that are STALE or ERROR, in code-unit order (what the diff's notSynced lists). */
    readonly bad: readonly string[],
  ) {}
}

/**
 * The xds object for a row signature (base-6 digits, one per type column; 0 = empty cell, left out),
 * built once per table and shared by every row with the same states, frozen.
 */
export function xdsFor(
  roles: Role[],
  names: string[],
  cache: Map<number, Shared>,
  signature: number,
): Shared {
  const codes: number[] = [];
  for (let sig = signature, i = roles.length - 1; i >= 0; i--) {
    if (roles[i] !== Role.Type) continue;
    codes[i] = sig % 6;
    sig = Math.floor(sig / 6);
  }
  const xds: Record<string, XdsStatus> = {};
  for (let i = 0; i < roles.length; i++) {
    const code = codes[i];
    if (code === undefined || code === 0) continue;
    const v = STATUS[code]!;
    xds[names[i]!] = v;
  }
  // from the finished object, so a type named twice in the header counts once, with its last state
  const bad = Object.keys(xds).filter((k) => xds[k] === 'STALE' || xds[k] === 'ERROR');
  bad.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const shared = new Shared(Object.freeze(xds), bad.length === 0, Object.freeze(bad));
  cache.set(signature, shared);
  return shared;
}
