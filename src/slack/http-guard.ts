/**
 * HTTP mode's front door, in front of Bolt's HTTPReceiver (which reads any body whole, then checks the
 * signature, and accepts the same signed request again and again):
 *
 * 1. **Body limit before the body is read.** A declared `Content-Length` over the limit is answered
 *    413 at once and the connection closed; a chunked body is counted while it arrives and cut at the
 *    limit. Nothing over the limit is ever buffered.
 * 2. **Signature and time.** `v0=HMAC-SHA256(secret, "v0:<ts>:<body>")` compared in constant time;
 *    the timestamp no more than 5 minutes old (Slack's rule) and no more than 60 s ahead (clock skew;
 *    a request dated later was made to be replayed later).
 * 3. **Replay cache.** The signature is claimed once (`claimOnce`, Redis SET NX PX in production, so
 *    every replica shares it) for as long as the timestamp stays acceptable; a second delivery is 401.
 *
 * Then the buffered body is handed to Bolt (it sees `rawBody` and does not read the stream again).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

/**
 * 1 MiB. The largest request Slack sends this app is a button click (`block_actions`): it carries the
 * whole message the button is on. Our messages are at most 50 blocks of at most 3,000 characters
 * (Block Kit's limits, which the message builders respect) — about 160 KB of JSON — and the payload
 * is form-encoded, which at worst triples it (`%XX` per byte) plus the envelope: < 600 KB. A slash
 * command is a dozen short fields and its text (a few KB). 1 MiB leaves room and keeps an attacker's
 * body to one megabyte of memory per connection.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Slack refuses requests older than 5 minutes; a clock may run this much ahead of ours. */
export const MAX_AGE_S = 5 * 60;
export const MAX_FUTURE_S = 60;
const CLOSE_AFTER_MS = 500;

export interface HttpGuardOptions {
  signingSecret: string;
  /** true the first time a key is seen within ttl (shared by replicas). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  logger: Logger;
  maxBodyBytes?: number;
  now?: () => number;
}

type Buffered = IncomingMessage & { rawBody?: Buffer };

function refuse(req: IncomingMessage, res: ServerResponse, status: number, close = false): void {
  if (res.headersSent) return;
  // No `Connection: close`: Node would close at once and the client, still sending, would get a
  // reset instead of the answer.
  res.writeHead(status);
  res.end();
  // Stop the sender: the rest of an oversized body is never buffered, only discarded as it arrives
  // (clients that send the whole body before reading the answer then see the 413), and the socket is
  // closed a moment after the answer however much is still coming.
  if (close) {
    req.resume();
    res.once('finish', () =>
      setTimeout(() => {
        // A body that did end leaves a clean keep-alive connection: only a sender still going is cut.
        if (!req.complete) req.socket.destroy();
      }, CLOSE_AFTER_MS).unref(),
    );
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: Buffer | 'too_large' | 'aborted') => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        finish('too_large');
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks)));
    req.once('error', () => finish('aborted'));
    req.once('close', () => finish('aborted'));
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function signatureOk(secret: string, ts: string, body: Buffer, signature: string): boolean {
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function guardSlackRequests(inner: RequestListener, o: HttpGuardOptions): RequestListener {
  const max = o.maxBodyBytes ?? MAX_BODY_BYTES;
  const now = o.now ?? Date.now;
  const log = o.logger.child({ component: 'slack-http' });
  return (req, res) => {
    void (async () => {
      if (req.method !== 'POST') return inner(req, res);
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      if (Number.isFinite(declared) && declared > max) {
        log.warn({ bytes: declared, max }, 'request body over the limit refused (413) before reading it');
        return refuse(req, res, 413, true);
      }
      const body = await readBody(req, max);
      if (body === 'aborted') return;
      if (body === 'too_large') {
        log.warn({ max }, 'chunked request body over the limit refused (413)');
        return refuse(req, res, 413, true);
      }
      // Slack's periodic certificate check carries nothing to act on: answer it here.
      if (body.length < 64 && new URLSearchParams(body.toString()).get('ssl_check') === '1') {
        res.writeHead(200).end();
        return;
      }
      const ts = header(req, 'x-slack-request-timestamp') ?? '';
      const signature = header(req, 'x-slack-signature') ?? '';
      const tsNum = /^\d{1,12}$/.test(ts) ? Number(ts) : Number.NaN;
      const nowS = Math.floor(now() / 1000);
      const why = !Number.isFinite(tsNum)
        ? 'no timestamp'
        : tsNum < nowS - MAX_AGE_S
          ? 'timestamp older than 5 minutes'
          : tsNum > nowS + MAX_FUTURE_S
            ? `timestamp more than ${MAX_FUTURE_S} s ahead`
            : !signatureOk(o.signingSecret, ts, body, signature)
              ? 'bad signature'
              : undefined;
      if (why) {
        log.warn({ why }, 'unverified request refused (401)');
        return refuse(req, res, 401);
      }
      // Keep the claim until the timestamp would be refused anyway.
      const ttlMs = (tsNum + MAX_AGE_S + 1 - nowS) * 1000;
      let first: boolean;
      try {
        first = await o.claimOnce(`sig:${signature.slice(3)}`, ttlMs);
      } catch (err) {
        // Fail closed: without the replay cache a request cannot be known to be new.
        log.error({ err }, 'replay cache unavailable; request refused (503)');
        return refuse(req, res, 503);
      }
      if (!first) {
        log.warn({ ts: tsNum }, 'replayed request refused (401): this signature was already used');
        return refuse(req, res, 401);
      }
      (req as Buffered).rawBody = body;
      return inner(req, res);
    })().catch((err: unknown) => {
      log.error({ err }, 'Slack request failed before Bolt saw it');
      refuse(req, res, 500);
    });
  };
}
