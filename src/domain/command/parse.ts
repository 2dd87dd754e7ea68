import { err, ok, type Result } from '../result.js';
import { formatVersion, parseVersion, validateLabel, validateRevision } from '../version.js';
import { normalizeChatText, tokenize } from './tokenize.js';
import type { CommandError, IstioCommand } from './types.js';
import { helpText, SUBCOMMANDS, type Subcommand, USAGE } from './usage.js';

export const UPGRADE_ID = /^up-[a-z0-9]{4,8}$/;

type FlagSpec = Record<string, 'value' | 'switch'>;
const FLAGS: Partial<Record<Subcommand, FlagSpec>> = {
  upgrade: {
    revision: 'value',
    waves: 'value',
    strategy: 'value',
    cluster: 'value',
    analysis: 'value',
    auto: 'switch',
    'dry-run': 'switch',
  },
  status: { details: 'switch', wave: 'value' },
  list: { refusals: 'switch', page: 'value' },
  ps: { cluster: 'value' },
};

interface Split {
  positional: string[];
  flags: Map<string, string | true>;
}

class Refusal {
  constructor(readonly error: CommandError) {}
}

function refuse(sub: Subcommand | undefined, code: CommandError['code'], message: string): never {
  throw new Refusal({
    code,
    message,
    usage: sub ? USAGE[sub].line : helpText(),
    ...(sub ? { subcommand: sub } : {}),
  });
}

function splitArgs(sub: Subcommand, words: string[]): Split {
  const spec = FLAGS[sub] ?? {};
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('--') || w === '--') {
      positional.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = (eq === -1 ? w.slice(2) : w.slice(2, eq)).toLowerCase();
    const kind = spec[name];
    if (!kind) {
      const known = Object.keys(spec);
      refuse(
        sub,
        'unknown_flag',
        `\`${w}\` is not a flag of \`${sub}\`.${known.length ? ` Known flags: ${known.map((k) => `--${k}`).join(', ')}.` : ''}`,
      );
    }
    if (flags.has(name)) refuse(sub, 'duplicate_flag', `\`--${name}\` is given twice.`);
    if (kind === 'switch') {
      if (eq !== -1) refuse(sub, 'invalid_value', `\`--${name}\` takes no value.`);
      flags.set(name, true);
      continue;
    }
    const value = eq === -1 ? words[++i] : w.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
      refuse(sub, 'missing_flag_value', `\`--${name}\` needs a value.`);
    }
    flags.set(name, value);
  }
  return { positional, flags };
}

const str = (s: Split, name: string): string | undefined => {
  const v = s.flags.get(name);
  return typeof v === 'string' ? v : undefined;
};

function clusterFlag(sub: Subcommand, s: Split): { cluster?: string } {
  const cluster = str(s, 'cluster');
  if (cluster === undefined) return {};
  const bad = validateLabel('cluster', cluster);
  if (bad) refuse(sub, 'invalid_value', bad.message);
  return { cluster };
}

function noMore(sub: Subcommand, extra: string[]): void {
  if (extra.length > 0) refuse(sub, 'extra_argument', `Unexpected \`${extra.join(' ')}\`.`);
}

function upgradeId(sub: Subcommand, id: string | undefined): string {
  if (id === undefined) refuse(sub, 'missing_argument', `\`${sub}\` needs the upgrade id, e.g. \`up-7k3q\`.`);
  if (!UPGRADE_ID.test(id)) {
    refuse(
      sub,
      'invalid_value',
      `"${id}" is not an upgrade id: ids look like \`up-7k3q\` (see \`/istio list\`).`,
    );
  }
  return id;
}

export function parseWaves(spec: string): Result<string[][], string> {
  const waves = spec.split(';').map((w) =>
    w
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== ''),
  );
  const seen = new Map<string, number>();
  for (const [i, wave] of waves.entries()) {
    if (wave.length === 0) return err(`Wave ${i + 1} in "${spec}" is empty.`);
    for (const ns of wave) {
      const bad = validateLabel('namespace', ns);
      if (bad) return err(bad.message);
      const first = seen.get(ns);
      if (first !== undefined)
        return err(`Namespace "${ns}" is in wave ${first} and again in wave ${i + 1}.`);
      seen.set(ns, i + 1);
    }
  }
  return ok(waves);
}

function parseUpgrade(s: Split): IstioCommand {
  const [version, ...extra] = s.positional;
  if (version === undefined)
    refuse('upgrade', 'missing_argument', 'Which version? e.g. `/istio upgrade 1.26.3`.');
  noMore('upgrade', extra);
  const v = parseVersion(version);
  if (!v.ok) refuse('upgrade', 'invalid_value', `${v.error.message} ${v.error.hint ?? ''}`.trim());
  const cmd: IstioCommand = {
    kind: 'upgrade',
    version: formatVersion(v.value),
    strategy: 'labels',
    dryRun: s.flags.get('dry-run') === true,
    ...clusterFlag('upgrade', s),
  };
  const revision = str(s, 'revision');
  if (revision !== undefined) {
    const bad = validateRevision(revision);
    if (bad) refuse('upgrade', 'invalid_value', `${bad.message} ${bad.hint ?? ''}`.trim());
    cmd.revision = revision;
  }
  const strategy = str(s, 'strategy');
  if (strategy !== undefined) {
    if (strategy !== 'labels' && strategy !== 'tags') {
      refuse('upgrade', 'invalid_value', `Strategy "${strategy}" is unknown: use \`labels\` or \`tags\`.`);
    }
    cmd.strategy = strategy;
  }
  const analysis = str(s, 'analysis');
  if (analysis !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(analysis))
      refuse(
        'upgrade',
        'invalid_value',
        `"${analysis}" is not an analysis name: lower-case letters, digits and \`-\`, as the cluster's policy names them (or \`none\`).`,
      );
    cmd.analysis = analysis;
  }
  if (s.flags.get('auto') === true) cmd.auto = true;
  const waves = str(s, 'waves');
  if (waves !== undefined) {
    const w = parseWaves(waves);
    if (!w.ok)
      refuse('upgrade', 'invalid_value', `${w.error} Write waves as "ns1,ns2;ns3" (\`;\` between waves).`);
    cmd.waves = w.value;
  }
  return cmd;
}

