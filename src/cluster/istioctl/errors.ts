/**
 * Maps an istioctl run's outcome to a coded error the thread can show (pure, table-tested).
 * Messages carry the subcommand and the meaningful tail of stderr, never the full command line
 * (execa's message includes it) and never unscrubbed text.
 */
import { CodedError, ErrorCode } from '../../errors.js';
import { scrubSecrets } from '../../log.js';
import { classifyText } from '../kube/faults.js';

export interface RunOutcome {
  failed: boolean;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  exitCode?: number | undefined;
  /** spawn error code, e.g. ENOENT / EACCES. */
  code?: string | undefined;
  stdout: string;
  stderr: string;
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// klog lines (`E1122 10:00:00.000000 123 file.go:12] ...`) are noise even on success.
const KLOG = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ \S+:\d+\]/;

/** The useful part of istioctl's stderr: ANSI and klog noise removed, last lines kept, secrets scrubbed. */
export function stderrTail(stderr: string, maxChars = 800): string {
  const lines = stderr
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !KLOG.test(l));
  let out = lines.join('\n');
  if (out.length > maxChars) out = `…${out.slice(out.length - maxChars)}`;
  return scrubSecrets(out);
}

/** `what` names the call for people, e.g. `istioctl 1.25.3 tag set prod-stable`. */
export function mapOutcome(
  what: string,
  o: RunOutcome,
  timeoutMs: number,
  okExitCodes: readonly number[] = [],
): CodedError | null {
  if (o.code === 'ENOENT' || o.code === 'EACCES') {
    return new CodedError(
      ErrorCode.IstioctlMissing,
      `${what}: the binary cannot be run (${o.code}); check ISTIOCTL_DIR`,
      { spawn: o.code },
    );
  }
  if (o.timedOut) {
    return new CodedError(
      ErrorCode.IstioctlTimeout,
      `${what} did not finish within ${Math.round(timeoutMs / 1000)}s (ISTIOCTL_TIMEOUT) and was stopped`,
      { timeoutMs, stderr: stderrTail(o.stderr) },
    );
  }
  if (o.isCanceled) {
    return new CodedError(ErrorCode.IstioctlFailed, `${what} was cancelled`, { cancelled: true });
  }
  if (o.isMaxBuffer) {
    return new CodedError(
      ErrorCode.IstioctlFailed,
      `${what} printed more output than allowed and was stopped`,
      {
        maxBuffer: true,
      },
    );
  }
  if (o.exitCode !== undefined && okExitCodes.includes(o.exitCode)) return null;
  if (o.failed || (o.exitCode ?? 0) !== 0) {
    const tail = stderrTail(o.stderr) || stderrTail(o.stdout);
    const exit = o.exitCode === undefined ? 'killed' : `exit ${o.exitCode}`;
    // a transient API error in stderr (etcd leader change, 429, reset, …) is worth another run
    const transient = classifyText(tail) !== null;
    return new CodedError(ErrorCode.IstioctlFailed, `${what} failed (${exit})${tail ? `: ${tail}` : ''}`, {
      exitCode: o.exitCode ?? null,
      stderr: tail,
      transient,
    });
  }
  return null;
}
