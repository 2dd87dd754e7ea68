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
  private readonly downloads = new Map<string, Promise<string>>();
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
    if (this.o.downloadUrl) {
      let p = this.downloads.get(version);
      if (!p) {
        this.o.logger?.info({ version }, 'istioctl not found locally: downloading');
        p = downloadIstioctl({
          baseUrl: this.o.downloadUrl,
          version,
          cacheDir: this.o.cacheDir ?? this.o.dir,
          timeoutMs: this.o.downloadTimeoutMs ?? 300_000,
          signal,
          ...(this.o.fetchImpl ? { fetchImpl: this.o.fetchImpl } : {}),
        }).finally(() => this.downloads.delete(version));
        this.downloads.set(version, p);
      }
      return p;
    }
    throw new CodedError(
      ErrorCode.IstioctlMissing,
      `istioctl ${version} is not installed: looked for ${looked.join(', ')}. Put the binary there (ISTIOCTL_DIR) or set ISTIOCTL_DOWNLOAD_URL.`,
      { version, looked },
    );
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
