import { describe, expect, it } from 'vitest';
import {
  type CommandError,
  helpText,
  type IstioCommand,
  parseCommand,
  tokenize,
} from '../../src/domain/command/index.js';

const parsed = (text: string): IstioCommand => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.error.message}`);
  return r.value;
};
const refused = (text: string): CommandError => {
  const r = parseCommand(text);
  if (r.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r.value)}`);
  return r.error;
};

describe('parseCommand accepts', () => {
  it.each<[string, IstioCommand]>([
    ['upgrade 1.26.3', { kind: 'upgrade', version: '1.26.3', strategy: 'labels', dryRun: false }],
    [
      'upgrade 1.26.3 --revision canary --waves "a,b;c" --strategy tags --cluster prod-eu1 --dry-run',
      {
        kind: 'upgrade',
        version: '1.26.3',
        revision: 'canary',
        waves: [['a', 'b'], ['c']],
        strategy: 'tags',
        cluster: 'prod-eu1',
        dryRun: true,
      },
    ],
    [
      'upgrade v1.26.3 --waves=a,b;c --cluster=prod',
      {
        kind: 'upgrade',
        version: '1.26.3',
        waves: [['a', 'b'], ['c']],
        cluster: 'prod',
        strategy: 'labels',
        dryRun: false,
      },
    ],
    // Slack/macOS turn "..." into “...” and -- into —
    [
      'upgrade 1.26.3 —waves “a, b; c” —dry-run',
      { kind: 'upgrade', version: '1.26.3', waves: [['a', 'b'], ['c']], strategy: 'labels', dryRun: true },
    ],
    [
      'UPGRADE 1.25.0-beta.1',
      { kind: 'upgrade', version: '1.25.0-beta.1', strategy: 'labels', dryRun: false },
    ],
    ['status', { kind: 'status', details: false }],
    ['status up-7k3q --details', { kind: 'status', id: 'up-7k3q', details: true }],
    ['list', { kind: 'list', refusals: false }],
    ['list --refusals', { kind: 'list', refusals: true }],
    ['rollback up-7k3q', { kind: 'rollback', id: 'up-7k3q' }],
    [
      'rollback up-7k3q INC-42 5xx in payments',
      { kind: 'rollback', id: 'up-7k3q', reason: 'INC-42 5xx in payments' },
    ],
    ['abort up-7k3q', { kind: 'abort', id: 'up-7k3q' }],
    ['pause up-7k3q', { kind: 'pause', id: 'up-7k3q' }],
    ['resume up-7k3q', { kind: 'resume', id: 'up-7k3q' }],
    ['retry up-7k3q', { kind: 'retry', id: 'up-7k3q' }],
    ['ps', { kind: 'ps' }],
    ['ps payments --cluster prod-eu1', { kind: 'ps', namespace: 'payments', cluster: 'prod-eu1' }],
    ['help', { kind: 'help' }],
    ['help upgrade', { kind: 'help', topic: 'upgrade' }],
    ['  list  ', { kind: 'list', refusals: false }],
  ])('%s', (text, want) => {
    expect(parsed(text)).toEqual(want);
  });
});

describe('rollback: after the id, the rest of the line is the reason as typed', () => {
  it.each<[string, string]>([
    ["rollback up-7k3q payments can't reach db", "payments can't reach db"],
    ['rollback up-7k3q payments can\u2019t reach db', 'payments can\u2019t reach db'],
    ['rollback up-7k3q INC-9 5xx --since 14:02', 'INC-9 5xx --since 14:02'],
    ['rollback up-7k3q "quoted" and "unclosed', '"quoted" and "unclosed'],
    ['rollback up-7k3q   two  spaces  kept inside  ', 'two  spaces  kept inside'],
    ['ROLLBACK up-7k3q \u201Csmart\u201D quotes \u2014 dash', '\u201Csmart\u201D quotes \u2014 dash'],
    ['rollback\u00A0up-7k3q\u00A0nbsp between', 'nbsp between'],
    ['rollback up-7k3q line one\nline two', 'line one\nline two'],
    ['rollback up-7k3q <!channel> see <https://x|x>', '<!channel> see <https://x|x>'],
  ])('%j', (text, reason) => {
    expect(parsed(text)).toEqual({ kind: 'rollback', id: 'up-7k3q', reason });
  });

  it('still checks the id, and a reason is optional', () => {
    expect(parsed('rollback "up-7k3q"')).toEqual({ kind: 'rollback', id: 'up-7k3q' });
    expect(parsed('rollback up-7k3q   ')).toEqual({ kind: 'rollback', id: 'up-7k3q' });
    expect(refused("rollback can't reach db").code).toBe('invalid_value');
    expect(refused("rollback can't reach db").message).toMatch(/"can't" is not an upgrade id/);
  });
});

