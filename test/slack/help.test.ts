// `help <subcommand>` gives the detail with examples, true to the parser; answered in the ack.
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand, SUBCOMMANDS, USAGE } from '../../src/domain/command/index.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const flagsOf = (line: string) => [...line.matchAll(/--([a-z-]+)/g)].map((m) => m[1]).sort();

describe('help', () => {
  it.each(SUBCOMMANDS)('%s: every example parses as that subcommand', (sub) => {
    expect(USAGE[sub].examples.length).toBeGreaterThan(0);
    for (const ex of USAGE[sub].examples) {
      const r = parseCommand(ex);
      expect(r.ok ? r.value.kind : r.error.message).toBe(sub);
    }
  });

  it.each(SUBCOMMANDS.filter((s) => s !== 'rollback'))(
    '%s: the usage line names exactly the flags the parser knows',
    (sub) => {
      const r = parseCommand(`${sub} --no-such-flag`);
      expect(r.ok).toBe(false);
      const known = r.ok
        ? []
        : [...r.error.message.matchAll(/--([a-z-]+)/g)].map((m) => m[1]).filter((f) => f !== 'no-such-flag');
      expect(known.sort()).toEqual(flagsOf(USAGE[sub].line));
      for (const f of flagsOf(USAGE[sub].line))
        expect([...USAGE[sub].detail, ...USAGE[sub].examples].join('\n')).toContain(`--${f}`);
    },
  );

  it('`help upgrade` answers, only to the asker and at once, with the detail and examples', async () => {
    h = await startSlackHarness('socket');
    const r = await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'help upgrade' });
    const ack = r.ack as { text: string; blocks: unknown[]; response_type: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(validateBlocks(ack.blocks as Record<string, unknown>[])).toEqual([]);
    const shown = visibleText(ack);
    expect(shown).toContain('*/istio upgrade*');
    expect(shown).toContain('Without it, the cluster this channel is bound to in the policy');
    expect(shown).toContain('five per wave');
    expect(shown).toContain('*Examples*\n`/istio upgrade 1.26.3 --dry-run`');
    // the summary alone is not the answer any more
    expect(shown.length).toBeGreaterThan(USAGE.upgrade.about.length * 3);

    const all = await h.emu.command({ user: USERS.carol, channel: CH.ops, text: 'help' });
    const overview = all.ack as { blocks: Record<string, unknown>[] };
    expect(validateBlocks(overview.blocks)).toEqual([]);
    for (const s of SUBCOMMANDS) expect(visibleText(overview)).toContain(USAGE[s].line);
    expect(visibleText(overview)).toContain('`/istio help <subcommand>` gives the detail, with examples.');
  });

  it('status --wave takes a wave number and an upgrade id', () => {
    expect(parseCommand('status up-7k3q --wave 2')).toEqual({
      ok: true,
      value: { kind: 'status', id: 'up-7k3q', details: false, wave: 2 },
    });
    const noId = parseCommand('status --wave 2');
    expect(noId.ok ? '' : noId.error.message).toContain('`--wave` needs the upgrade id');
    const bad = parseCommand('status up-7k3q --wave two');
    expect(bad.ok ? '' : bad.error.message).toContain('`--wave` takes a wave number');
  });
});
