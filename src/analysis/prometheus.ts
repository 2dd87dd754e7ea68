/**
 * A small typed client of Prometheus' HTTP API: `/api/v1/query` (instant) and `/api/v1/query_range`.
 * Every call has its own timeout and honours the caller's AbortSignal; transient failures (connection
 * refused/reset, timeouts, 429, 5xx) are retried with backoff; anything else fails at once with a
 * PrometheusError that says which URL answered what. Auth: a bearer-token file or a basic-auth file
 * (`user:password`), re-read on every call so a rotated Secret is picked up; a CA file for TLS.
 * Over node:http(s) rather than fetch: Node 20's fetch cannot take a CA per request (ADR 11).
 * No header or credential ever reaches an error message.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export interface PrometheusOptions {
  /** Base URL, e.g. `http://prometheus.monitoring:9090` (a path prefix is kept). */
  url: string;
  bearerTokenFile?: string | undefined;
  /** A file holding `user:password`. */
  basicAuthFile?: string | undefined;
  caFile?: string | undefined;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first on transient failures (default 3). */
  retries?: number;
  /** First backoff (default 250 ms), doubled each attempt, with jitter. */
  backoffMs?: number;
}

export type Labels = Record<string, string>;
/** One series of an instant vector; `value` may be NaN or ±Inf (Prometheus sends them as strings). */
export interface InstantSample {
  metric: Labels;
  value: number;
  /** Evaluation time, seconds since the epoch. */
  time: number;
}
export interface RangeSeries {
  metric: Labels;
  values: [time: number, value: number][];
}

export type PrometheusErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'http'
  | 'bad_query'
  | 'bad_response'
  | 'cancelled';

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly transient = false,
  ) {
    super(message);
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const TRANSIENT_STATUS = new Set([429, 502, 503, 504, 500]);

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class PrometheusClient {
  private readonly base: URL;
  private ca: Promise<Buffer> | undefined;

  constructor(private readonly o: PrometheusOptions) {
    this.base = new URL(o.url.endsWith('/') ? o.url : `${o.url}/`);
  }

  /** Where it points, without credentials (for messages). */
  get where(): string {
    return `${this.base.protocol}//${this.base.host}${this.base.pathname.replace(/\/$/, '')}`;
  }

  /** Instant query at `time` (default: now). Scalars come back as one sample with no labels. */
  async query(promql: string, opts: { time?: Date; signal?: AbortSignal } = {}): Promise<InstantSample[]> {
    const params: Record<string, string> = { query: promql };
    if (opts.time) params.time = (opts.time.getTime() / 1000).toFixed(3);
    const data = await this.call('api/v1/query', params, opts.signal);
    if (data.resultType === 'scalar') {
      const [t, v] = data.result as [number, string];
      return [{ metric: {}, time: t, value: Number(v) }];
    }
    if (data.resultType !== 'vector' || !Array.isArray(data.result))
      throw new PrometheusError('bad_response', `${this.where}: expected a vector, got ${data.resultType}`);
    return (data.result as { metric: Labels; value: [number, string] }[]).map((s) => ({
      metric: s.metric ?? {},
      time: s.value[0],
      value: Number(s.value[1]),
    }));
  }

  /** Range query over [start, end] every `stepMs`. */
  async queryRange(
    promql: string,
    range: { start: Date; end: Date; stepMs: number },
    signal?: AbortSignal,
  ): Promise<RangeSeries[]> {
    const data = await this.call(
      'api/v1/query_range',
      {
        query: promql,
        start: (range.start.getTime() / 1000).toFixed(3),
        end: (range.end.getTime() / 1000).toFixed(3),
        step: `${Math.max(1, Math.round(range.stepMs / 1000))}s`,
      },
      signal,
    );
    if (data.resultType !== 'matrix' || !Array.isArray(data.result))
      throw new PrometheusError('bad_response', `${this.where}: expected a matrix, got ${data.resultType}`);
    return (data.result as { metric: Labels; values: [number, string][] }[]).map((s) => ({
      metric: s.metric ?? {},
      values: s.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }

  private async call(path: string, params: Record<string, string>, signal?: AbortSignal) {
    const retries = this.o.retries ?? 3;
    const backoff = this.o.backoffMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, params, signal);
      } catch (e) {
        if (!(e instanceof PrometheusError) || !e.transient || attempt >= retries || signal?.aborted) throw e;
        await sleep(backoff * 2 ** attempt * (0.5 + Math.random() / 2), signal);
      }
    }
  }

  private async headers(): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (this.o.bearerTokenFile)
      h.authorization = `Bearer ${await readSecret(this.o.bearerTokenFile, 'bearer token')}`;
    else if (this.o.basicAuthFile)
      h.authorization = `Basic ${Buffer.from(await readSecret(this.o.basicAuthFile, 'basic-auth')).toString('base64')}`;
    return h;
  }

  private async once(path: string, params: Record<string, string>, signal?: AbortSignal) {
    if (signal?.aborted) throw new PrometheusError('cancelled', `${this.where}: cancelled`);
    const url = new URL(path, this.base);
    const body = new URLSearchParams(params).toString();
    const headers = { ...(await this.headers()), 'content-length': String(Buffer.byteLength(body)) };
    const caFile = this.o.caFile;
    if (caFile && !this.ca)
      this.ca = readFile(caFile).catch((e: NodeJS.ErrnoException) => {
        this.ca = undefined;
        throw new PrometheusError('http', `cannot read the Prometheus CA file ${caFile}: ${e.code}`);
      });
    const ca = this.ca ? await this.ca : undefined;
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, { method: 'POST', headers, ...(ca ? { ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      const timer = setTimeout(
        () =>
          req.destroy(
            new PrometheusError('timeout', `${this.where}: no answer within ${timeoutMs} ms`, true),
          ),
        timeoutMs,
      );
      const onAbort = () => req.destroy(new PrometheusError('cancelled', `${this.where}: cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof PrometheusError) return reject(e);
        const code = e.code ?? 'error';
        reject(new PrometheusError('unreachable', `${this.where}: ${code}`, TRANSIENT_CODES.has(code)));
      });
      req.end(body);
    });
    let parsed: ApiBody | undefined;
    try {
      parsed = JSON.parse(text) as ApiBody;
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300 && parsed?.status === 'success' && parsed.data) return parsed.data;
    const what = parsed?.error ? `${parsed.errorType ?? 'error'}: ${parsed.error}` : `HTTP ${status}`;
    if (status === 400 || parsed?.errorType === 'bad_data')
      throw new PrometheusError('bad_query', `${this.where} refused the query: ${clip(what)}`);
    throw new PrometheusError(
      parsed || status >= 300 ? 'http' : 'bad_response',
      `${this.where}: ${clip(what)}`,
      TRANSIENT_STATUS.has(status) || parsed?.errorType === 'timeout',
    );
  }
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 299)}…` : s);

async function readSecret(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    // The path is configuration, not a secret; the content never appears.
    throw new PrometheusError(
      'http',
      `cannot read the Prometheus ${what} file ${file}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
}

/** Waits `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PrometheusError('cancelled', 'cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new PrometheusError('cancelled', 'cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
