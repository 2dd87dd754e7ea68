// Signed-HTTP fuzz: random slash-command texts (quotes, curly quotes, dashes, flags, long reasons,
// control characters), signed as Slack signs them, plus forged, replayed, future-dated and oversized
// requests, in concurrent bursts. Every request is answered, none later than Slack's 3 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/slack/http-guard.js';
import { formBody, signedRequest } from '../support/signed-request.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

const WORDS = [
  'upgrade',
  'status',
  'list',
  'rollback',
  'abort',
  'pause',
  'resume',
  'retry',
  'ps',
  'help',
  'unlock',
  'up-7k3q',
  'up-zzzz',
  '1.24.2',
  '1.2',
  '--waves',
  '"a,b;c"',
  "'",
  '"',
  '\u2019',
  '\u201C',
  '\u2014since',
  '--since',
  '--cluster',
  'prod',
  '--details',
  '--refusals',
  '<!channel>',
  '&amp;',
  '\u00A0',
  '\u200B',
  '$(reboot)',
  '; rm -rf /',
  '\n',
  '\t',
  'x'.repeat(3000),
  '🙂',
  'INC-1',
  "can't",
];

/** Deterministic pseudo-random numbers (a failure can be replayed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('signed-HTTP fuzz', () => {
  let h: SlackHarness;
  let url: string;
  beforeAll(async () => {
    h = await startSlackHarness('http');
    if (h.emu.delivery.mode !== 'http') throw new Error('expected HTTP delivery');
    url = h.emu.delivery.url;
  });
  afterAll(async () => h.close());

  it('answers every request within 3 s: commands 200, forged/replayed/future 401, oversized 413', async () => {
    const rand = rng(12);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const secret = h.emu.signingSecret;
    const results: { kind: string; status: number; ms: number }[] = [];
    for (let burst = 0; burst < 30; burst++) {
      const reqs = Array.from({ length: 10 }, (_, i) => {
        const text = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ');
        const body = formBody({
          command: '/istio',
          text,
          user_id: USERS.carol,
          channel_id: pick([CH.ops, CH.incident, CH.other]),
          team_id: 'T0EMULATOR',
          response_url: `${h.emu.baseUrl}/response/none`,
          trigger_id: `${burst}.${i}.${rand()}`,
        });
        const now = Math.floor(Date.now() / 1000);
        const kind = pick(['command', 'command', 'command', 'forged', 'future', 'replay', 'huge']);
        const send = (b: string, o: Parameters<typeof signedRequest>[2]) =>
          signedRequest(url, b, o).then(
            (r) => ({ kind, status: r.status, ms: r.ms }),
            (e: unknown) => ({ kind, status: -1, ms: 0, e: String((e as Error).cause ?? e) }),
          );
        switch (kind) {
          case 'forged':
            return send(body, { secret: 'not-the-secret' });
          case 'future':
            return send(body, { secret, timestamp: now + 120 + Math.floor(rand() * 1e7) });
          case 'huge':
            return send(`${body}&pad=${'p'.repeat(MAX_BODY_BYTES)}`, { secret });
          case 'replay':
            return send(body, { secret, timestamp: now }).then(() => send(body, { secret, timestamp: now }));
          default:
            return send(body, { secret });
        }
      });
      results.push(...(await Promise.all(reqs)));
    }
    const expected: Record<string, number> = {
      command: 200,
      forged: 401,
      future: 401,
      replay: 401,
      huge: 413,
    };
    for (const r of results)
      expect({ kind: r.kind, status: r.status }).toEqual({ kind: r.kind, status: expected[r.kind] });
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(3000);
    expect(new Set(results.map((r) => r.kind)).size).toBe(5);
    expect(h.emu.lateAcks).toEqual([]);
  }, 120_000);
});
