/**
 * Runs istioctl with execa: argv arrays (no shell), a timeout, cancellation, bounded output, stdin
 * closed (a prompt answers "no" instead of hanging), and errors mapped to coded errors.
 */
import { execa } from 'execa';
import type { Logger } from '../../log.js';
import { mapOutcome, type RunOutcome, stderrTail } from './errors.js';

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
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** A function that runs one istioctl call; injectable so engine-level tests can stub it. */
export type IstioctlRunner = (bin: string, args: string[], opts: RunOptions) => Promise<RunResult>;

export const runIstioctl: IstioctlRunner = async (bin, args, opts) => {
  const started = Date.now();
  const r = await execa(bin, args, {
    timeout: opts.timeoutMs,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    forceKillAfterDelay: 5_000,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    reject: false,
    stdin: 'ignore',
    ...(opts.env ? { env: opts.env } : {}),
    stripFinalNewline: false,
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const outcome: RunOutcome = {
    failed: r.failed,
    timedOut: r.timedOut,
    isCanceled: r.isCanceled,
    isMaxBuffer: r.isMaxBuffer,
    exitCode: r.exitCode,
    code: (r as { code?: string }).code,
    stdout,
    stderr,
  };
  const durationMs = Date.now() - started;
  // argv holds names and paths only (no secrets); the environment is never logged.
  opts.logger?.debug({ args, exitCode: r.exitCode, durationMs }, `${opts.what} finished`);
  const error = mapOutcome(opts.what, outcome, opts.timeoutMs, opts.okExitCodes);
  if (error) {
    opts.logger?.warn({ code: error.code, stderr: stderrTail(stderr) }, error.message);
    throw error;
  }
  return { stdout, stderr, exitCode: r.exitCode ?? 0, durationMs };
};
