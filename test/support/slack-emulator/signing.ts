/**
 * STAND-IN for how Slack signs requests to an app (test/support only): `v0=` + hex
 * HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`) in `x-slack-signature`, the Unix
 * timestamp in seconds in `x-slack-request-timestamp`.
 */
import { createHmac } from 'node:crypto';

export function slackSignature(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface SignedHeaders {
  'content-type': 'application/x-www-form-urlencoded';
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

export function signedHeaders(secret: string, rawBody: string, nowSeconds: number): SignedHeaders {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(nowSeconds),
    'x-slack-signature': slackSignature(secret, nowSeconds, rawBody),
  };
}
