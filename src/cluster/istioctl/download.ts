/**
 * Optional download of a missing istioctl: `<base>/<version>/istioctl-<version>-<os>-<arch>.tar.gz`
 * (the layout of Istio's GitHub releases and of the Dockerfile), verified against the SHA-256 published
 * beside it (`<archive>.sha256`), unpacked into the cache as `<cache>/<version>/istioctl`.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CodedError, ErrorCode } from '../../errors.js';

export interface DownloadOptions {
  baseUrl: string;
  version: string;
  cacheDir: string;
  os?: string;
  arch?: string;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  fetchImpl?: typeof fetch;
}

export function archiveUrl(baseUrl: string, version: string, os: string, arch: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(version)}/istioctl-${version}-${os}-${arch}.tar.gz`;
}

/** Node's platform/arch in release names: linux/darwin, amd64/arm64. */
export function releasePlatform(
  platform: string = process.platform,
  arch: string = process.arch,
): { os: string; arch: string } {
  const os = platform === 'darwin' ? 'osx' : platform;
  const a = arch === 'x64' ? 'amd64' : arch;
  return { os, arch: a };
}

/** First 64-hex token of a `.sha256` file (`<hex>  <name>` or just `<hex>`). */
export function parseSha256File(text: string): string | null {
  const m = /\b([a-fA-F0-9]{64})\b/.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

/** Reads a file's content out of a (ustar/GNU) tar by base name; null when absent. */
export function extractFromTar(tar: Buffer, baseName: string): Buffer | null {
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) return null;
    const str = (a: number, b: number) => {
      const s = header.subarray(a, b);
      const nul = s.indexOf(0);
      return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8');
    };
    const name = str(0, 100);
    const prefix = str(345, 500);
    const size = Number.parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const full = prefix ? `${prefix}/${name}` : name;
    const body = off + 512;
    if ((type === '0' || type === '\0') && full.split('/').filter(Boolean).pop() === baseName) {
      return Buffer.from(tar.subarray(body, body + size));
    }
    off = body + Math.ceil(size / 512) * 512;
  }
  return null;
}

const fail = (version: string, why: string, details: Record<string, unknown> = {}) =>
  new CodedError(ErrorCode.IstioctlMissing, `istioctl ${version} could not be downloaded: ${why}`, {
    version,
    ...details,
  });

async function get(url: string, o: DownloadOptions): Promise<Buffer> {
  const f = o.fetchImpl ?? fetch;
  const signals = [AbortSignal.timeout(o.timeoutMs ?? 120_000)];
  if (o.signal) signals.push(o.signal);
  let res: Response;
  try {
    res = await f(url, { signal: AbortSignal.any(signals), redirect: 'follow' });
  } catch (e) {
    throw fail(o.version, `GET ${url}: ${(e as Error).message}`, { url });
  }
  if (!res.ok) throw fail(o.version, `GET ${url} answered HTTP ${res.status}`, { url, status: res.status });
  return Buffer.from(await res.arrayBuffer());
}

/** Downloads, verifies and unpacks; returns the binary's path. */
export async function downloadIstioctl(o: DownloadOptions): Promise<string> {
  const plat = releasePlatform();
  const url = archiveUrl(o.baseUrl, o.version, o.os ?? plat.os, o.arch ?? plat.arch);
  const [archive, sumText] = await Promise.all([get(url, o), get(`${url}.sha256`, o)]);
  const want = parseSha256File(sumText.toString('utf8'));
  if (!want) throw fail(o.version, `${url}.sha256 holds no SHA-256`, { url });
  const got = createHash('sha256').update(archive).digest('hex');
  if (got !== want) {
    throw fail(o.version, `checksum mismatch (expected ${want}, got ${got}); the archive was not used`, {
      url,
      expected: want,
      actual: got,
    });
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (e) {
    throw fail(o.version, `archive is not gzip: ${(e as Error).message}`, { url });
  }
  const bin = extractFromTar(tar, 'istioctl');
  if (!bin) throw fail(o.version, 'the archive holds no istioctl', { url });
  const dir = join(o.cacheDir, o.version);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.istioctl.${process.pid}.${Date.now()}`);
  const dest = join(dir, 'istioctl');
  try {
    await writeFile(tmp, bin, { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw fail(o.version, `cannot write ${dest}: ${(e as Error).message}`, { dest });
  }
  return dest;
}
