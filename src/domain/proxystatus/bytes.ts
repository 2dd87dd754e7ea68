// `ps diff`'s reader for large tables: the bytes of an ASCII istioctl table folded into a Summary in one
// pass, with no text decoded but a header, a new workload's NAME and the cells that repeat (ISTIOD,
// VERSION) the first time they appear. It takes only what the string parser's fast path takes (rows
// aligned under their header, every cell valid) and gives the same answer; anything else — a tab, an
// escape, a non-ASCII byte, JSON, a row placed by its offsets, a bad row — makes it decline (null),
// and the caller parses the text (table.ts), which reads or refuses it.
import { codeAt, type Shared, tokenize, xdsFor } from './cells.js';
import { looksLikeHeader, Role, readHeader } from './header.js';
import type { ProxyStatusFormat } from './model.js';
import { type Group, Summary } from './summary.js';
import { lastDash, revisionOf, safeAt, validNamespace, validPod, workloadEndAt } from './workload.js';

const SAFE = new Uint8Array(128);
for (const ch of 'bcdfghjklmnpqrstvwxz2456789') SAFE[ch.charCodeAt(0)] = 1;

/** istioctl's spellings of the states (code = index), matched as bytes; others go through codeAt. */
const WORDS = ['', 'SYNCED', 'NOT SENT', 'STALE', 'IGNORED', 'ERROR'].map((w) =>
  Uint8Array.from(w, (c) => c.charCodeAt(0)),
);

const codes: number[] = [];

/** The text of b[s, e) (ASCII here): the few strings this reader keeps. */
function text(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let at = s; at < e; at += 1024) {
    const n = Math.min(1024, e - at);
    codes.length = n;
    for (let i = 0; i < n; i++) codes[i] = b[at + i]!;
    out += String.fromCharCode.apply(null, codes);
  }
  return out;
}

/** Index of the next line feed at or after pos, or the end. */
function lineEnd(b: Uint8Array, pos: number): number {
  let i = pos;
  while (i < b.length && b[i] !== 10) i++;
  return i;
}

function same(b: Uint8Array, s: number, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[s + i] !== b[at + i]) return false;
  return true;
}

/** A cell seen before: its bytes at [s, s + n), its text, and (ISTIOD) its revision. */
class Seen {
  constructor(
    readonly s: number,
    readonly n: number,
    readonly value: string,
    readonly revision: string,
  ) {}
}

/** A class, not an object literal, so the row code keeps one shape (see RecordSink). */
class Reader {
  starts: number[] = [];
  roles: Role[] = [];
  names: string[] = [];
  hasTypes = false;
  shared = new Map<number, Shared>();
  readonly istiods: Seen[] = [];
  readonly versions: Seen[] = [];
  /** the last NAME that ended in `-<5 safe chars>`: its prefix and `.namespace` bytes, its group. */
  preS = 0;
  preN = 0;
  nsS = 0;
  nsN = 0;
  group: Group | null = null;

  constructor(
    readonly b: Uint8Array,
    readonly summary: Summary,
  ) {}
}

function seen(list: Seen[], b: Uint8Array, s: number, e: number, istiod: boolean): Seen | null {
  const n = e - s;
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (v.n === n && b[v.s + n - 1] === b[e - 1] && same(b, s, v.s, n)) return v;
  }
  return remember(list, b, s, e, istiod);
}

function remember(list: Seen[], b: Uint8Array, s: number, e: number, istiod: boolean): Seen | null {
  const value = text(b, s, e);
  if (istiod && value.indexOf(' ') >= 0) return null; // the parser says why
  const v = new Seen(s, e - s, value, istiod ? revisionOf(value) : '');
  if (list.length < 16) list.push(v);
  return v;
}

