/**
 * The REAL Istio charts of each test Istio version, as a chart repository on loopback (what
 * `ISTIO_HELM_REPO` points at in the Helm scenarios): `manifests/charts/{base,
 * istio-control/istio-discovery,gateway}` of the version's `istio.io/istio` module source (fetched by
 * the cluster build), packaged at that version with the REAL helm, as Istio's release process does:
 * chart version and appVersion set to the Istio version, and the images the release's (global.hub
 * `docker.io/istio`, global.tag the version) instead of the source's development ones. Indexed with
 * `helm repo index`; packaged once and cached beside the cluster binaries.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { helmPath } from '../helm/helm-support.js';
import { clusterEnv, REPO_ROOT } from './cluster-harness.js';

/** The charts the Helm canary path uses: where each lives in the module source. */
const CHARTS: Record<string, string> = {
  base: 'base',
  istiod: 'istio-control/istio-discovery',
  gateway: 'gateway',
};

/** Where the module source of an Istio test version is (its Go pseudo-version from common.sh). */
export function istioModuleDir(version: string): string {
  const pseudo = execFileSync(
    'bash',
    ['-c', `. "${join(REPO_ROOT, 'test', 'cluster', 'common.sh')}"; istio_field "$1" 2`, 'x', version],
    { encoding: 'utf8', timeout: 10_000 },
  ).trim();
  return join(clusterEnv().cacheDir, '_go', 'mod', 'istio.io', `istio@${pseudo}`);
}

const repoDir = () => join(clusterEnv().cacheDir, 'istio-charts');

/** The development image settings of the source values, set to the release's (global.hub/global.tag). */
export function releaseValues(values: string, version: string): string {
  const out = values
    .replace(/^( {4}hub: ).*$/m, '$1docker.io/istio')
    .replace(/^( {4}tag: ).*$/m, `$1${JSON.stringify(version)}`);
  if (out === values) throw new Error('istiod values.yaml: no global hub/tag lines to set');
  return out;
}

async function helmOk(args: string[]): Promise<string> {
  const r = await execa(helmPath(), args, { reject: false, timeout: 120_000, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`helm ${args.join(' ')} (exit ${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Packages the charts of `versions` (once; cached) and indexes them; returns the repository directory.
 * Throws with what is missing when a module source is not there (run npm run cluster:build).
 */
export async function ensureIstioCharts(versions: string[]): Promise<string> {
  const dir = repoDir();
  mkdirSync(dir, { recursive: true });
  let packaged = false;
  for (const version of versions) {
    const stamp = join(dir, `.complete-${version}`);
    if (existsSync(stamp)) continue;
    const src = join(istioModuleDir(version), 'manifests', 'charts');
    if (!existsSync(src))
      throw new Error(`no Istio module source for ${version} at ${src}: run npm run cluster:build`);
    const work = join(dir, `.work-${version}`);
    rmSync(work, { recursive: true, force: true });
    for (const [name, path] of Object.entries(CHARTS)) {
      const copy = join(work, name);
      mkdirSync(copy, { recursive: true });
      execFileSync('cp', ['-R', `${join(src, path)}/.`, copy]); // module files are read-only
      execFileSync('chmod', ['-R', 'u+w', copy]);
      if (name === 'istiod') {
        const values = join(copy, 'values.yaml');
        writeFileSync(values, releaseValues(readFileSync(values, 'utf8'), version));
      }
      await helmOk(['package', copy, '--version', version, '--app-version', version, '-d', dir]);
    }
    rmSync(work, { recursive: true, force: true });
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
    packaged = true;
  }
  if (packaged || !existsSync(join(dir, 'index.yaml'))) await helmOk(['repo', 'index', dir]);
  return dir;
}

export interface ChartRepo {
  url: string;
  /** Requests answered, by path (what helm fetched). */
  served: string[];
  /** Requests refused for want of the right basic credentials (only with `auth`), by path. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Serves the repository directory (index.yaml and the .tgz files) on 127.0.0.1; with `auth`, only to
 * requests carrying those basic credentials (401 with a Basic challenge otherwise, as a private chart
 * repository such as ChartMuseum or Artifactory answers). `url` never holds the credentials.
 */
export async function serveIstioCharts(
  dir: string,
  o: { auth?: { username: string; password: string } } = {},
): Promise<ChartRepo> {
  const files = new Set(readdirSync(dir).filter((f) => f === 'index.yaml' || f.endsWith('.tgz')));
  const served: string[] = [];
  const refused: string[] = [];
  const want = o.auth
    ? `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}`
    : null;
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/+/, ''));
    if (want !== null && req.headers.authorization !== want) {
      refused.push(name);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized');
      return;
    }
    served.push(name);
    if (!files.has(name)) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = name.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(join(dir, name)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
