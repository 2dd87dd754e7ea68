/**
 * Runs istioctl with execa: argv arrays (no shell), a timeout, cancellation, bounded output, stdin
 * closed (a prompt answers "no" instead of hanging), and errors mapped to coded errors.
 *
 * istioctl runs in its own process group (`detached: true`). On cancel or timeout the whole group is
 * stopped, SIGTERM then SIGKILL after a short grace, so a wrapper script's children die too; the
 * promise settles only once no process of the group is left.
 */
import type { Logger } from '../../log.js';
import { childEnv } from '../child-env.js';
import { mapOutcome, type RunOutcome, stderrTail } from './errors.js';
import { runInGroup } from './process-group.js';

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  maxBuffer?: number;
  /** Extra environment (merged over the process environment); never logged. */
  env?: Record<string, string>;
  /** Exit codes that are an answer rather than a failure (precheck: 1 = issues found). */
  okExitCodes?: number[];
  /** How the call is named in messages, e.g. `istioctl 1.25.3 install`. */
  what: string;
  logger?: Logger | undefined;
  /** Between SIGTERM and SIGKILL to the process group. Default 2 s. */
  killGraceMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** A function that runs one istioctl call; injectable so engine-level tests can stub it. */
export type IstioctlRunner = (bin: string, args: string[], opts: RunOptions) => Promise<RunResult>;

const cancelledBeforeStart = (what: string): RunOutcome => ({
  failed: true,
  timedOut: false,
  isCanceled: true,
  isMaxBuffer: false,
  stdout: '',
  stderr: `${what}: not started`,
});

export const runIstioctl: IstioctlRunner = async (bin, args, opts) => {
  const started = Date.now();
  if (opts.signal?.aborted) throw mapOutcome(opts.what, cancelledBeforeStart(opts.what), opts.timeoutMs);
  const r = await runInGroup(bin, args, {
    // the bot's credentials never reach istioctl (src/cluster/child-env.ts); `opts.env` adds to the rest
    env: { ...childEnv(process.env), ...(opts.env ?? {}) },
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
    ...(opts.maxBuffer !== undefined ? { maxBuffer: opts.maxBuffer } : {}),
    stripFinalNewline: false,
  });
  const { stdout, stderr, leftover } = r;
  const why = r.stopped;
  const outcome: RunOutcome = {
    failed: r.failed,
    timedOut: why === 'timeout',
    isCanceled: why === 'cancel',
    isMaxBuffer: r.isMaxBuffer,
    exitCode: r.exitCode,
    code: r.code,
    stdout,
    stderr,
  };
  const durationMs = Date.now() - started;
  // argv holds names and paths only (no secrets); the environment is never logged.
  opts.logger?.debug(
    { args, exitCode: r.exitCode, durationMs, stopped: why ?? null },
    `${opts.what} finished`,
  );
  if (leftover) opts.logger?.error({ bin }, `${opts.what}: a process of its group survived SIGKILL`);
  const error = mapOutcome(opts.what, outcome, opts.timeoutMs, opts.okExitCodes);
  if (error) {
    opts.logger?.warn({ code: error.code, stderr: stderrTail(stderr) }, error.message);
    throw error;
  }
  return { stdout, stderr, exitCode: r.exitCode ?? 0, durationMs };
};