function typeCode(b: Uint8Array, s: number, e: number): number {
  const c = b[s];
  const code = c === 83 ? (b[s + 1] === 89 ? 1 : 3) : c === 78 ? 2 : c === 73 ? 4 : c === 69 ? 5 : 0;
  if (code > 0) {
    const w = WORDS[code]!;
    const k = s + w.length;
    let i = 0;
    if (k <= e) while (i < w.length && b[s + i] === w[i]) i++;
    if (i === w.length && (k === e || (b[k] === 32 && b[k + 1] === 40))) return code;
  }
  const cell = text(b, s, e);
  return codeAt(cell, 0, cell.length);
}

/** One aligned, valid row into the summary; false when the parser must judge it. */
function row(r: Reader, lineStart: number, stop: number): boolean {
  const { b, starts, roles } = r;
  const cols = starts.length;
  let i = lineStart;
  let nameE = -1;
  let istiodS = -1;
  let istiodE = -1;
  let versionS = -1;
  let versionE = -1;
  let signature = 0;
  for (let k = 0; k < cols; k++) {
    const s = lineStart + starts[k]!;
    let e = -1;
    if (s < stop && b[s] !== 32) {
      if (k > 0) {
        if (s - i < 2) return false;
        for (; i < s; i++) if (b[i] !== 32) return false;
      } else if (s !== lineStart) return false;
      // to the double space that ends the cell; a tab, an escape or a byte past ASCII: the parser's
      e = s;
      for (; e < stop; e++) {
        const c = b[e]!;
        if (c === 32) {
          if (b[e + 1] === 32) break;
        } else if (c < 33 || c > 126) return false;
      }
      if (k + 1 < cols ? e > lineStart + starts[k + 1]! : e !== stop) return false;
      i = e;
    }
    const role = roles[k];
    if (role === Role.Name) nameE = e;
    else if (role === Role.Istiod) {
      istiodS = s;
      istiodE = e;
    } else if (role === Role.Version) {
      versionS = s;
      versionE = e;
    } else if (role === Role.Type) {
      const code = e < 0 ? 0 : typeCode(b, s, e);
      if (code < 0) return false;
      signature = signature * 6 + code;
    }
  }
  if (i !== stop || nameE < 0) return false;
  let revision = 'unknown';
  if (istiodE >= 0) {
    const v = seen(r.istiods, b, istiodS, istiodE, true);
    if (v === null) return false;
    revision = v.revision;
  }
  const version = versionE < 0 ? '' : seen(r.versions, b, versionS, versionE, false)!.value;
  const nameS = lineStart;
  let dot = nameS + r.preN + 5;
  let g = r.group;
  const repeat =
    g !== null &&
    r.preN > 0 &&
    nameE - dot === r.nsN &&
    same(b, nameS, r.preS, r.preN) &&
    safeBytes(b, dot - 5, dot) &&
    same(b, dot, r.nsS, r.nsN);
  if (!repeat) {
    dot = newName(r, nameS, nameE);
    if (dot < 0) return false;
    g = r.group;
  }
  const state = r.hasTypes
    ? (r.shared.get(signature) ?? xdsFor(r.roles, r.names, r.shared, signature))
    : null;
  r.summary.tally(g!, revision, version);
  if (state !== null && !state.synced) notSynced(r, g!, nameS, dot, state);
  return true;
}

/** Rarely run, so kept out of row (a smaller hot function optimises sooner). */
function notSynced(r: Reader, g: Group, nameS: number, dot: number, state: Shared): void {
  r.summary.notSynced.push({ namespace: g.namespace, pod: text(r.b, nameS, dot), types: state.bad.slice() });
}

/**
 * A NAME that is not the last one's ReplicaSet again: checked and split as the parser does, its group
 * found; the dot's offset, or -1 when the NAME is not <pod>.<namespace>.
 */
