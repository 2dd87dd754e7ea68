/**
 * The one logger factory, and the one scrubber every log line goes through. Secrets reach errors in
 * many shapes: the WebClient's network errors carry axios' `config.headers.Authorization` and the raw
 * `request._header`; ioredis puts `command: {name: 'auth', args: [user, password]}` on a refused login;
 * URLs carry `user:password@`; messages quote tokens. So the scrubber walks whole values, at any depth:
 * secret-named keys are censored, raw requests/sockets/streams are reduced to their class name, the
 * arguments of AUTH/HELLO are censored, and every string has token-shaped text removed. It runs on
 * every logged object (pino's `formatters.log`), on child bindings, on `err` (serializer) and on
 * message strings (`hooks.logMethod`), so no call site has to remember it.
 */
import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';

export const REDACTED = '[Redacted]';

/** Keys whose value is a secret wherever they appear (compared lower-case, `-`/`_` removed). */
const SECRET_KEYS = new Set(
  [
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-slack-signature',
    'password',
    'passwd',
    'pass',
    'secret',
    'token',
    'bot_token',
    'app_token',
    'bottoken',
    'apptoken',
    'access_token',
    'refresh_token',
    'id_token',
    'signingsecret',
    'signing_secret',
    'clientsecret',
    'client_secret',
    'client_key',
    'client-key-data',
    'apikey',
    'api_key',
    'bearer',
    'slack_bot_token',
    'slack_app_token',
    'slack_signing_secret',
    'sentinelpassword',
  ].map((k) => k.replace(/[-_]/g, '')),
);
/** Keys whose value is a raw transport object or a raw header block: dropped, not walked. */
const RAW_KEYS = new Set(['_header', 'socket', '_socket', 'agent', 'httpagent', 'httpsagent', 'connection']);
/** Redis commands whose arguments are credentials (AUTH password / AUTH user password / HELLO … AUTH u p). */
const CREDENTIAL_COMMANDS = new Set(['auth', 'hello', 'migrate', 'config']);

const isSecretKey = (k: string): boolean => SECRET_KEYS.has(k.toLowerCase().replace(/[-_]/g, ''));

/** Slack tokens, bearer/basic credentials, JWTs, credentials in URLs and query strings, in free text. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{6,}/g, REDACTED],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s:/@]*:[^\s@/]+@/gi, `$1${REDACTED}@`],
  [/(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/([?&;\s"'](?:password|pass|pwd|token|secret|access_token)=)[^&\s"';]+/gi, `$1${REDACTED}`],
  [/((?:authorization|cookie|x-slack-signature)["']?\s*[:=]\s*["']?)[^\r\n"',}]+/gi, `$1${REDACTED}`],
];

export function scrubSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, [re, by]) => out.replace(re, by), text);
}

const MAX_DEPTH = 8;
const MAX_ITEMS = 200;

const className = (v: object): string => v.constructor?.name || 'Object';

/** Event emitters (sockets, requests, responses, streams, clients, agents) are never walked. */
const isRawTransport = (v: object): boolean =>
  typeof (v as { on?: unknown }).on === 'function' && typeof (v as { emit?: unknown }).emit === 'function';

function scrubError(e: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: className(e), message: scrubSecrets(String(e.message)) };
  if (e.stack) out.stack = scrubSecrets(e.stack);
  for (const k of Object.keys(e)) {
    if (k === 'message' || k === 'stack') continue;
    out[k] = scrubKey(k, (e as unknown as Record<string, unknown>)[k], seen, depth + 1);
  }
  if (e.cause !== undefined && !('cause' in out)) out.cause = scrubValue(e.cause, seen, depth + 1);
  return out;
}

function scrubKey(key: string, v: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (v === undefined || v === null) return v;
  if (isSecretKey(key)) return REDACTED;
  if (RAW_KEYS.has(key.toLowerCase())) return typeof v === 'object' ? `[${className(v)}]` : REDACTED;
  return scrubValue(v, seen, depth);
}

function scrubObject(
  o: Record<string, unknown>,
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = typeof o.name === 'string' ? o.name.toLowerCase() : '';
  const credentialArgs = CREDENTIAL_COMMANDS.has(name) && 'args' in o;
  let n = 0;
  for (const k of Object.keys(o)) {
    if (++n > MAX_ITEMS) {
      out['…'] = `${Object.keys(o).length - MAX_ITEMS} more keys`;
      break;
    }
    out[k] = credentialArgs && k === 'args' ? REDACTED : scrubKey(k, o[k], seen, depth + 1);
  }
  return out;
}

/** A copy of `v` with every secret removed; safe to log, to put in an error or a job. */
export function scrubValue(v: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
  if (typeof v === 'string') return scrubSecrets(v);
  if (typeof v !== 'object' || v === null) return typeof v === 'function' ? undefined : v;
  if (seen.has(v)) return '[Circular]';
  if (depth > MAX_DEPTH) return `[${className(v)}]`;
  seen.add(v);
  try {
    if (v instanceof Error) return scrubError(v, seen, depth);
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[${className(v)} ${v.byteLength} bytes]`;
    if (v instanceof Date) return v;
    if (v instanceof URL) return scrubSecrets(v.href);
    if (isRawTransport(v)) return `[${className(v)}]`;
    if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => scrubValue(x, seen, depth + 1));
    if (v instanceof Map || (typeof Headers !== 'undefined' && v instanceof Headers)) {
      const entries = [...(v as Map<unknown, unknown>).entries()].map(([k, x]) => [String(k), x] as const);
      return scrubObject(Object.fromEntries(entries), seen, depth);
    }
    if (v instanceof Set) return [...v].slice(0, MAX_ITEMS).map((x) => scrubValue(x, seen, depth + 1));
    return scrubObject(v as Record<string, unknown>, seen, depth);
  } finally {
    seen.delete(v);
  }
}

/** pino's `err` serializer: any thrown value to a plain object with no secret in it. */
export function serializeError(e: unknown): unknown {
  return scrubValue(e);
}

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { app: 'istio-upgrade-bot' },
      serializers: { err: serializeError, error: serializeError },
      formatters: {
        bindings: (b) => scrubValue(b) as Record<string, unknown>,
        log: (o) => scrubValue(o) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // `log.error(err)` and `log.error({err})` without a message: pino would take the unscrubbed
          // err.message as the message. Give it the message here, where strings are scrubbed.
          const err = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          const lead =
            err instanceof Error && typeof rest[0] !== 'string'
              ? [first instanceof Error ? { err } : first, err.message, ...rest]
              : [first, ...rest];
          const clean = lead.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, clean as Parameters<typeof method>);
        },
        // Last line of defence: token-shaped text anywhere in the finished line.
        streamWrite: (line) => scrubSecrets(line),
      },
      timestamp: stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** Correlation fields every line about one upgrade carries. */
export interface Correlation {
  upgradeId?: string;
  user?: string;
  cluster?: string;
  channel?: string;
}

export function forUpgrade(logger: Logger, c: Correlation): Logger {
  return logger.child(Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
}

export type { Logger };
