// Proxy-status: parse every istioctl / istiod format into one model, and diff two snapshots.
import { parseJsonStream, parseSyncz, splitJsonStream } from './json.js';
import type { ParseError, ParseOptions, ParseResult, ProxyStatusFormat } from './model.js';
import { Summary, summarize } from './summary.js';
import { parseTable, scanTable } from './table.js';

export { summarizeTableBytes, summarizeTableChunks } from './bytes.js';
export { diffSnapshots, diffSummaries } from './diff.js';
export type * from './model.js';
export { normaliseStatus, shortType } from './status.js';
export type { Summary } from './summary.js';
export { revisionOf, splitProxyId, workloadOf } from './workload.js';

export type SummaryResult =
  | { ok: true; format: ProxyStatusFormat; summary: Summary }
  | { ok: false; error: ParseError };

/** Offset of the first character that is not blank (or a BOM); -1 for blank input. */
function firstChar(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return i;
  }
  return -1;
}

const EMPTY: ParseError = { code: 'EMPTY_INPUT', message: 'input is empty', line: 1 };

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Detects the format (table, `-o json` stream, `/debug/syncz`) and parses it. Never throws. */
export function parseProxyStatus(text: string, options: ParseOptions = {}): ParseResult {
  const i = firstChar(text);
  if (i < 0) return { ok: false, error: { ...EMPTY } };
  const first = text.charCodeAt(i);
  if (first === 123 || first === 91) {
    const chunks = splitJsonStream(text);
    if (!Array.isArray(chunks)) return { ok: false, error: chunks };
    return first === 91 ? parseSyncz(chunks, options) : parseJsonStream(chunks);
  }
  return parseTable(withoutBom(text));
}

/**
 * What diffSummaries needs of one side, without a record per proxy for tables (`ps diff` of large
 * meshes): the same answer, and the same errors, as summarising parseProxyStatus's proxies.
 */
export function summarizeProxyStatus(text: string, options: ParseOptions = {}): SummaryResult {
  const i = firstChar(text);
  if (i < 0) return { ok: false, error: { ...EMPTY } };
  const first = text.charCodeAt(i);
  if (first === 123 || first === 91) {
    const r = parseProxyStatus(text, options);
    return r.ok ? { ok: true, format: r.snapshot.format, summary: summarize(r.snapshot.proxies) } : r;
  }
  const summary = new Summary();
  const format = scanTable(withoutBom(text), summary);
  return typeof format === 'string' ? { ok: true, format, summary } : { ok: false, error: format };
}
