// Parser for the `istioctl proxy-status` tables (every version). Columns are found by header name;
// cells are separated by two or more spaces or a tab (tabwriter pads with at least five), so single
// spaces inside cells (`NOT SENT`, `STALE (Never Acknowledged)`) survive. Rows aligned under the
// header (what istioctl prints) take a fast path; others are tokenized and, when they have fewer
// cells than the header (empty CLUSTER, missing type), placed by their offset under the header.
import { codeAt, Interner, type Shared, SPACES, tokenize, xdsFor } from './cells.js';
import { type Header, looksLikeHeader, Role, readHeader } from './header.js';
import type { ParseErrorCode, ParseResult, ProxyRecord, ProxyStatusFormat } from './model.js';
import { revisionOf, validNamespace, validPod, workloadEnd } from './workload.js';

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** Everything a row says besides NAME. */
interface Rest {
  cluster: string | null;
  istiod: string | null;
  revision: string;
  version: string;
  state: Shared | null;
}

const MAX_CACHED_RESTS = 20_000;

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
  /** previous row's workload and namespace, reused when the next row shares them. */
  lastWorkload = '';
  lastNamespace = '';
  /** parsed cells after NAME, keyed by their exact text (rows repeat all but NAME). */
  readonly rests = new Map<string, Rest>();

  constructor(
    readonly text: string,
    h: Header,
    readonly namespaces: Map<string, string>,
    readonly revisions: Map<string, string>,
  ) {
    this.names = h.names;
    this.roles = h.roles;
    this.starts = h.starts;
    this.hasTypes = h.roles.includes(Role.Type);
    this.pools = h.roles.map(() => new Interner(4));
  }
}

function sharedXds(st: State, signature: number): Shared {
  return st.shared.get(signature) ?? xdsFor(st.roles, st.names, st.shared, signature);
}

function workloadFor(st: State, pod: string): string {
  const end = workloadEnd(pod);
  const last = st.lastWorkload;
  if (last.length === end && pod.startsWith(last)) return last;
  st.lastWorkload = end === pod.length ? pod : pod.slice(0, end);
  return st.lastWorkload;
}

/** Validates and resolves the cells after NAME; a string is the reason the row is bad. */
function restOf(
  st: State,
  cluster: string | null,
  istiod: string | null,
  version: string,
  signature: number,
): Rest | string {
  let revision = 'unknown';
  if (istiod !== null) {
    if (istiod.indexOf(' ') >= 0) return `ISTIOD "${istiod}" is not a pod name`;
    const known = st.revisions.get(istiod);
    if (known !== undefined) revision = known;
    else {
      revision = revisionOf(istiod);
      st.revisions.set(istiod, revision);
    }
  }
  return { cluster, istiod, revision, version, state: st.hasTypes ? sharedXds(st, signature) : null };
}

/** Builds the proxy from NAME (text[nameS, nameE)) and the rest; a string is the reason it is bad. */
function proxyOf(st: State, nameS: number, nameE: number, rest: Rest): ProxyRecord | string {
  const text = st.text;
  const dot = nameS < 0 ? -1 : text.lastIndexOf('.', nameE - 1);
  if (dot <= nameS || !validPod(text, nameS, dot) || !validNamespace(text, dot + 1, nameE)) {
    return `NAME "${nameS < 0 ? '' : text.slice(nameS, nameE)}" is not <pod>.<namespace>`;
  }
  const pod = text.slice(nameS, dot);
  // rows of one workload are adjacent, so the previous namespace usually matches without a cut
  let namespace = st.lastNamespace;
  if (namespace.length !== nameE - dot - 1 || !text.startsWith(namespace, dot + 1)) {
    const raw = text.slice(dot + 1, nameE);
    namespace = st.namespaces.get(raw) ?? raw;
    st.namespaces.set(namespace, namespace);
    st.lastNamespace = namespace;
  }
  const state = rest.state;
  return {
    pod,
    namespace,
    workload: workloadFor(st, pod),
    cluster: rest.cluster,
    istiod: rest.istiod,
    revision: rest.revision,
    version: rest.version,
    xds: state === null ? {} : state.xds,
    synced: state === null ? null : state.synced,
  };
}

