// Parser for the `istioctl proxy-status` tables (every version). Columns are found by header name;
// cells are separated by two or more spaces or a tab (tabwriter pads with at least five), so single
// spaces inside cells (`NOT SENT`, `STALE (Never Acknowledged)`) survive. Rows aligned under the
// header (what istioctl prints) take a fast path: one pass over the line, cells read in place, no
// string cut but those the sink keeps. Others are tokenized and, when they have fewer cells than the
// header (empty CLUSTER, missing type), placed by their offset under the header.
import { codeAt, Interner, type Shared, SPACES, tokenize, xdsFor } from './cells.js';
import { type Header, looksLikeHeader, Role, readHeader } from './header.js';
import type { ParseError, ParseErrorCode, ParseResult, ProxyStatusFormat } from './model.js';
import { RecordSink, type RowSink } from './sink.js';
import { lastDash, revisionOf, safeAt, validNamespace, validPod, workloadEndAt } from './workload.js';

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * Parser state for one header's rows. A class, not an object literal: V8 generalises the field types
 * of a literal the second time it runs (the second table), which deoptimised the whole parser.
 */
class State {
  readonly names: string[];
  readonly roles: Role[];
  readonly starts: number[];
  /** per column: absolute start/end of its cell in the current line (slow path), start -1 when empty. */
  readonly colS: number[] = [];
  readonly colE: number[] = [];
  readonly hasTypes: boolean;
  /** rows with the same states share one frozen xds object, keyed by their base-6 signature. */
  readonly shared = new Map<number, Shared>();
  /** one interner per column for the cells that repeat (CLUSTER, ISTIOD, VERSION). */
  readonly pools: Interner[];
  /**
   * The last NAME that ended in `-<5 safe chars>`, cut there: `cart-6c9d8f7b5c-` and `.shop`, with
   * its workload's length. A NAME that is this prefix, 5 safe characters and this namespace is valid
   * and has the same workload without checking it again (replicas are adjacent in istioctl's order).
   */
  podPrefix = '';
  nsSuffix = '';
  prefixWorkload = 0;

  constructor(
    readonly text: string,
    h: Header,
    readonly revisions: Map<string, string>,
    readonly sink: RowSink,
  ) {
    this.names = h.names;
    this.roles = h.roles;
    this.starts = h.starts;
    this.hasTypes = h.roles.includes(Role.Type);
    this.pools = h.roles.map(() => new Interner(4));
  }
}

/**
 * Checks the row's cells and hands it to the sink; NAME is text[nameS, nameE) (nameS -1 when empty).
 * Returns null when delivered, else the reason the row is bad.
 */
function deliver(
  st: State,
  nameS: number,
  nameE: number,
  cluster: string | null,
  istiod: string | null,
  version: string,
  signature: number,
): string | null {
  let revision = 'unknown';
  if (istiod !== null) {
    const known = st.revisions.get(istiod);
    if (known !== undefined) revision = known;
    else {
      if (istiod.indexOf(' ') >= 0) return `ISTIOD "${istiod}" is not a pod name`;
      revision = revisionOf(istiod);
      st.revisions.set(istiod, revision);
    }
  }
  const text = st.text;
  const pre = st.podPrefix;
  const ns = st.nsSuffix;
  const suffix = nameS + pre.length;
  let dot = suffix + 5;
  let end: number;
  const repeat =
    pre.length > 0 &&
    nameE - dot === ns.length &&
    text.startsWith(pre, nameS) &&
    safeAt(text, suffix, dot) &&
    text.startsWith(ns, dot);
  if (repeat) end = nameS + st.prefixWorkload;
  else {
    dot = nameS < 0 ? -1 : text.lastIndexOf('.', nameE - 1);
    if (dot <= nameS || !validPod(text, nameS, dot) || !validNamespace(text, dot + 1, nameE)) {
      return `NAME "${nameS < 0 ? '' : text.slice(nameS, nameE)}" is not <pod>.<namespace>`;
    }
    end = workloadEndAt(text, nameS, dot);
    const dash = lastDash(text, nameS, dot);
    const cut = dash > nameS && dot - dash === 6 && safeAt(text, dash + 1, dot);
    st.podPrefix = cut ? text.slice(nameS, dash + 1) : '';
    st.nsSuffix = cut ? text.slice(dot, nameE) : '';
    st.prefixWorkload = end - nameS;
  }
  let state: Shared | null = null;
  if (st.hasTypes) state = st.shared.get(signature) ?? xdsFor(st.roles, st.names, st.shared, signature);
  st.sink.row(text, nameS, dot, nameE, end, repeat, cluster, istiod, revision, version, state);
  return null;
}

/**
 * Fast path for tabwriter-aligned rows, one pass over the line: each cell starts exactly under its
 * header and ends at a double space, gaps are all spaces. false means "not aligned, or bad": the
 * slow path decides.
 */
