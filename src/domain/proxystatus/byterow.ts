// One row of an istioctl table read from its bytes, in one pass: each cell is found under its header
// column and every byte of the line is looked at once (a gap must be spaces, a cell printable ASCII
// that ends at a double space). Cells that repeat are compared in place with what was seen before
// (the last NAME's ReplicaSet prefix and namespace, ISTIOD, VERSION, istioctl's state words); text is
// made only for a new workload and a first ISTIOD or VERSION. A row the parser's fast path would not
// take, or would refuse, is not read (false), and the caller hands the input to the parser.
import { codeAt, type Shared, xdsFor } from './cells.js';
import { Role } from './header.js';
import type { Group, Summary } from './summary.js';
import { lastDash, revisionOf, safeAt, validNamespace, validPod, workloadEndAt } from './workload.js';

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (const ch of chars) set[ch.charCodeAt(0)] = 1;
  return set;
}
/** Kubernetes' random-suffix alphabet, and the bytes a NAME (`<pod>.<namespace>`) may hold. */
const SAFE = byteSet('bcdfghjklmnpqrstvwxz2456789');
const NAME = byteSet('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.');

const ascii = (w: string) => Uint8Array.from(w, (c) => c.charCodeAt(0));
/** istioctl's spellings of the states (code = index), matched as bytes; others go through codeAt. */
const WORDS = ['', 'SYNCED', 'NOT SENT', 'STALE', 'IGNORED', 'ERROR'].map(ascii);

/** Reused arguments for String.fromCharCode, one array per length (resizing one array reallocated it). */
const CODES: number[][] = [];

/** The text of b[s, e) (ASCII here): the few strings this reader keeps. */
export function text(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let at = s; at < e; at += 256) {
    const n = Math.min(256, e - at);
    let codes = CODES[n];
    if (codes === undefined) {
      codes = new Array<number>(n).fill(0);
      CODES[n] = codes;
    }
    for (let i = 0; i < n; i++) codes[i] = b[at + i]!;
    out += String.fromCharCode.apply(null, codes);
  }
  return out;
}

/** b[s, s + to - from) equals w[from, to). */
function same(b: Uint8Array, s: number, w: Uint8Array, from: number, to: number): boolean {
  for (let i = from, at = s; i < to; i++, at++) if (b[at] !== w[i]) return false;
  return true;
}

/** A cell ends at stop or at the first double space: is e such an end? */
function endsAt(b: Uint8Array, e: number, stop: number): boolean {
  return e === stop || (e < stop && b[e] === 32 && b[e + 1] === 32);
}

/** End of the cell from `from` (its first double space, or stop); -1 at a byte outside printable ASCII. */
function cellEnd(b: Uint8Array, from: number, stop: number): number {
  for (let e = from; e < stop; e++) {
    const c = b[e]!;
    if (c === 32) {
      if (b[e + 1] === 32) return e;
    } else if (c < 33 || c > 126) return -1;
  }
  return stop;
}

/**
 * An ISTIOD or VERSION cell seen before: its bytes, its text, its revision (ISTIOD); a list through
 * next (not an array: a new reader's empty array has another elements kind, which deoptimised the
 * row code at the second table).
 */
class Seen {
  constructor(
    readonly bytes: Uint8Array,
    readonly value: string,
    readonly revision: string,
    readonly next: Seen | null,
    readonly count: number,
  ) {}
}

/** Reader state; a class, so the row code sees one shape (see RecordSink). */
export class RowReader {
  b: Uint8Array = new Uint8Array(0);
  starts: number[] = [];
  roles: Role[] = [];
  names: string[] = [];
  hasTypes = false;
  shared = new Map<number, Shared>();
  /** the last row's states (rows in a run mostly share them) */
  signature = -1;
  state: Shared | null = null;
  istiods: Seen | null = null;
  versions: Seen | null = null;
  /** the last new NAME, when it ends in `-<5 safe chars>`: its bytes, the length before those 5. */
  prev = new Uint8Array(256);
  prevN = 0;
  preN = 0;
  /** the last row's group; a new NAME's namespace, workload, prefix length; the dot; a state's code. */
  group: Group | null = null;
  fresh = false;
  namespace = '';
  workload = '';
  cut = 0;
  dot = 0;
  code = 0;

  constructor(readonly summary: Summary) {}
}

/** The Seen of the cell at s, compared in place with those in list; null when it is not one. */
function seenCell(list: Seen | null, b: Uint8Array, s: number, stop: number): Seen | null {
  for (let v = list; v !== null; v = v.next) {
    const n = v.bytes.length;
    if (b[s + n - 1] === v.bytes[n - 1] && endsAt(b, s + n, stop) && same(b, s, v.bytes, 0, n)) return v;
  }
  return null;
}

/** A first ISTIOD or VERSION cell at s, added to r's list; null when it is not one. */
function newSeen(r: RowReader, s: number, stop: number, istiod: boolean): Seen | null {
  const b = r.b;
  const e = cellEnd(b, s, stop);
  if (e < 0) return null;
  const value = text(b, s, e);
  if (istiod && value.indexOf(' ') >= 0) return null; // the parser says why
  const list = istiod ? r.istiods : r.versions;
  const count = list === null ? 1 : list.count + 1;
  const v = new Seen(b.slice(s, e), value, istiod ? revisionOf(value) : '', list, count);
  if (count > 32) return v; // not kept: few istiod pods and versions, anything else reads slower
  if (istiod) r.istiods = v;
  else r.versions = v;
  return v;
}