describe('parseCommand refuses, naming the problem and showing usage', () => {
  it.each<[string, CommandError['code'], RegExp, RegExp]>([
    ['', 'empty', /what to do/, /\/istio upgrade/],
    ['upgarde 1.26.3', 'unknown_subcommand', /`upgarde` is not a subcommand/, /\/istio help/],
    ['upgrade', 'missing_argument', /Which version/, /\/istio upgrade <version>/],
    ['upgrade 1.26', 'invalid_value', /"1\.26" is not an Istio version.*1\.24\.2/, /\/istio upgrade/],
    ['upgrade 1.26.3 1.27.0', 'extra_argument', /Unexpected `1\.27\.0`/, /\/istio upgrade/],
    [
      'upgrade 1.26.3 --force',
      'unknown_flag',
      /`--force` is not a flag of `upgrade`.*--dry-run/,
      /\/istio upgrade/,
    ],
    ['upgrade 1.26.3 --cluster', 'missing_flag_value', /`--cluster` needs a value/, /\/istio upgrade/],
    ['upgrade 1.26.3 --cluster --dry-run', 'missing_flag_value', /`--cluster` needs a value/, /upgrade/],
    ['upgrade 1.26.3 --dry-run --dry-run', 'duplicate_flag', /twice/, /upgrade/],
    ['upgrade 1.26.3 --dry-run=yes', 'invalid_value', /takes no value/, /upgrade/],
    [
      'upgrade 1.26.3 --strategy blue-green',
      'invalid_value',
      /"blue-green" is unknown.*labels.*tags/,
      /upgrade/,
    ],
    ['upgrade 1.26.3 --revision 1.26.3', 'invalid_value', /"1\.26\.3" is not a valid revision/, /upgrade/],
    ['upgrade 1.26.3 --revision default', 'invalid_value', /reserved/, /upgrade/],
    ['upgrade 1.26.3 --cluster Prod', 'invalid_value', /Cluster name "Prod".*upper-case/, /upgrade/],
    ['upgrade 1.26.3 --waves "a;$(reboot)"', 'invalid_value', /Namespace name "\$\(reboot\)"/, /upgrade/],
    ['upgrade 1.26.3 --waves "a,b;;c"', 'invalid_value', /Wave 2 .* is empty/, /upgrade/],
    ['upgrade 1.26.3 --waves "a,b;a"', 'invalid_value', /"a" is in wave 1 and again in wave 2/, /upgrade/],
    [`upgrade 1.26.3 --waves ${'n'.repeat(64)}`, 'invalid_value', /64 characters/, /upgrade/],
    ['upgrade 1.26.3 --waves "a,b', 'unclosed_quote', /quote is not closed/, /\/istio help|\/istio upgrade/],
    ['status 7k3q', 'invalid_value', /"7k3q" is not an upgrade id.*up-7k3q/, /\/istio status/],
    ['list all', 'extra_argument', /Unexpected `all`/, /\/istio list/],
    ['rollback', 'missing_argument', /needs the upgrade id/, /\/istio rollback ID/],
    ['abort up-7k3q now', 'extra_argument', /Unexpected `now`/, /\/istio abort/],
    ['pause UP-7K3Q', 'invalid_value', /not an upgrade id/, /\/istio pause/],
    ['ps Payments', 'invalid_value', /Namespace name "Payments"/, /\/istio ps/],
    ['ps a;ls', 'invalid_value', /Namespace name "a;ls"/, /\/istio ps/],
    ['ps a b', 'extra_argument', /Unexpected `b`/, /\/istio ps/],
    ['help deploy', 'invalid_value', /no subcommand `deploy`/, /\/istio help/],
  ])('%j → %s', (text, code, message, usage) => {
    const e = refused(text);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.usage).toMatch(usage);
  });
});

describe('tokenize', () => {
  it('keeps quoted spaces and joins adjacent quoted parts', () => {
    expect(tokenize(`a "b c" d'e f'`)).toEqual({ ok: true, words: ['a', 'b c', 'de f'] });
  });
  it('treats non-breaking spaces as spaces', () => {
    expect(tokenize('status\u00A0up-7k3q')).toEqual({ ok: true, words: ['status', 'up-7k3q'] });
  });
});

describe('help', () => {
  it('lists every subcommand', () => {
    for (const s of [
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
    ]) {
      expect(helpText()).toContain(`/istio ${s}`);
    }
  });
});
