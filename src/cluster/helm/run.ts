/**
 * Runs the real helm binary like istioctl (src/cluster/istioctl/run.ts): argv arrays (no shell), a
 * timeout, the step's AbortSignal, stdin closed, its own process group (SIGTERM, then SIGKILL after
 * a short grace; settles once no process of the group is left), bounded output.
 *
 * Environment isolation: no `HELM_*` variable of the bot's environment reaches helm (a stray
 * HELM_NAMESPACE, HELM_KUBECONTEXT or HELM_DRIVER would point it elsewhere); helm's config, cache
 * and data homes are the bot's own directory (no repositories or plugins of the host), and the
 * storage driver is `secret` (Helm's default, what the Istio docs use). The environment and the
 * values files are never logged; stderr is scrubbed of secrets, and of the chart source's credentials
 * (`secrets`), which never reach argv (src/cluster/helm/chart-access.ts).
 */
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { childEnv } from '../child-env.js';
import { stderrTail } from '../istioctl/errors.js';
import { runInGroup } from '../istioctl/process-group.js';
import { classifyText } from '../kube/faults.js';
import { redact } from './chart-source.js';

export interface HelmRunOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** How the call is named in messages, e.g. `helm install istiod-1-26-3`. */
  what: string;
  /** helm's own directories (config, cache, data) live under this one. */
  home: string;
  logger?: Logger | undefined;
  killGraceMs?: number;
  /** Written to helm's stdin (`--password-stdin`); never logged. */
  input?: string | undefined;
  /** Texts scrubbed from every message and log line of this call (the chart source's credentials). */
  secrets?: readonly string[] | undefined;
}

export interface HelmRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs one helm call; injectable so tests can check the argv. Rejects with a CodedError. */
export type HelmRunner = (bin: string, args: string[], opts: HelmRunOptions) => Promise<HelmRunResult>;

/** The environment helm gets: the process environment without any HELM_* (and without the bot's own
 * credentials), plus our own homes. */
export function helmEnv(base: NodeJS.ProcessEnv, home: string): Record<string, string> {
  const env = childEnv(base, (k) => /^HELM_/i.test(k));
  env.HELM_CONFIG_HOME = `${home}/config`;
  env.HELM_CACHE_HOME = `${home}/cache`;
  env.HELM_DATA_HOME = `${home}/data`;
  env.HELM_DRIVER = 'secret';
  // named, so the files the bot writes there (chart-access.ts) are the ones helm reads
  env.HELM_REPOSITORY_CONFIG = repositoryConfig(home);
  env.HELM_REPOSITORY_CACHE = `${home}/cache/repository`;
  env.HELM_REGISTRY_CONFIG = registryConfig(home);
  return env;
}

/** The bot's own repositories.yaml (a repository with credentials) and OCI registry logins. */
export const repositoryConfig = (home: string): string => `${home}/config/repositories.yaml`;
export const registryConfig = (home: string): string => `${home}/config/registry/config.json`;

export const runHelm: HelmRunner = async (bin, args, opts) => {
  if (opts.signal?.aborted)
    throw new CodedError(ErrorCode.HelmFailed, `${opts.what} was cancelled`, { cancelled: true });
  const r = await runInGroup(bin, args, {
    env: helmEnv(process.env, opts.home),
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  const secrets = opts.secrets ?? [];
  const stdout = r.stdout;
  // what helm says goes into messages and logs: the chart source's credentials scrubbed out
  const stderr = redact(r.stderr, secrets);
  const why = r.stopped;
  if (r.leftover) opts.logger?.error({ bin }, `${opts.what}: a process of its group survived SIGKILL`);
  // argv holds names, chart references and file paths only (values go in files); never the env.
  opts.logger?.debug({ args, exitCode: r.exitCode, stopped: why ?? null }, `${opts.what} finished`);
  const code = r.code;
  if (code === 'ENOENT' || code === 'EACCES')
    throw new CodedError(
      ErrorCode.HelmFailed,
      `${opts.what}: the helm binary cannot be run (${code}); check HELM_PATH`,
      { spawn: code },
    );
  if (why === 'timeout')
    throw new CodedError(
      ErrorCode.HelmFailed,
      `${opts.what} did not finish within ${Math.round(opts.timeoutMs / 1000)}s (ISTIOCTL_TIMEOUT) and was stopped`,
      { timeoutMs: opts.timeoutMs, stderr: stderrTail(stderr) },
    );
  if (why === 'cancel')
    throw new CodedError(ErrorCode.HelmFailed, `${opts.what} was cancelled`, { cancelled: true });
  if (r.failed || (r.exitCode ?? 0) !== 0) {
    const tail = stderrTail(stderr) || stderrTail(redact(stdout, secrets));
    const exit = r.exitCode === undefined ? 'killed' : `exit ${r.exitCode}`;
    const err = new CodedError(
      ErrorCode.HelmFailed,
      `${opts.what} failed (${exit})${tail ? `: ${tail}` : ''}`,
      {
        exitCode: r.exitCode ?? null,
        stderr: tail,
        transient: classifyText(tail) !== null,
      },
    );
    opts.logger?.warn({ code: err.code, stderr: tail }, err.message);
    throw err;
  }
  return { stdout, stderr, exitCode: r.exitCode ?? 0 };
};
