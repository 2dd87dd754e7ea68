/** The istioctl operations the bot uses, with the binary of the version each call needs. */
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
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

  async run(
    version: string,
    args: string[],
    opts: { okExitCodes?: number[]; signal?: AbortSignal | undefined; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    const bin = await this.o.locator.locate(version, opts.signal);
    const what = `istioctl ${version} ${args
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ')}`;
    return this.runner(bin, [...args, ...targetArgs(this.o.target)], {
      timeoutMs: opts.timeoutMs ?? this.o.timeoutMs,
      signal: opts.signal,
      what,
      logger: this.o.logger,
      ...(opts.okExitCodes ? { okExitCodes: opts.okExitCodes } : {}),
      ...(this.o.env ? { env: this.o.env } : {}),
    });
  }

  /** The client version the binary reports (`1.25.3`, `1.31-dev`). */
  async clientVersion(version: string): Promise<string> {
    const bin = await this.o.locator.locate(version);
    const r = await this.runner(bin, versionArgs(), {
      timeoutMs: Math.min(this.o.timeoutMs, 30_000),
      what: `istioctl ${version} version`,
      logger: this.o.logger,
    });
    return parseClientVersion(r.stdout);
  }

  /** Findings of `x precheck -o json`; exit 1 means "issues found", which is an answer, not a failure. */
  async precheck(version: string, signal?: AbortSignal): Promise<PrecheckMessage[]> {
    const r = await this.run(version, precheckArgs(version), { okExitCodes: [1], signal });
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

  async tagSet(version: string, tag: string, revision: string): Promise<void> {
    await this.run(version, tagSetArgs(tag, revision));
  }

  /** Idempotent: a tag that does not exist counts as removed. */
  async tagRemove(version: string, tag: string): Promise<void> {
    try {
      await this.run(version, tagRemoveArgs(tag));
    } catch (e) {
      if (e instanceof CodedError && /cannot find MutatingWebhookConfiguration for tag/i.test(e.message))
        return;
      throw e;
    }
  }

  async tagList(version: string): Promise<TagListEntry[]> {
    const r = await this.run(version, tagListArgs());
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
      out.push((await this.run(version, args, { signal })).stdout);
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
