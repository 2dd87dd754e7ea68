// Block Kit renderers, table-tested against Slack's limits (checked by the emulator's own validator).
import { describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import {
  approvalMessage,
  decidedMessage,
  decodeButton,
  encodeButton,
} from '../../src/slack/blocks/approval.js';
import { diffDetailMessages, diffMessage } from '../../src/slack/blocks/diff.js';
import { phaseMessage } from '../../src/slack/blocks/phase.js';
import { planMessage } from '../../src/slack/blocks/plan.js';
import { commandErrorMessage, helpMessage } from '../../src/slack/blocks/replies.js';
import { listMessage, statusMessage } from '../../src/slack/blocks/status.js';
import { clip, cutList, type SlackMessage } from '../../src/slack/blocks/text.js';
import {
  rollbackRequestedMessage,
  stateChangedMessage,
  warningMessage,
} from '../../src/slack/blocks/thread.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { bigDiff, record } from '../support/slack-fixtures.js';

function expectValid(m: SlackMessage): void {
  expect(validateBlocks(m.blocks)).toEqual([]);
  expect(m.text.length).toBeGreaterThan(0);
  expect(m.text.length).toBeLessThanOrEqual(40_000);
}

const long = (n: number) => 'ns-'.concat('x'.repeat(Math.max(0, n)));
const huge = (waves: number, perWave: number, nameLen: number): UpgradeRecord =>
  record({
    waves: Array.from({ length: waves }, (_, i) => ({
      index: i + 1,
      namespaces: Array.from({ length: perWave }, (_, j) => `${long(nameLen - 8)}-${i}-${j}`.slice(0, 63)),
      status: i === 0 ? ('running' as const) : ('pending' as const),
      ...(i === 0 ? { progress: { total: 999, restarted: 500, ready: 3 } } : {}),
    })),
    stopped: {
      step: 'wait_rollouts',
      code: 'rollout_timeout',
      cause: 'x'.repeat(10_000),
      at: '2026-11-22T02:00:00Z',
    },
    state: 'stopped',
    rollback: {
      by: 'U1',
      reason: 'r'.repeat(5000),
      channel: 'C1',
      at: '2026-11-22T02:00:00Z',
      uninstallCanary: true,
    },
  });

describe('renderers stay within Block Kit limits', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 5],
    [3, 10, 20],
    [60, 5, 63],
    [5, 500, 63],
    [200, 200, 63],
  ];
  it.each(sizes)('plan/status/approval with %i waves × %i namespaces of %i chars', (w, n, len) => {
    const r = huge(w, n, len);
    for (const m of [
      planMessage(r),
      statusMessage(r),
      approvalMessage({
        ...r,
        approval: {
          step: 'await_wave_approval',
          wave: 1,
          nonce: 'abcdefghjk',
          requestedAt: r.createdAt,
          expiresAt: r.createdAt,
        },
      }),
    ])
      expectValid(m);
    expect(JSON.stringify(planMessage(r).blocks)).toContain('Wave 1');
  });

  it.each([0, 1, 14, 15, 16, 200, 5000])('diff with %i workloads per list', (n) => {
    const d = bigDiff(n, 60);
    const m = diffMessage(record(), 1, d);
    expectValid(m);
    const shown = JSON.stringify(m.blocks);
    if (n > 15) expect(shown).toContain(`…and ${n - 15} more`);
    if (n > 0) expect(shown).toContain(`*Moved* (${n})`);
    expect(shown).toContain('/istio status up-abcd --details');
  });

  it('details carry every line across messages, each valid, or say what was left out', () => {
    const d = bigDiff(300, 60);
    const parts = diffDetailMessages(record(), 1, d, { maxMessages: 10 });
    for (const p of parts) expectValid(p);
    const all = parts.map((p) => JSON.stringify(p.blocks)).join('');
    for (const i of [0, 150, 299]) expect(all).toContain(`w${i}-`);
    const capped = diffDetailMessages(record(), 1, bigDiff(5000, 60), { maxMessages: 4 });
    expect(capped).toHaveLength(4);
    expect(JSON.stringify(capped.at(-1))).toContain('more parts not shown');
  });

  it('thread replies, list and errors with extreme inputs', () => {
    const r = huge(3, 3, 20);
    expectValid(
      phaseMessage(
        r,
        { kind: 'wave', wave: 1 },
        {
          notes: { 'restart_workloads:w1': 'd'.repeat(50_000) },
          current: { step: 'wait_rollouts', status: 'running' },
          progress: { ready: 1, total: 3 },
        },
      ),
    );
    expectValid(phaseMessage(huge(2, 5000, 63), { kind: 'wave', wave: 1 }, { notes: {} }));
    expectValid(warningMessage(r, 'w'.repeat(50_000)));
    expectValid(rollbackRequestedMessage(r, 'U1', '<script>'.repeat(2000), 'C1'));
    expectValid(listMessage(Array.from({ length: 500 }, () => r)));
    expectValid(listMessage([]));
    expectValid(helpMessage());
    expectValid(
      commandErrorMessage({
        code: 'invalid_value',
        message: 'm'.repeat(10_000),
        usage: 'u',
        subcommand: 'upgrade',
      }),
    );
    const d = {
      step: 'await_wave_approval' as const,
      wave: 1,
      by: 'U0BOB',
      at: '2026-11-22T02:00:00Z',
      outcome: 'approved' as const,
    };
    expectValid(decidedMessage(r, d));
  });

  it('escapes mrkdwn control characters from user text', () => {
    const m = rollbackRequestedMessage(record(), 'U1', '<!channel> & <@U2>', 'C1');
    expect(JSON.stringify(m.blocks)).toContain('&lt;!channel&gt; &amp; &lt;@U2&gt;');
  });

  it('escapes user text in the fallback text too (what mobile notifications show)', () => {
    const evil = '<!channel> see <https://evil.example|docs> & <@U2>';
    for (const m of [
      rollbackRequestedMessage(record(), 'U1', evil, 'C1'),
      warningMessage(record(), evil),
      stateChangedMessage(record(), 'U1', evil),
    ]) {
      expect(m.text).not.toMatch(/<!channel>|<https:|<@U2>/);
      expect(m.text).toContain('&lt;!channel&gt;');
    }
  });
});