function alignedRow(st: State, lineStart: number, stop: number): boolean {
  const { text, starts, roles, pools } = st;
  const cols = starts.length;
  let i = lineStart; // end of the last non-empty cell
  let nameE = -1;
  let cluster: string | null = null;
  let istiod: string | null = null;
  let version = '';
  let signature = 0;
  for (let k = 0; k < cols; k++) {
    const s = lineStart + starts[k]!;
    let e = -1;
    if (s < stop && text.charCodeAt(s) !== 32) {
      if (k > 0) {
        const gap = s - i;
        if (gap < 2 || gap > 256 || !text.startsWith(SPACES[gap]!, i)) return false;
      } else if (s !== lineStart) return false;
      // the cell ends at a double space (or the line's end); it must end before the next column
      e = text.indexOf('  ', s);
      if (e < 0 || e > stop) e = stop;
      if (k + 1 < cols ? e > lineStart + starts[k + 1]! : e !== stop) return false;
      i = e;
    }
    switch (roles[k]) {
      case Role.Name:
        nameE = e;
        break;
      case Role.Cluster:
        cluster = e < 0 ? null : pools[k]!.get(text, s, e);
        break;
      case Role.Istiod:
        istiod = e < 0 ? null : pools[k]!.get(text, s, e);
        break;
      case Role.Version:
        version = e < 0 ? '' : pools[k]!.get(text, s, e);
        break;
      case Role.Type: {
        const code = e < 0 ? 0 : codeAt(text, s, e);
        if (code < 0) return false;
        signature = signature * 6 + code;
        break;
      }
    }
  }
  if (i !== stop || nameE < 0) return false;
  return deliver(st, lineStart, nameE, cluster, istiod, version, signature) === null;
}

/** Slow path: maps tokenized cells to header columns by position; a string says why it fails. */
function placedRow(st: State, n: number, lineStart: number, cs: number[], ce: number[]): string | null {
  const { starts, roles, colS, colE, text } = st;
  const cols = starts.length;
  if (n > cols) return 'more cells than the header has columns';
  for (let i = 0; i < cols; i++) colS[i] = -1;
  for (let t = 0, col = 0, prev = -1; t < n; t++) {
    const at = cs[t]! - lineStart;
    if (n === cols) col = t;
    else while (col + 1 < cols && starts[col + 1]! <= at) col++;
    if (col <= prev) return 'cells do not line up with the header';
    colS[col] = cs[t]!;
    colE[col] = ce[t]!;
    prev = col;
  }
  const value = (i: number) => (colS[i]! < 0 ? '' : text.slice(colS[i], colE[i]));
  let cluster: string | null = null;
  let istiod: string | null = null;
  let version = '';
  let signature = 0;
  for (let i = 1; i < cols; i++) {
    const role = roles[i];
    if (role === Role.Cluster) cluster = value(i) || null;
    else if (role === Role.Istiod) istiod = value(i) || null;
    else if (role === Role.Version) version = value(i);
    else if (role === Role.Type) {
      const code = colS[i]! < 0 ? 0 : codeAt(text, colS[i]!, colE[i]!);
      if (code < 0) return `unrecognised ${st.names[i]} state "${value(i)}"`;
      signature = signature * 6 + code;
    }
  }
  return deliver(st, colS[0]!, colE[0]!, cluster, istiod, version, signature);
}

export function parseTable(input: string): ParseResult {
  const sink = new RecordSink();
  const format = scanTable(input, sink);
  return typeof format === 'string'
    ? { ok: true, snapshot: { format, proxies: sink.proxies } }
    : { ok: false, error: format };
}

/** Reads every row of the tables in input into sink; returns the first table's format, or why it fails. */
export function scanTable(input: string, sink: RowSink): ProxyStatusFormat | ParseError {
  const text = input.indexOf('\x1b') >= 0 ? input.replace(ANSI, '') : input;
  const format = scanRows(text, sink);
  if (format === null) {
    return fail('UNKNOWN_FORMAT', 'no proxy-status header (a line starting with NAME) found', 1);
  }
  return format;
}

/**
 * The row loop: returns the table's format (null without a header) or the failure. Nothing runs
 * after the loop but the return, so the optimised (OSR) code V8 builds for the first table does not
 * deoptimise at its end and is reused for the second table.
 */
function scanRows(text: string, sink: RowSink): ProxyStatusFormat | ParseError | null {
  const cs: number[] = [];
  const ce: number[] = [];
  const revisions = new Map<string, string>();
  const tabs = text.indexOf('\t') >= 0;
  let st: State | null = null;
  let format: ProxyStatusFormat | null = null;
  const len = text.length;
  let pos = 0;
  for (let ln = 1; pos < len; ln++) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const lineStart = pos;
    let stop = end;
    for (let c = text.charCodeAt(stop - 1); stop > lineStart && (c === 13 || c === 32 || c === 9); ) {
      c = text.charCodeAt(--stop - 1);
    }
    pos = end + 1;
    if (stop === lineStart) continue;
    if (st !== null && !tabs && alignedRow(st, lineStart, stop)) continue;
    const n = tokenize(text, lineStart, stop, cs, ce);
    if (looksLikeHeader(text.slice(cs[0], ce[0]))) {
      const h = readHeader(
        cs.slice(0, n).map((s, i) => text.slice(s, ce[i])),
        cs.slice(0, n).map((s) => s - lineStart),
      );
      const line = text.slice(lineStart, stop).trim();
      if (h === null) return fail('MISSING_COLUMN', `header has no ISTIOD column: "${line}"`, ln);
      st = new State(text, h, revisions, sink);
      format ??= h.format;
      continue;
    }
    if (st === null) continue; // preamble (warnings) before the first header
    const bad = placedRow(st, n, lineStart, cs, ce);
    if (bad !== null) return fail('BAD_ROW', `${bad}: "${text.slice(lineStart, stop).trim()}"`, ln);
  }
  return format;
}

function fail(code: ParseErrorCode, message: string, line: number): ParseError {
  return { code, message, line };
}