function parseSub(sub: Subcommand, s: Split): IstioCommand {
  const [first, ...rest] = s.positional;
  switch (sub) {
    case 'upgrade':
      return parseUpgrade(s);
    case 'status': {
      noMore(sub, rest);
      const wave = str(s, 'wave');
      if (wave !== undefined && !/^[1-9]\d{0,3}$/.test(wave))
        refuse(sub, 'invalid_value', `\`--wave\` takes a wave number, e.g. \`--wave 2\`, not "${wave}".`);
      if (wave !== undefined && !first)
        refuse(sub, 'missing_argument', '`--wave` needs the upgrade id: `/istio status up-7k3q --wave 2`.');
      return {
        kind: 'status',
        details: s.flags.get('details') === true,
        ...(first ? { id: upgradeId(sub, first) } : {}),
        ...(wave !== undefined ? { wave: Number(wave) } : {}),
      };
    }
    case 'list': {
      noMore(sub, s.positional);
      const page = str(s, 'page');
      if (page !== undefined && !/^[1-9]\d{0,3}$/.test(page))
        refuse(sub, 'invalid_value', `\`--page\` takes a page number, e.g. \`--page 2\`, not "${page}".`);
      return {
        kind: 'list',
        refusals: s.flags.get('refusals') === true,
        ...(page !== undefined ? { page: Number(page) } : {}),
      };
    }
    case 'rollback': // read by parseWithReason; here only when that could not (no id)
      return { kind: 'rollback', id: upgradeId(sub, first) };
    case 'abort':
    case 'pause':
    case 'resume':
    case 'retry':
      noMore(sub, rest);
      return { kind: sub, id: upgradeId(sub, first) };
    case 'ps': {
      noMore(sub, rest);
      if (first !== undefined) {
        const bad = validateLabel('namespace', first);
        if (bad) refuse(sub, 'invalid_value', bad.message);
      }
      return { kind: 'ps', ...(first ? { namespace: first } : {}), ...clusterFlag(sub, s) };
    }
    case 'unlock': {
      noMore(sub, rest);
      if (first === undefined)
        refuse(sub, 'missing_argument', 'Say which cluster to unlock: `/istio unlock prod-eu1`.');
      const bad = validateLabel('cluster', first);
      if (bad) refuse(sub, 'invalid_value', bad.message);
      return { kind: 'unlock', cluster: first };
    }
    case 'help': {
      noMore(sub, rest);
      if (first === undefined) return { kind: 'help' };
      const topic = SUBCOMMANDS.find((c) => c === first.toLowerCase());
      if (!topic)
        refuse(
          sub,
          'invalid_value',
          `There is no subcommand \`${first}\`. Try one of: ${SUBCOMMANDS.join(', ')}.`,
        );
      return { kind: 'help', topic };
    }
  }
}

/** Subcommands whose line ends in a free-text reason: after the id, the rest is the reason as typed. */
const TAKES_REASON: ReadonlySet<Subcommand> = new Set<Subcommand>(['rollback']);
const INVISIBLE = /[\u200B\u2060\uFEFF]/g;

/**
 * `rollback ID reason…`: the reason is the rest of the line exactly as typed — apostrophes, curly
 * quotes, `--since` and all — never tokenized (a reason is what a person wrote in an incident).
 */
function parseWithReason(text: string): IstioCommand | undefined {
  const m = /^\s*(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) return undefined;
  const head = normalizeChatText(m[1]!).toLowerCase();
  const sub = SUBCOMMANDS.find((c) => c === head);
  if (!sub || !TAKES_REASON.has(sub)) return undefined;
  const idWord = m[2] === undefined ? undefined : normalizeChatText(m[2]).replace(/^["']+|["']+$/g, '');
  const reason = m[3]?.replace(INVISIBLE, '').trim();
  return { kind: 'rollback', id: upgradeId(sub, idWord || undefined), ...(reason ? { reason } : {}) };
}

/** Parses the text after `/istio`. Never throws: a refusal comes back with its usage line. */
export function parseCommand(text: string): Result<IstioCommand, CommandError> {
  try {
    const withReason = parseWithReason(text);
    if (withReason) return ok(withReason);
    const t = tokenize(text);
    if (!t.ok) refuse(undefined, 'unclosed_quote', t.message);
    const [head, ...words] = t.words;
    if (head === undefined) refuse(undefined, 'empty', 'Tell me what to do, e.g. `/istio upgrade 1.26.3`.');
    const sub = SUBCOMMANDS.find((c) => c === head.toLowerCase());
    if (!sub) refuse(undefined, 'unknown_subcommand', `\`${head}\` is not a subcommand.`);
    return ok(parseSub(sub, splitArgs(sub, words)));
  } catch (e) {
    if (e instanceof Refusal) return err(e.error);
    return err({
      code: 'invalid_value',
      message: `Could not read that command: ${String(e)}`,
      usage: helpText(),
    });
  }
}