/** The end of the state cell at s, its code in r.code; -1 when it is not a state. */
function typeCell(r: RowReader, b: Uint8Array, s: number, stop: number): number {
  const c = b[s];
  const code = c === 83 ? (b[s + 1] === 89 ? 1 : 3) : c === 78 ? 2 : c === 73 ? 4 : c === 69 ? 5 : 0;
  const w = WORDS[code]!;
  const p = s + w.length;
  r.code = code;
  if (code > 0 && p <= stop && same(b, s, w, 0, w.length)) {
    if (endsAt(b, p, stop)) return p;
    if (b[p] === 32 && b[p + 1] === 40) return cellEnd(b, p + 2, stop); // `SYNCED (3m)`
  }
  const e = cellEnd(b, s, stop);
  if (e < 0) return -1;
  const cell = text(b, s, e); // another spelling (`NOT_SENT`, `synced`, `SYNCED(1s)`), or none
  r.code = codeAt(cell, 0, cell.length);
  return r.code < 0 ? -1 : e;
}

/**
 * The end of the NAME cell at s, or -1 when it is not `<pod>.<namespace>`. A NAME that is the last
 * new one's ReplicaSet prefix, 5 safe bytes and namespace is compared in place; others are checked
 * and split by newName (r.fresh).
 */
function nameCell(r: RowReader, b: Uint8Array, s: number, stop: number): number {
  const pn = r.preN;
  const e = s + r.prevN;
  if (
    pn > 0 &&
    endsAt(b, e, stop) &&
    same(b, s, r.prev, 0, pn) &&
    same(b, s + pn + 5, r.prev, pn + 5, r.prevN)
  ) {
    const at = s + pn;
    if (SAFE[b[at]!]! & SAFE[b[at + 1]!]! & SAFE[b[at + 2]!]! & SAFE[b[at + 3]!]! & SAFE[b[at + 4]!]!) {
      r.dot = at + 5;
      r.fresh = false;
      return e;
    }
  }
  let end = s;
  while (end < stop && NAME[b[end]!] === 1) end++;
  return endsAt(b, end, stop) ? newName(r, s, end) : -1;
}

/** A NAME checked and split as the parser does: its end, or -1. */
function newName(r: RowReader, nameS: number, nameE: number): number {
  const name = text(r.b, nameS, nameE);
  const d = name.lastIndexOf('.');
  if (d <= 0 || !validPod(name, 0, d) || !validNamespace(name, d + 1, name.length)) return -1;
  r.fresh = true;
  r.namespace = name.slice(d + 1);
  r.workload = name.slice(0, workloadEndAt(name, 0, d));
  const dash = lastDash(name, 0, d);
  r.cut = dash > 0 && d - dash === 6 && safeAt(name, dash + 1, d) ? dash + 1 : 0;
  r.dot = nameS + d;
  return nameE;
}

/** A new NAME's row was read: its group made, its bytes kept for the rows of its ReplicaSet. */
function remember(r: RowReader, nameS: number, nameE: number, revision: string, version: string): Group {
  const n = nameE - nameS;
  if (r.prev.length < n) r.prev = new Uint8Array(2 * n);
  const { b, prev } = r;
  for (let i = 0; i < n; i++) prev[i] = b[nameS + i]!;
  r.prevN = n;
  r.preN = r.cut;
  return r.summary.proxy(r.namespace, r.workload, revision, version);
}

/** One aligned, valid row b[lineStart, stop) into the summary; false when the parser must judge it. */
export function readRow(r: RowReader, lineStart: number, stop: number): boolean {
  const { b, starts, roles } = r;
  const cols = starts.length;
  let i = lineStart; // end of the last non-empty cell
  let nameE = -1;
  let revision = 'unknown';
  let version = '';
  let signature = 0;
  for (let k = 0; k < cols; k++) {
    const s = lineStart + starts[k]!;
    const role = roles[k];
    if (s >= stop || b[s] === 32) {
      if (role === Role.Type) signature *= 6; // an empty cell
      continue;
    }
    if (k > 0) {
      if (s - i < 2) return false;
      for (; i < s; i++) if (b[i] !== 32) return false;
    } else if (s !== lineStart) return false;
    let e: number;
    if (role === Role.Name) {
      e = nameCell(r, b, s, stop);
      nameE = e;
    } else if (role === Role.Type) {
      e = typeCell(r, b, s, stop);
      signature = signature * 6 + r.code;
    } else if (role === Role.Istiod || role === Role.Version) {
      const istiod = role === Role.Istiod;
      const v = seenCell(istiod ? r.istiods : r.versions, b, s, stop) ?? newSeen(r, s, stop, istiod);
      if (v === null) return false;
      e = s + v.bytes.length;
      if (role === Role.Istiod) revision = v.revision;
      else version = v.value;
    } else e = cellEnd(b, s, stop);
    // the cell ends before the next column starts, the last one at the line's end
    if (e < 0 || (k + 1 < cols ? e > lineStart + starts[k + 1]! : e !== stop)) return false;
    i = e;
  }
  if (i !== stop || nameE < 0) return false;
  if (r.fresh) r.group = remember(r, lineStart, nameE, revision, version);
  else r.summary.tally(r.group!, revision, version);
  const g = r.group!;
  if (r.hasTypes) {
    if (signature !== r.signature) {
      r.state = r.shared.get(signature) ?? xdsFor(r.roles, r.names, r.shared, signature);
      r.signature = signature;
    }
    if (!r.state!.synced) notSynced(r, g, lineStart, r.state!);
  }
  return true;
}

/** Rarely run, so kept out of readRow (a smaller hot function optimises sooner). */
function notSynced(r: RowReader, g: Group, nameS: number, state: Shared): void {
  r.summary.notSynced.push({
    namespace: g.namespace,
    pod: text(r.b, nameS, r.dot),
    types: state.bad.slice(),
  });
}
