/**
 * Runs istioctl with execa: argv arrays (no shell), a timeout, cancellation, bounded output, stdin
 * closed (a prompt answers "no" instead of hanging), and errors mapped to coded errors.
 *
 * istioctl runs in its own process group (`detached: true`). On cancel or timeout the whole group is
 * stopped, SIGTERM then SIGKILL after a short grace, so a wrapper script's children die too; the
 * promise settles only once no process of the group is left.
 */
import { execa } from 'execa';
import type { Logger } from '../../log.js';
import { childEnv } from '../child-env.js';
import { mapOutcome, type RunOutcome, stderrTail } from './errors.js';
import { stopGroup } from './process-group.js';

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
  const sub = execa(bin, args, {
    detached: true,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    reject: false,
    stdin: 'ignore',
    // the bot's credentials never reach istioctl (src/cluster/child-env.ts); `opts.env` adds to the rest
    extendEnv: false,
    env: { ...childEnv(process.env), ...(opts.env ?? {}) },
    stripFinalNewline: false,
  });
  let why: 'timeout' | 'cancel' | undefined;
  let stopping: Promise<boolean> | undefined;
  const stop = (reason: 'timeout' | 'cancel') => {
    if (why || sub.pid === undefined) return;
    why = reason;
    stopping = stopGroup(sub.pid, opts.killGraceMs ?? 2_000);
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = () => stop('cancel');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let r: Awaited<typeof sub>;
  try {
    r = await sub;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  // settle only once nothing of the group is left (a child that outlived the wrapper included)
  const leftover = stopping ? await stopping : false;
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const outcome: RunOutcome = {
    failed: r.failed,
    timedOut: why === 'timeout',
    isCanceled: why === 'cancel',
    isMaxBuffer: r.isMaxBuffer,
    exitCode: r.exitCode,
    code: (r as { code?: string }).code,
    stdout,
    stderr,
  };
  const durationMs = Date.now() - started;
  // argv holds names and paths only (no secrets); the environment is never logged.
  opts.logger?.debug(
    { args, exitCode: r.exitCode, durationMs, stopped: why ?? null },
    `${opts.what} finished`,
  );
  if (leftover)
    opts.logger?.error({ pgid: sub.pid }, `${opts.what}: a process of its group survived SIGKILL`);
  const error = mapOutcome(opts.what, outcome, opts.timeoutMs, opts.okExitCodes);
  if (error) {
    opts.logger?.warn({ code: error.code, stderr: stderrTail(stderr) }, error.message);
    throw error;
  }
  return { stdout, stderr, exitCode: r.exitCode ?? 0, durationMs };
};
