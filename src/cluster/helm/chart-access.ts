/**
 * Gives helm a private chart source's credentials (`ISTIO_HELM_REPO=https://user:pass@…`) in the ways
 * helm supports that keep them off its command line — helm's argv is readable by every local user
 * (`ps`, /proc/<pid>/cmdline), and it ends up in error messages and logs:
 * - a chart repository: the bot's own repositories.yaml (HELM_REPOSITORY_CONFIG in helm's isolated
 *   config home, 0600 in a directory only the bot can write) with one entry holding the URL and the
 *   credentials, and `helm repo update <name>` before each chart command, so the index helm reads knows
 *   the target version; charts are then `<name>/<chart>` (helm's downloader takes the credentials of
 *   that entry for the index and for charts on the same host).
 * - an OCI registry: `helm registry login <host> --username U --password-stdin` (the password on
 *   stdin) once, into the isolated registry config (HELM_REGISTRY_CONFIG).
 * A source without credentials needs nothing (`--repo URL` / `oci://…` on argv, as before).
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CodedError, ErrorCode } from '../../errors.js';
import {
  type ChartSource,
  credentialTexts,
  describeChartSource,
  redact,
  registryLoginArgs,
  repositoriesFile,
  repoUpdateArgs,
  repoUpdateFailed,
} from './chart-source.js';
import { type HelmRunResult, repositoryConfig } from './run.js';

/** One helm call of the Helm class (its runner, timeout, target and scrubbing). */
export type HelmCall = (
  what: string,
  args: string[],
  o: { input?: string },
  signal?: AbortSignal,
) => Promise<HelmRunResult>;

export class ChartAccess {
  private login: Promise<void> | undefined;
  constructor(
    private readonly src: ChartSource,
    private readonly home: string,
    private readonly call: HelmCall,
  ) {}

  /** The credential texts to scrub from whatever helm prints. */
  get secrets(): string[] {
    return credentialTexts(this.src);
  }

  /** Makes the chart source readable by the next chart command (`helm install/upgrade/show`). */
  async ready(signal?: AbortSignal): Promise<void> {
    const src = this.src;
    if (!src.auth) return;
    if (src.kind === 'oci') {
      this.login ??= this.registryLogin(src, signal);
      this.login.catch(() => {
        this.login = undefined;
      });
      return this.login;
    }
    await this.writeRepositories(src);
    const r = await this.call('helm repo update', repoUpdateArgs(), {}, signal);
    const failed = repoUpdateFailed(r.stdout);
    if (failed)
      throw new CodedError(
        ErrorCode.HelmFailed,
        `helm repo update failed: ${redact(failed, this.secrets)} (check ISTIO_HELM_REPO and its credentials)`,
        { repository: describeChartSource(src), transient: false },
      );
  }

  private async registryLogin(src: ChartSource & { kind: 'oci' }, signal?: AbortSignal): Promise<void> {
    await this.privateDir(dirname(repositoryConfig(this.home)));
    await this.call(
      `helm registry login for ${describeChartSource(src)}`,
      registryLoginArgs(src),
      { input: src.auth?.password ?? '' },
      signal,
    );
  }

  /** repositories.yaml, written whole each time (a file replaced by someone else is rewritten): a
   * fresh 0600 file (O_EXCL, so no planted link is followed), renamed over the old one. */
  private async writeRepositories(src: ChartSource & { kind: 'repo' }): Promise<void> {
    const file = repositoryConfig(this.home);
    await this.privateDir(dirname(file));
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, repositoriesFile(src), { mode: 0o600, flag: 'wx' });
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new CodedError(
        ErrorCode.HelmFailed,
        `cannot write helm's repositories file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        { file },
      );
    }
  }

  /** helm's config directory: created 0700, and refused when it is someone else's or writable by
   * others (the default home is under the shared tmpdir, where anyone may have made it first). */
  private async privateDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid))
      throw new CodedError(
        ErrorCode.HelmFailed,
        `helm's config directory ${dir} is not a directory of this user: refusing to write the chart repository's credentials there`,
        { dir },
      );
    if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
  }
}