function newName(r: Reader, nameS: number, nameE: number): number {
  const name = text(r.b, nameS, nameE);
  const d = name.lastIndexOf('.');
  if (d <= 0 || !validPod(name, 0, d) || !validNamespace(name, d + 1, name.length)) return -1;
  const end = workloadEndAt(name, 0, d);
  r.group = r.summary.groupOf(name.slice(d + 1), name.slice(0, end));
  const dash = lastDash(name, 0, d);
  const cut = dash > 0 && d - dash === 6 && safeAt(name, dash + 1, d);
  r.preS = nameS;
  r.preN = cut ? dash + 1 : 0;
  r.nsS = nameS + d;
  r.nsN = name.length - d;
  return nameS + d;
}

function safeBytes(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i]! >= 128 || SAFE[b[i]!] === 0) return false;
  return true;
}

/** A line the row reader did not take: a header (read into r), a preamble line, or the parser's. */
function otherLine(
  r: Reader,
  lineStart: number,
  stop: number,
  header: boolean,
): ProxyStatusFormat | 'skip' | null {
  const line = text(r.b, lineStart, stop);
  if (/[^\x20-\x7e\r]/.test(line)) return null;
  const cs: number[] = [];
  const ce: number[] = [];
  const n = tokenize(line, 0, line.length, cs, ce);
  if (!looksLikeHeader(line.slice(cs[0], ce[0]))) return header ? null : 'skip';
  const h = readHeader(
    cs.slice(0, n).map((s, i) => line.slice(s, ce[i])),
    cs.slice(0, n),
  );
  if (h === null) return null;
  r.starts = h.starts;
  r.roles = h.roles;
  r.names = h.names;
  r.hasTypes = h.roles.includes(Role.Type);
  r.shared = new Map();
  r.preN = 0;
  r.group = null;
  return h.format;
}

/** First byte that is not a space or a line end opens JSON. */
function isJson(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13) return c === 123 || c === 91;
  }
  return false;
}

/**
 * The summary of an istioctl table given as bytes, or null when this reader does not take the input
 * (then summarise its text with summarizeProxyStatus: same answer, or the error that names the line).
 */
export function summarizeTableBytes(b: Uint8Array): { format: ProxyStatusFormat; summary: Summary } | null {
  if (isJson(b)) return null;
  const r = new Reader(b, new Summary());
  let format: ProxyStatusFormat | null = null;
  let header = false;
  const len = b.length;
  for (let pos = 0; pos < len; ) {
    const lineStart = pos;
    const end = lineEnd(b, pos);
    pos = end + 1;
    let stop = end;
    while (stop > lineStart && (b[stop - 1] === 13 || b[stop - 1] === 32)) stop--;
    if (stop === lineStart) continue;
    if (header && row(r, lineStart, stop)) continue;
    const got = otherLine(r, lineStart, stop, header);
    if (got === null) return null;
    if (got === 'skip') continue;
    header = true;
    format ??= got;
  }
  return format === null ? null : { format, summary: r.summary };
}

// Give the row code type feedback for every branch (a new workload, a repeat, a proxy not synced, a
// cell seen before or not) before a large table makes it hot, so the optimised code is not thrown away
// the first time a rare branch runs deep in the table (see the samples in cells.ts).
summarizeTableBytes(
  Uint8Array.from(
    [
      'NAME                      CLUSTER     CDS         LDS         ISTIOD                    VERSION',
      'a-6c9d8f7b5c-4kz2p.x      K           SYNCED      STALE       istiod-1-1-1-abcdf-ghjkl  1.1.1',
      'a-6c9d8f7b5c-4kz2q.x      K           SYNCED      SYNCED      istiod-1-1-1-abcdf-ghjkm  1.1.1',
      'b-0.y                     K           NOT SENT    SYNCED      istiod-1-1-1-abcdf-ghjkl  1.1.2',
      'a-6c9d8f7b5c-4kz2r.x      K           SYNCED      SYNCED      istiod-1-1-1-abcdf-ghjkm  1.1.1',
      '',
    ]
      .join('\n')
      .split('')
      .map((c) => c.charCodeAt(0)),
  ),
);
