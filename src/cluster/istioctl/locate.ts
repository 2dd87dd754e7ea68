/**
 * Finds the istioctl of a version. Layouts under ISTIOCTL_DIR (first match wins):
 *   <dir>/<version>/istioctl          (the Dockerfile's layout)
 *   <dir>/istioctl-<version>          (a flat directory of binaries)
 *   <dir>/istioctl-<version>/istioctl (the test cluster's build cache)
 * then the download cache (<cacheDir>/<version>/istioctl), then an optional download.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { raceAbort, throwIfAborted } from '../cancel.js';
import { downloadIstioctl } from './download.js';
import { compareLoose, parseLooseVersion } from './version.js';

export interface LocatorOptions {
  dir: string;
  /** Where downloads go (default: `<dir>`); must be writable when downloadUrl is set. */
  cacheDir?: string | undefined;
  downloadUrl?: string | undefined;
  downloadTimeoutMs?: number;
  fetchImpl?: typeof fetch;
  logger?: Logger | undefined;
}

const VERSION_NAME = /^\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$/;

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class IstioctlLocator {
  /** One download per version, shared by its callers; cancelled when every caller has gone. */
  private readonly downloads = new Map<
    string,
    { p: Promise<string>; stop: AbortController; waiting: number }
  >();
  constructor(private readonly o: LocatorOptions) {}

  candidates(version: string): string[] {
    const d = this.o.dir;
    const out = [
      join(d, version, 'istioctl'),
      join(d, `istioctl-${version}`),
      join(d, `istioctl-${version}`, 'istioctl'),
    ];
    if (this.o.cacheDir && this.o.cacheDir !== d) out.push(join(this.o.cacheDir, version, 'istioctl'));
    return out;
  }

  /** Path of the istioctl of `version`; downloads it when a download URL is configured. */
  async locate(version: string, signal?: AbortSignal): Promise<string> {
    if (!VERSION_NAME.test(version)) {
      throw new CodedError(ErrorCode.IstioctlMissing, `"${version}" is not an istioctl version`, { version });
    }
    const looked = this.candidates(version);
    for (const p of looked) if (await isExecutable(p)) return p;
    if (this.o.downloadUrl) return this.download(version, signal);
    throw new CodedError(
      ErrorCode.IstioctlMissing,
      `istioctl ${version} is not installed: looked for ${looked.join(', ')}. Put the binary there (ISTIOCTL_DIR) or set ISTIOCTL_DOWNLOAD_URL.`,
      { version, looked },
    );
  }

  /** Each caller waits on the shared download with its own signal; the last one to leave cancels it. */
  private async download(version: string, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal, `istioctl ${version} download`);
    let d = this.downloads.get(version);
    if (!d) {
      this.o.logger?.info({ version }, 'istioctl not found locally: downloading');
      const stop = new AbortController();
      const p = downloadIstioctl({
        baseUrl: this.o.downloadUrl!,
        version,
        cacheDir: this.o.cacheDir ?? this.o.dir,
        timeoutMs: this.o.downloadTimeoutMs ?? 300_000,
        signal: stop.signal,
        ...(this.o.fetchImpl ? { fetchImpl: this.o.fetchImpl } : {}),
      }).finally(() => {
        if (this.downloads.get(version) === d) this.downloads.delete(version);
      });
      p.catch(() => undefined); // every waiter handles it; no unhandled rejection when all left
      d = { p, stop, waiting: 0 };
      this.downloads.set(version, d);
    }
    const shared = d;
    shared.waiting++;
    try {
      return await raceAbort(shared.p, signal, `istioctl ${version} download`);
    } finally {
      shared.waiting--;
      if (shared.waiting === 0 && signal?.aborted) {
        if (this.downloads.get(version) === shared) this.downloads.delete(version);
        shared.stop.abort(signal.reason);
      }
    }
  }

  /** Versions present locally, oldest first. */
  async available(): Promise<string[]> {
    const found = new Set<string>();
    for (const root of [this.o.dir, this.o.cacheDir].filter((x): x is string => !!x)) {
      let names: string[];
      try {
        names = await readdir(root);
      } catch {
        continue;
      }
      for (const n of names) {
        const v = n.startsWith('istioctl-') ? n.slice('istioctl-'.length) : n;
        if (!VERSION_NAME.test(v)) continue;
        for (const p of [join(root, n, 'istioctl'), join(root, n)]) {
          if (await isExecutable(p)) {
            found.add(v);
            break;
          }
        }
      }
    }
    return [...found].sort((a, b) => compareLoose(parseLooseVersion(a)!, parseLooseVersion(b)!));
  }
}
