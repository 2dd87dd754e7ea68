// Parsers for the JSON inputs: `istioctl ps -o json` (1.30+: protobuf-JSON DiscoveryResponses, one per
// istiod pod, concatenated) and istiod's `/debug/syncz` (a JSON array of SyncStatus objects).
import type { ParseError, ParseOptions, ParseResult, ProxyRecord, XdsStatus } from './model.js';
import { normaliseStatus, shortType, syncedOf } from './status.js';
import { revisionOf, splitProxyId, workloadOf } from './workload.js';

type Json = Record<string, unknown>;

interface Chunk {
  value: unknown;
  line: number;
}

function lineAt(text: string, from: number, to: number, line: number): number {
  let l = line;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) l++;
  return l;
}

/** Splits concatenated top-level JSON values (`{...}{...}` or `[...]`) and parses each. */
export function splitJsonStream(text: string): Chunk[] | ParseError {
  const out: Chunk[] = [];
  let line = 1;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c !== 123 && c !== 91) {
      return { code: 'BAD_JSON', message: `unexpected "${text[i]}" between JSON documents`, line };
    }
    const start = i;
    const startLine = line;
    let depth = 0;
    let inString = false;
    for (; i < len; i++) {
      const d = text.charCodeAt(i);
      if (d === 10) line++;
      if (inString) {
        if (d === 92) i++;
        else if (d === 34) inString = false;
        continue;
      }
      if (d === 34) inString = true;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (i >= len) return { code: 'BAD_JSON', message: 'unterminated JSON document', line: startLine };
    i++;
    const slice = text.slice(start, i);
    try {
      out.push({ value: JSON.parse(slice), line: startLine });
    } catch (e) {
      const m = /position (\d+)/.exec(String(e));
      const at = m ? lineAt(slice, 0, Number(m[1]), startLine) : startLine;
      return { code: 'BAD_JSON', message: `invalid JSON: ${(e as Error).message}`, line: at };
    }
  }
  if (out.length === 0) return { code: 'EMPTY_INPUT', message: 'no JSON document found', line: 1 };
  return out;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function makeProxy(
  id: string,
  cluster: string | null,
  istiod: string | null,
  version: string,
  xds: Record<string, XdsStatus>,
): ProxyRecord | null {
  const parts = splitProxyId(id);
  if (parts === null) return null;
  return {
    pod: parts.pod,
    namespace: parts.namespace,
    workload: workloadOf(parts.pod),
    cluster,
    istiod,
    revision: revisionOf(istiod),
    version,
    xds,
    synced: syncedOf(xds),
  };
}

function istiodOf(doc: Json): string | null {
  const cp = doc.controlPlane as Json | undefined;
  const ident = cp?.identifier;
  if (typeof ident !== 'string') return null;
  try {
    return str((JSON.parse(ident) as Json).ID);
  } catch {
    return null;
  }
}

/** Fields a DiscoveryResponse carries (protojson omits empty ones, but never all of these). */
const DISCOVERY_KEYS = ['resources', 'typeUrl', 'controlPlane', 'versionInfo', 'nonce'];

/** `istioctl ps -o json` (1.30+). */
export function parseJsonStream(chunks: Chunk[]): ParseResult {
  const proxies: ProxyRecord[] = [];
  for (const { value, line } of chunks) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return bad('BAD_RECORD', 'expected a DiscoveryResponse object', line);
    }
    const doc = value as Json;
    if (!DISCOVERY_KEYS.some((k) => k in doc)) {
      const keys = Object.keys(doc).slice(0, 5).join(', ') || 'no keys';
      return bad(
        'BAD_RECORD',
        `not a DiscoveryResponse (it has ${keys}; expected resources, typeUrl or controlPlane): pass the output of \`istioctl ps -o json\``,
        line,
      );
    }
    const istiod = istiodOf(doc);
    const resources = doc.resources ?? [];
    if (!Array.isArray(resources)) return bad('BAD_RECORD', '"resources" is not an array', line);
    for (const r of resources as Json[]) {
      const type = typeof r?.['@type'] === 'string' ? (r['@type'] as string) : '';
      if (type !== '' && !type.endsWith('envoy.service.status.v3.ClientConfig')) continue;
      const node = (r.node ?? {}) as Json;
      const meta = (node.metadata ?? {}) as Json;
      const xds: Record<string, XdsStatus> = {};
      const configs = r.genericXdsConfigs ?? [];
      if (!Array.isArray(configs)) return bad('BAD_RECORD', '"genericXdsConfigs" is not an array', line);
      for (const c of configs as Json[]) {
        if (typeof c?.typeUrl !== 'string') continue;
        // protojson omits the zero value UNKNOWN, which istioctl prints as IGNORED.
        const raw = typeof c.configStatus === 'string' ? c.configStatus : 'UNKNOWN';
        const s = normaliseStatus(raw);
        if (s === undefined || s === null) {
          return bad('BAD_RECORD', `unrecognised configStatus "${raw}" for ${String(node.id)}`, line);
        }
        xds[shortType(c.typeUrl)] = s;
      }
      const id = String(node.id ?? '');
      const p = makeProxy(id, str(meta.CLUSTER_ID), istiod, str(meta.ISTIO_VERSION) ?? '', xds);
      if (p === null) return bad('BAD_RECORD', `node.id "${id}" is not <pod>.<namespace>`, line);
      proxies.push(p);
    }
  }
  return { ok: true, snapshot: { format: 'json-1.30', proxies } };
}

const SYNCZ_TYPES: [string, string][] = [
  ['CDS', 'cluster'],
  ['LDS', 'listener'],
  ['EDS', 'endpoint'],
  ['RDS', 'route'],
  ['ECDS', 'extensionconfig'],
];

function syncState(sent: unknown, acked: unknown): XdsStatus {
  const s = typeof sent === 'string' ? sent : '';
  const a = typeof acked === 'string' ? acked : '';
  if (s === '') return 'NOT SENT';
  return s === a ? 'SYNCED' : 'STALE';
}

/** istiod `/debug/syncz`: carries no istiod pod name, so `options.istiod` supplies it (else revision `unknown`). */
export function parseSyncz(chunks: Chunk[], options: ParseOptions): ParseResult {
  const proxies: ProxyRecord[] = [];
  const istiod = options.istiod ?? null;
  for (const { value, line } of chunks) {
    if (!Array.isArray(value)) return bad('BAD_RECORD', 'expected a JSON array of sync statuses', line);
    for (const item of value as Json[]) {
      if (typeof item !== 'object' || item === null)
        return bad('BAD_RECORD', 'array item is not an object', line);
      const xds: Record<string, XdsStatus> = {};
      for (const [short, field] of SYNCZ_TYPES) {
        xds[short] = syncState(item[`${field}_sent`], item[`${field}_acked`]);
      }
      const id = String(item.proxy ?? '');
      const version = str(item.istio_version) ?? (str(item.proxy_version) ? `${item.proxy_version}*` : '');
      const p = makeProxy(id, str(item.cluster_id), istiod, version, xds);
      if (p === null) return bad('BAD_RECORD', `proxy "${id}" is not <pod>.<namespace>`, line);
      proxies.push(p);
    }
  }
  return { ok: true, snapshot: { format: 'syncz', proxies } };
}

function bad(code: 'BAD_RECORD', message: string, line: number): ParseResult {
  return { ok: false, error: { code, message, line } };
}
