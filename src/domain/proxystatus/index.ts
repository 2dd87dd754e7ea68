// Proxy-status: parse every istioctl / istiod format into one model, and diff two snapshots.
import { parseJsonStream, parseSyncz, splitJsonStream } from './json.js';
import type { ParseOptions, ParseResult } from './model.js';
import { parseTable } from './table.js';

export { diffSnapshots } from './diff.js';
export type * from './model.js';
export { normaliseStatus, shortType } from './status.js';
export { revisionOf, splitProxyId, workloadOf } from './workload.js';

/** Detects the format (table, `-o json` stream, `/debug/syncz`) and parses it. Never throws. */
export function parseProxyStatus(text: string, options: ParseOptions = {}): ParseResult {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) break;
    i++;
  }
  if (i >= text.length)
    return { ok: false, error: { code: 'EMPTY_INPUT', message: 'input is empty', line: 1 } };
  const first = text.charCodeAt(i);
  if (first === 123 || first === 91) {
    const chunks = splitJsonStream(text);
    if (!Array.isArray(chunks)) return { ok: false, error: chunks };
    return first === 91 ? parseSyncz(chunks, options) : parseJsonStream(chunks);
  }
  return parseTable(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
