/** The istioctl operations the bot uses, with the binary of the version each call needs. */
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { sleep } from '../cancel.js';
import { backoffMs, DEFAULT_RETRY } from '../kube/faults.js';
import {
  installArgs,
  type PrecheckMessage,
  parsePrecheck,
  parseTagList,
  precheckArgs,
  proxyStatusCalls,
  type TagListEntry,
  type Target,
  tagListArgs,
  tagRemoveArgs,
  tagSetArgs,
  targetArgs,
  uninstallArgs,
  versionArgs,
} from './commands.js';
import type { IstioctlLocator } from './locate.js';
import { type IstioctlRunner, type RunResult, runIstioctl } from './run.js';

export interface IstioctlOptions {
  locator: IstioctlLocator;
  target: Target;
  timeoutMs: number;
  runner?: IstioctlRunner;
  logger?: Logger | undefined;
  /** Environment for every call (e.g. KUBECONFIG); merged over the process environment, never logged. */
  env?: Record<string, string>;
}

export class Istioctl {
  private readonly runner: IstioctlRunner;
  constructor(private readonly o: IstioctlOptions) {
    this.runner = o.runner ?? runIstioctl;
  }

  /**
   * Runs one istioctl call. A read-only call (`readOnly`) whose stderr clearly shows a transient API
   * error (faults.ts: etcd leader change, 429, reset, …) is run again, up to twice, after a short
   * backoff; a call that changes the cluster is not (the engine's step retry decides that).
   */
  async run(
    version: string,
    args: string[],
    opts: {
      okExitCodes?: number[];
      signal?: AbortSignal | undefined;
      timeoutMs?: number;
      readOnly?: boolean;
    } = {},
  ): Promise<RunResult> {
    const bin = await this.o.locator.locate(version, opts.signal);
    const what = `istioctl ${version} ${args
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ')}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runner(bin, [...args, ...targetArgs(this.o.target)], {
          timeoutMs: opts.timeoutMs ?? this.o.timeoutMs,
          signal: opts.signal,
          what,
          logger: this.o.logger,
          ...(opts.okExitCodes ? { okExitCodes: opts.okExitCodes } : {}),
          ...(this.o.env ? { env: this.o.env } : {}),
        });
      } catch (e) {
        const transient = e instanceof CodedError && e.details.transient === true;
        if (!opts.readOnly || !transient || attempt >= 3 || opts.signal?.aborted) throw e;
        this.o.logger?.warn({ what, attempt }, 'istioctl hit a transient API error; running it again');
        await sleep(backoffMs(attempt, DEFAULT_RETRY) + 500, opts.signal);
      }
    }
  }

  /** The client version the binary reports (`1.25.3`, `1.31-dev`). */
  async clientVersion(version: string, signal?: AbortSignal): Promise<string> {
    const bin = await this.o.locator.locate(version, signal);
    const r = await this.runner(bin, versionArgs(), {
      timeoutMs: Math.min(this.o.timeoutMs, 30_000),
      signal,
      what: `istioctl ${version} version`,
      logger: this.o.logger,
    });
    return parseClientVersion(r.stdout);
  }

  /** Findings of `x precheck -o json`; exit 1 means "issues found", which is an answer, not a failure. */
  async precheck(version: string, signal?: AbortSignal): Promise<PrecheckMessage[]> {
    const r = await this.run(version, precheckArgs(version), { okExitCodes: [1], signal, readOnly: true });
    const found = parsePrecheck(r.stdout);
    if (found === null || (r.exitCode === 1 && found.length === 0)) {
      throw new CodedError(
        ErrorCode.IstioctlFailed,
        `istioctl ${version} x precheck exited ${r.exitCode} without findings in JSON: ${r.stderr.slice(-500)}`,
        { exitCode: r.exitCode },
      );
    }
    return found;
  }

  async install(version: string, revision: string, overlay?: string, signal?: AbortSignal): Promise<void> {
    await this.run(version, installArgs(revision, overlay), { signal });
  }

  /** Idempotent: a revision that is already gone counts as uninstalled. */
  async uninstall(version: string, revision: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.run(version, uninstallArgs(version, revision), { signal });
    } catch (e) {
      if (e instanceof CodedError && /could not find target revision/i.test(e.message)) return;
      throw e;
    }
  }

  async tagSet(version: string, tag: string, revision: string, signal?: AbortSignal): Promise<void> {
    await this.run(version, tagSetArgs(tag, revision), { signal });
  }

  /** Idempotent: a tag that does not exist counts as removed. */
  async tagRemove(version: string, tag: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.run(version, tagRemoveArgs(tag), { signal });
    } catch (e) {
      if (e instanceof CodedError && /cannot find MutatingWebhookConfiguration for tag/i.test(e.message))
        return;
      throw e;
    }
  }

  async tagList(version: string, signal?: AbortSignal): Promise<TagListEntry[]> {
    const r = await this.run(version, tagListArgs(), { signal, readOnly: true });
    const tags = parseTagList(r.stdout);
    if (tags === null) {
      throw new CodedError(ErrorCode.IstioctlFailed, `istioctl ${version} tag list printed no JSON`, {
        stdout: r.stdout.slice(0, 300),
      });
    }
    return tags;
  }

  /** Raw proxy-status outputs covering `revisions` (one per call the version needs). */
  async proxyStatus(version: string, revisions: string[], signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for (const args of proxyStatusCalls(version, revisions)) {
      out.push((await this.run(version, args, { signal, readOnly: true })).stdout);
    }
    return out;
  }
}

/** `istioctl version --remote=false`: `client version: 1.25.3` (or just `1.25.3` in some builds). */
export function parseClientVersion(stdout: string): string {
  const m = /client version:\s*(\S+)/i.exec(stdout);
  if (m) return m[1]!;
  return stdout.trim().split('\n').pop()?.trim() ?? '';
}
