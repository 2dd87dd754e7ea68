/**
 * Test helper (stand-in for Slack's delivery): POSTs a form body to the bot's HTTP endpoint signed
 * the way Slack signs it, with knobs to forge the signature or age the timestamp.
 */
import { signedHeaders } from './slack-emulator/signing.js';

export interface SignedRequestOptions {
  secret: string;
  /** Unix seconds; default now. Use now - 301 for a request older than 5 minutes. */
  timestamp?: number;
  /** Replace the computed signature (forgery). */
  signature?: string;
  /** Sign this body but send `rawBody` (tampering in transit). */
  signBody?: string;
  /** Default form-encoded (commands, clicks); Events API requests are `application/json`. */
  contentType?: string;
}

export interface SignedResponse {
  status: number;
  body: string;
  ms: number;
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export async function signedRequest(
  url: string,
  rawBody: string,
  opts: SignedRequestOptions,
): Promise<SignedResponse> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { ...signedHeaders(opts.secret, opts.signBody ?? rawBody, ts) };
  if (opts.signature !== undefined) headers['x-slack-signature'] = opts.signature;
  if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}
