// `istio-upgrade-bot ps parse [FILE|-]` and `ps diff BEFORE AFTER`: file/stdin I/O around the pure
// proxy-status domain. Output is JSON on stdout; errors on stderr; exit 0 ok, 1 unparseable, 2 usage.
import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { summarizeTableBytes, summarizeTableChunks } from '../domain/proxystatus/bytes.js';
import { diffSummaries } from '../domain/proxystatus/diff.js';
import type { ParseError, ParseOptions, Snapshot, Summary } from '../domain/proxystatus/index.js';
import '../domain/proxystatus/warmup.js';

/**
 * The text parsers (every format, and tables the byte reader declines), loaded when needed: `ps diff`
 * of two istioctl tables never needs them, and loading modules is a tenth of its time.
 */
const parsers = () => import('../domain/proxystatus/index.js');

export const PS_USAGE = `usage:
  istio-upgrade-bot ps parse [FILE|-] [--istiod NAME]
  istio-upgrade-bot ps diff BEFORE AFTER [--istiod NAME] [--before-istiod NAME] [--after-istiod NAME]

Reads istioctl proxy-status output (any table version, \`-o json\` of 1.30+, or istiod /debug/syncz
JSON) from FILE, or stdin for "-" (parse defaults to stdin). Prints JSON on stdout.
  --istiod NAME         istiod pod name for /debug/syncz input (it carries none); sets the revision
  --before-istiod NAME  the same, for BEFORE only;  --after-istiod NAME  for AFTER only
Exit codes: 0 success, 1 input that does not parse (the message names the line), 2 usage error.
`;

class UsageError extends Error {}

interface Args {
  positional: string[];
  istiod?: string;
  beforeIstiod?: string;
  afterIstiod?: string;
}

const FLAGS: Record<string, 'istiod' | 'beforeIstiod' | 'afterIstiod'> = {
  '--istiod': 'istiod',
  '--before-istiod': 'beforeIstiod',
  '--after-istiod': 'afterIstiod',
};

function parseArgs(argv: string[]): Args {
  const args: Args = { positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = FLAGS[flag];
    if (key !== undefined) {
      const value = eq > 0 && flag !== a ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      args[key] = value;
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option "${a}"`);
    } else {
      args.positional.push(a);
    }
  }
  return args;
}

/**
 * Reads the whole input as text. istioctl prints ASCII, and decoding ASCII bytes as latin1 gives the
 * same string as UTF-8 at a fraction of the cost (Node 20's UTF-8 read is ~2.5× slower on 20 MB).
 */
function readInput(path: string): string {
  return decode(readBytes(path));
}

function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

function unreadable(path: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new UsageError(`cannot read ${path === '-' ? 'stdin' : `"${path}"`}${code ? ` (${code})` : ''}`);
}

/** Size of the buffer `ps diff` reads files through: reused, so its pages are touched once. */
const CHUNK = 1 << 18;

/**
 * The summary of a table file read chunk by chunk through buf (never the whole file in memory);
 * null when the byte reader declines it (then the caller reads the file again, as text), undefined
 * when it is no regular file (a pipe, `<(istioctl ps)`: read once, so the caller reads it whole).
 */
function streamTable(path: string, buf: Uint8Array): Summary | null | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
  const read = (b: Uint8Array, at: number, n: number): number => {
    try {
      return readSync(fd, b, at, n, null);
    } catch (e) {
      throw unreadable(path, e);
    }
  };
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    return summarizeTableChunks(read, buf)?.summary ?? null;
  } finally {
    closeSync(fd);
  }
}

class InputError extends Error {}

function inputError(path: string, error: ParseError): InputError {
  const where = path === '-' ? 'stdin' : path;
  return new InputError(`${where}: line ${error.line}: ${error.message} [${error.code}]`);
}

async function load(path: string, options: ParseOptions): Promise<Snapshot> {
  const result = (await parsers()).parseProxyStatus(readInput(path), options);
  if (!result.ok) throw inputError(path, result.error);
  return result.snapshot;
}

/**
 * What the diff needs of one side; tables are folded row by row, with no record per proxy, a regular
 * file streamed through buf. Input the byte reader declines is parsed as text.
 */
async function loadSummary(path: string, options: ParseOptions, buf: Uint8Array): Promise<Summary> {
  const streamed = path === '-' ? undefined : streamTable(path, buf);
  if (streamed) return streamed;
  const bytes = readBytes(path);
  const fast = streamed === undefined ? summarizeTableBytes(bytes) : null;
  if (fast !== null) return fast.summary;
  const result = (await parsers()).summarizeProxyStatus(decode(bytes), options);
  if (!result.ok) throw inputError(path, result.error);
  return result.summary;
}

function opts(istiod: string | undefined): ParseOptions {
  return istiod === undefined ? {} : { istiod };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function runPs(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === '-h' || sub === '--help') {
      process.stdout.write(PS_USAGE);
      return 0;
    }
    const args = parseArgs(rest);
    if (sub === 'parse') {
      if (args.positional.length > 1) throw new UsageError('parse takes at most one FILE');
      if (args.beforeIstiod !== undefined || args.afterIstiod !== undefined) {
        throw new UsageError('--before-istiod/--after-istiod only apply to diff');
      }
      print(await load(args.positional[0] ?? '-', opts(args.istiod)));
      return 0;
    }
    if (sub === 'diff') {
      const [before, after] = args.positional;
      if (args.positional.length !== 2 || before === undefined || after === undefined) {
        throw new UsageError('diff needs BEFORE and AFTER');
      }
      if (before === '-' && after === '-') throw new UsageError('only one of BEFORE and AFTER can be stdin');
      const buf = new Uint8Array(CHUNK);
      const b = await loadSummary(before, opts(args.beforeIstiod ?? args.istiod), buf);
      const a = await loadSummary(after, opts(args.afterIstiod ?? args.istiod), buf);
      print(diffSummaries(b, a));
      return 0;
    }
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`istio-upgrade-bot ps: ${e.message}\n\n${PS_USAGE}`);
      return 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`istio-upgrade-bot ps: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