describe('button values carry ids only and refuse anything else', () => {
  it.each([
    ['up-abcd|2|n0nce2abcd', { id: 'up-abcd', wave: 2, nonce: 'n0nce2abcd' }],
    ['up-abcd|0|xyz', { id: 'up-abcd', wave: 0, nonce: 'xyz' }],
    ['up-abcd|2|n0nce|extra', null],
    ['up-ABCD|2|n', null],
    ['up-abcd|-1|n', null],
    ['{"id":"up-abcd","approved":true}', null],
    ['up-abcd|2|', null],
    [`up-abcd|2|${'a'.repeat(500)}`, null],
    [42, null],
    [undefined, null],
  ])('%s', (value, expected) => {
    expect(decodeButton(value)).toEqual(expected);
  });
  it('round-trips', () => {
    const ref = { id: 'up-7k3q', wave: 3, nonce: 'abcdefghjk' };
    expect(decodeButton(encodeButton(ref))).toEqual(ref);
  });
});

describe('cutList and clip', () => {
  it.each([
    [[], 100, 0],
    [['a', 'b'], 100, 0],
    [Array.from({ length: 100 }, (_, i) => `line ${i}`), 100, 80],
  ])('keeps within maxChars and counts what it left out', (lines, max, minLeft) => {
    const c = cutList(lines as string[], { maxChars: max, more: (n) => `…${n} more` });
    expect(c.text.length).toBeLessThanOrEqual(max);
    expect(c.left).toBeGreaterThanOrEqual(minLeft);
    expect(c.shown + c.left).toBe((lines as string[]).length);
    if (c.left) expect(c.text).toContain(`…${c.left} more`);
  });
  it('respects maxLines', () => {
    const c = cutList(['a', 'b', 'c', 'd'], { maxChars: 1000, maxLines: 2, more: (n) => `+${n}` });
    expect(c.text).toBe('a\nb\n+2');
  });
  it('never splits a surrogate pair', () => {
    expect(clip('ab😀cd', 4)).toBe('ab…');
  });
});
