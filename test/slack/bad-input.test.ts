// Every subcommand's bad input is answered ephemerally, in the ack, with what was wrong and its usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../src/domain/command/index.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

const CASES: [string, keyof typeof USAGE | null, string][] = [
  ['', null, 'Tell me what to do'],
  ['frobnicate', null, 'is not a subcommand'],
  ['upgrade', 'upgrade', 'Which version'],
  ['upgrade banana', 'upgrade', 'banana'],
  ['upgrade 1.24.2 --strategy sideways', 'upgrade', 'sideways'],
  ['upgrade 1.24.2 --waves "a;;b"', 'upgrade', 'empty'],
  ['upgrade 1.24.2 --analysis Strict!', 'upgrade', 'is not an analysis name'],
  ['status nope', 'status', 'not an upgrade id'],
  ['list everything', 'list', 'Unexpected'],
  ['rollback', 'rollback', 'needs the upgrade id'],
  ['abort up-XY!', 'abort', 'not an upgrade id'],
  ['pause', 'pause', 'needs the upgrade id'],
  ['resume up-abcd again', 'resume', 'Unexpected'],
  ['retry 42', 'retry', 'not an upgrade id'],
  ['ps --bogus', 'ps', 'not a flag'],
  ['help nonsense', 'help', 'no subcommand'],
];

describe.each(['socket', 'http'] as const)('bad input (%s mode)', (mode) => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness(mode);
  });
  afterAll(async () => h.close());

  it.each(CASES)('"/istio %s" is answered with the usage line', async (text, sub, what) => {
    const r = await h.emu.command({ user: USERS.carol, channel: CH.ops, text });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(r.ack?.response_type).toBe('ephemeral');
    const shown = JSON.stringify(r.ack);
    expect(shown).toContain(what);
    if (sub) expect(shown).toContain(USAGE[sub].line.replace(/"/g, '\\"'));
    else expect(shown).toContain(USAGE.upgrade.line.slice(0, 20));
  });

  it('help lists every command', async () => {
    const r = await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'help' });
    for (const u of Object.values(USAGE)) expect(JSON.stringify(r.ack)).toContain(u.line.slice(0, 14));
  });
});