/** Fastest path: NAME in place, and the rest of the line seen before on an aligned row. */
function cachedRow(st: State, lineStart: number, stop: number): ProxyRecord | null {
  const { text, starts } = st;
  if (starts.length < 2 || text.charCodeAt(lineStart) === 32) return null;
  const restStart = lineStart + starts[1]!;
  const nameE = text.indexOf('  ', lineStart);
  if (restStart >= stop || nameE < 0 || nameE > restStart) return null;
  const gap = restStart - nameE;
  if (gap > 256 || !text.startsWith(SPACES[gap]!, nameE)) return null;
  const rest = st.rests.get(text.slice(restStart, stop));
  if (rest === undefined) return null;
  const p = proxyOf(st, lineStart, nameE, rest);
  return typeof p === 'string' ? null : p;
}

/**
 * Fast path for tabwriter-aligned rows: each cell starts exactly under its header and ends at a
 * double space, gaps are all spaces. null means "not aligned, or bad": the slow path decides.
 */
function alignedRow(st: State, lineStart: number, stop: number): ProxyRecord | null {
  const { text, starts, roles, pools } = st;
  const cols = starts.length;
  let prevEnd = lineStart;
  let nameS = -1;
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
        const gap = s - prevEnd;
        if (gap < 2 || gap > 256 || !text.startsWith(SPACES[gap]!, prevEnd)) return null;
      }
      e = stop;
      if (k + 1 < cols) {
        e = text.indexOf('  ', s);
        if (e < 0 || e > stop) e = stop;
        if (e > lineStart + starts[k + 1]!) return null;
      }
      prevEnd = e;
    }
    switch (roles[k]) {
      case Role.Name:
        nameS = e < 0 ? -1 : s;
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
        if (code < 0) return null;
        signature = signature * 6 + code;
        break;
      }
    }
  }
  if (prevEnd !== stop || nameS !== lineStart) return null;
  const rest = restOf(st, cluster, istiod, version, signature);
  if (typeof rest === 'string') return null;
  if (starts.length > 1 && st.rests.size < MAX_CACHED_RESTS) {
    st.rests.set(text.slice(lineStart + starts[1]!, stop), rest);
  }
  const p = proxyOf(st, nameS, nameE, rest);
  return typeof p === 'string' ? null : p;
}

/** Slow path: maps tokenized cells to header columns by position; a string says why it fails. */
function placedRow(
  st: State,
  n: number,
  lineStart: number,
  cs: number[],
  ce: number[],
): ProxyRecord | string {
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
  const rest = restOf(st, cluster, istiod, version, signature);
  return typeof rest === 'string' ? rest : proxyOf(st, colS[0]!, colE[0]!, rest);
}

export function parseTable(input: string): ParseResult {
  const text = input.indexOf('\x1b') >= 0 ? input.replace(ANSI, '') : input;
  const proxies: ProxyRecord[] = [];
  const format = scanRows(text, proxies);
  if (format === null) {
    return fail('UNKNOWN_FORMAT', 'no proxy-status header (a line starting with NAME) found', 1);
  }
  return typeof format === 'string' ? { ok: true, snapshot: { format, proxies } } : format;
}

/**
 * The row loop: appends to proxies, returns the table's format (null without a header) or the
 * failure. Nothing runs after the loop but the return, so the optimised (OSR) code V8 builds for
 * the first table does not deoptimise at its end and is reused for the second table.
 */
function scanRows(text: string, proxies: ProxyRecord[]): ProxyStatusFormat | ParseResult | null {
  const cs: number[] = [];
  const ce: number[] = [];
  const revisions = new Map<string, string>();
  const namespaces = new Map<string, string>();
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
    if (st !== null && !tabs) {
      const fast = cachedRow(st, lineStart, stop) ?? alignedRow(st, lineStart, stop);
      if (fast !== null) {
        proxies.push(fast);
        continue;
      }
    }
    const n = tokenize(text, lineStart, stop, cs, ce);
    if (looksLikeHeader(text.slice(cs[0], ce[0]))) {
      const h = readHeader(
        cs.slice(0, n).map((s, i) => text.slice(s, ce[i])),
        cs.slice(0, n).map((s) => s - lineStart),
      );
      const line = text.slice(lineStart, stop).trim();
      if (h === null) return fail('MISSING_COLUMN', `header has no ISTIOD column: "${line}"`, ln);
      st = new State(text, h, namespaces, revisions);
      format ??= h.format;
      continue;
    }
    if (st === null) continue; // preamble (warnings) before the first header
    const proxy = placedRow(st, n, lineStart, cs, ce);
    if (typeof proxy === 'string') {
      return fail('BAD_ROW', `${proxy}: "${text.slice(lineStart, stop).trim()}"`, ln);
    }
    proxies.push(proxy);
  }
  return format;
}

function fail(code: ParseErrorCode, message: string, line: number): ParseResult {
  return { ok: false, error: { code, message, line } };
}
