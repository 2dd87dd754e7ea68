/**
 * The REAL ambient node agents' charts of each test Istio version, added to the loopback chart
 * repository of ./istio-charts.ts: `manifests/charts/ztunnel` (chart `ztunnel`) and
 * `manifests/charts/istio-cni` (chart `cni`) of the version's `istio.io/istio` module source, packaged
 * at that version with the REAL helm, with the release's images (hub `docker.io/istio`, tag the
 * version) instead of the source's development ones — as Istio's release process does. Cached (own
 * stamp per version), then the repository is indexed again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { helmPath } from '../helm/helm-support.js';
import { ensureIstioCharts, istioModuleDir } from './istio-charts.js';

const CHARTS: Record<string, string> = { ztunnel: 'ztunnel', cni: 'istio-cni' };

/** The agents' development image values (the first `hub:`/`tag:` two spaces in: their own, which win
 * over `global`), set to the release's. */
export function agentReleaseValues(values: string, version: string): string {
  const out = values
    .replace(/^( {2}hub: ).*$/m, '$1docker.io/istio')
    .replace(/^( {2}tag: ).*$/m, `$1${JSON.stringify(version)}`);
  if (out === values) throw new Error('agent values.yaml: no hub/tag lines to set');
  return out;
}

async function helmOk(args: string[]): Promise<void> {
  const r = await execa(helmPath(), args, { reject: false, timeout: 120_000, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`helm ${args.join(' ')} (exit ${r.exitCode}): ${r.stderr}`);
}

/** base, istiod, gateway (./istio-charts.ts) and ztunnel, cni of `versions`; returns the repository directory. */
export async function ensureAmbientCharts(versions: string[]): Promise<string> {
  const dir = await ensureIstioCharts(versions);
  let packaged = false;
  for (const version of versions) {
    const stamp = join(dir, `.complete-ambient-${version}`);
    if (existsSync(stamp)) continue;
    const src = join(istioModuleDir(version), 'manifests', 'charts');
    const work = join(dir, `.work-ambient-${version}`);
    rmSync(work, { recursive: true, force: true });
    for (const [name, path] of Object.entries(CHARTS)) {
      const copy = join(work, name);
      mkdirSync(copy, { recursive: true });
      execFileSync('cp', ['-R', `${join(src, path)}/.`, copy]);
      execFileSync('chmod', ['-R', 'u+w', copy]);
      const values = join(copy, 'values.yaml');
      writeFileSync(values, agentReleaseValues(readFileSync(values, 'utf8'), version));
      await helmOk(['package', copy, '--version', version, '--app-version', version, '-d', dir]);
    }
    rmSync(work, { recursive: true, force: true });
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
    packaged = true;
  }
  if (packaged) await helmOk(['repo', 'index', dir]);
  return dir;
}
