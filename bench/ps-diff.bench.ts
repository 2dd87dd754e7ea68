// `npm run bench ps-diff`: times `istio-upgrade-bot ps diff` on two 50,000-proxy tables as a whole
// process (built JS, no tsx) against a process that only reads and splits the same bytes, in the same
// run, pairs interleaved. Prints both medians (wall and CPU), the ratios and the peak RSS against the
// targets of issue 15 (ratio ≤ 1.5 on wall time, peak RSS ≤ 120 MB), each pair's ratio, and where the
// time of one `ps diff` goes: its phases timed in one process with the calls the CLI makes (node's own
// start, loading the modules, reading each table, the diff, the JSON text, writing it), beside the
// same for the raw read+split. On a busy machine wall times stretch: the CPU ratio is printed beside it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.cache', 'bench-ps-diff');
const PROXIES = 50_000;
const RUNS = 7;
const TARGET_RATIO = 1.5;
const TARGET_RSS_MB = 120;

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function safe(next: () => number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += SAFE[Math.floor(next() * SAFE.length)];
  return out;
}

/** Lays rows out like Go's text/tabwriter (padding 5), as istioctl does. */
function tabwrite(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)) + 5);
  return rows
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join(''))
    .join('\n')
    .concat('\n');
}

/** k8s.io/apimachinery duration.HumanDuration, as istioctl prints it after a state (1.23+). */
function human(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 || hours >= 8 ? `${hours}h` : `${hours}h${minutes % 60}m`;
}

const HEADER = ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'];

/**
 * Two snapshots of one mesh: 500 namespaces × 20 workloads × 5 pods, before and after a big wave
 * (60% of namespaces moved to the new revision, 10% half-way, the rest untouched). Ages follow how
 * istiod pushes: CDS/LDS/RDS go out mesh-wide on config changes, EDS more often, and a pod that
 * connected after the last push shows its own connection age.
 */
function generate(): { before: string; after: string } {
  const next = rng(42);
  const oldIstiod = ['istiod-1-22-1-6d8f9b7c5d-q2w4x', 'istiod-1-22-1-6d8f9b7c5d-z7k9p'];
  const newIstiod = ['istiod-1-24-2-7f6fc6cfd6-s8zfg', 'istiod-1-24-2-7f6fc6cfd6-m2n4v'];
  const fullPushes = [2460, 7380, 30];
  const edsPushes = [12, 47, 190];
  const before: string[][] = [HEADER];
  const after: string[][] = [HEADER];
  const row = (id: string, istiod: string, version: string, connected: number, stale: boolean) => {
    const full = human(Math.min(connected, fullPushes[Math.floor(next() * 3)]!));
    const eds = human(Math.min(connected, edsPushes[Math.floor(next() * 3)]!));
    const cds = `${stale ? 'STALE' : 'SYNCED'} (${full})`;
    return [
      id,
      'Kubernetes',
      cds,
      `SYNCED (${full})`,
      `SYNCED (${eds})`,
      `SYNCED (${full})`,
      'NOT SENT',
      istiod,
      version,
    ];
  };
  const oldAge = () => 3600 + Math.floor(next() * 30 * 86400);
  const newAge = () => 10 + Math.floor(next() * 900);
  let n = 0;
  for (let ns = 0; n < PROXIES; ns++) {
    const namespace = `team-${ns}-apps`;
    const wave = ns % 10; // 0–5 moved, 6 partial, 7–9 untouched
    for (let w = 0; w < 20 && n < PROXIES; w++) {
      const workload = `service-${w}-api`;
      const oldHash = safe(next, 10);
      const newHash = safe(next, 10);
      for (let p = 0; p < 5 && n < PROXIES; p++, n++) {
        const pick = oldIstiod[n % 2]!;
        const oldPod = `${workload}-${oldHash}-${safe(next, 5)}.${namespace}`;
        before.push(row(oldPod, pick, '1.22.1', oldAge(), false));
        if (wave <= 5 || (wave === 6 && p < 2)) {
          const pod = `${workload}-${newHash}-${safe(next, 5)}.${namespace}`;
          after.push(row(pod, newIstiod[n % 2]!, '1.24.2', newAge(), n % 997 === 0));
        } else {
          after.push(row(oldPod, pick, '1.22.1', oldAge(), false));
        }
      }
    }
  }
  return { before: tabwrite(sortRows(before)), after: tabwrite(sortRows(after)) };
}

/** istioctl sorts rows by proxy id. */
function sortRows(rows: string[][]): string[][] {
  const [header, ...body] = rows;
  body.sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0));
  return [header!, ...body];
}

function buildCli(): string {
  // Own build of the CLI's import graph (not the shared dist/), emitted even if other files have type errors.
  const out = join(work, 'build');
  const tsconfig = join(work, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: '../../tsconfig.build.json',
      compilerOptions: { outDir: './build', rootDir: '../..', sourceMap: false, noEmit: false },
      files: ['../../src/cli/main.ts'],
      include: [],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { encoding: 'utf8' });
  const main = join(out, 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) console.warn(`tsc reported type errors (emitted anyway):\n${r.stdout}`);
  return main;
}

interface Run {
  ms: number;
  /** user + system CPU of the child, ms (NaN without /usr/bin/time). */
  cpuMs: number;
  rssKb: number;
}

const TIME = '/usr/bin/time';

function runOnce(args: string[]): Run {
  const useTime = existsSync(TIME);
  const cmd = useTime ? TIME : process.execPath;
  const argv = useTime ? ['-f', '%U %S %M', process.execPath, ...args] : args;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const last = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  if (!useTime) return { ms, cpuMs: Number.NaN, rssKb: last[0] ?? Number.NaN };
  return { ms, cpuMs: ((last[0] ?? 0) + (last[1] ?? 0)) * 1000, rssKb: last[2] ?? Number.NaN };
}

/**
 * One `ps diff` in phases, in a fresh process: the modules the CLI loads for it, then what
 * summarizeTableChunks, diffSummaries and the CLI's print do, each timed (ms since the process started, so the first figure is node's own start).
 */
const PHASES = `
const t = [performance.now()];
const fs = await import('node:fs');
const { summarizeTableChunks } = await import(process.env.PS_DOMAIN + '/bytes.js');
const { diffSummaries } = await import(process.env.PS_DOMAIN + '/diff.js');
await import(process.env.PS_DOMAIN + '/warmup.js');
t.push(performance.now());
const buf = new Uint8Array(1 << 18);
const side = (path) => {
  const fd = fs.openSync(path, 'r');
  try { return summarizeTableChunks((b, at, n) => fs.readSync(fd, b, at, n, null), buf).summary; }
  finally { fs.closeSync(fd); }
};
const a = side(process.argv[1]); t.push(performance.now());
const b = side(process.argv[2]); t.push(performance.now());
const d = diffSummaries(a, b); t.push(performance.now());
const json = JSON.stringify(d, null, 2); t.push(performance.now());
const compact = JSON.stringify(d); t.push(performance.now());
fs.writeFileSync('/dev/null', json + '\\n'); t.push(performance.now());
process.stderr.write(JSON.stringify({ t, pretty: json.length, compact: compact.length }));
`;

const RAW_PHASES = `
const t = [performance.now()];
const fs = require('node:fs');
let n = 0;
for (const f of process.argv.slice(1)) {
  const text = fs.readFileSync(f, 'utf8'); t.push(performance.now());
  n += text.split('\\n').length; t.push(performance.now());
}
process.stderr.write(JSON.stringify({ t, n }));
`;

function phases(args: string[], env: NodeJS.ProcessEnv = {}): number[] {
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`phases exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const { t } = JSON.parse(r.stderr) as { t: number[] };
  return t.map((x, i) => (i === 0 ? x : x - t[i - 1]!));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Without /usr/bin/time, the child reports its own peak RSS (kB) on stderr at exit.
const RSS_HOOK = "process.on('exit',()=>process.stderr.write('\\n'+process.resourceUsage().maxRSS+'\\n'))";

export default async function psDiffBench(): Promise<void> {
  mkdirSync(work, { recursive: true });
  const { before, after } = generate();
  const a = join(work, 'before.txt');
  const b = join(work, 'after.txt');
  writeFileSync(a, before);
  writeFileSync(b, after);
  const mb = (before.length + after.length) / 1e6;
  console.log(`inputs: 2 × ${PROXIES} proxies, ${mb.toFixed(1)} MB total (${work})`);
  const main = buildCli();
  const hook = existsSync(TIME) ? [] : ['--import', `data:text/javascript,${encodeURIComponent(RSS_HOOK)}`];
  const raw = `const fs=require('node:fs');let n=0;for(const f of process.argv.slice(1)){n+=fs.readFileSync(f,'utf8').split('\\n').length}if(n<2)process.exit(3)`;
  const diffArgs = [...hook, main, 'ps', 'diff', a, b];
  const rawArgs = [...hook, '-e', raw, a, b];
  runOnce(diffArgs); // warm the file cache
  const diffRuns: Run[] = [];
  const rawRuns: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    rawRuns.push(runOnce(rawArgs));
    diffRuns.push(runOnce(diffArgs));
  }
  const domain = pathToFileURL(join(dirname(main), '..', 'domain', 'proxystatus')).href;
  const diffPhases: number[][] = [];
  const rawPhases: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    rawPhases.push(phases(['-e', RAW_PHASES, a, b]));
    diffPhases.push(phases(['--input-type=module', '-e', PHASES, a, b], { PS_DOMAIN: domain }));
  }
  const col = (rows: number[][], i: number) => median(rows.map((r) => r[i]!)).toFixed(0);
  const diffMs = median(diffRuns.map((r) => r.ms));
  const rawMs = median(rawRuns.map((r) => r.ms));
  const ratio = diffMs / rawMs;
  const diffCpu = median(diffRuns.map((r) => r.cpuMs));
  const rawCpu = median(rawRuns.map((r) => r.cpuMs));
  const rssMb = Math.max(...diffRuns.map((r) => r.rssKb)) / 1024;
  const rawRssMb = Math.max(...rawRuns.map((r) => r.rssKb)) / 1024;
  const pairs = diffRuns.map((r, i) => (r.ms / rawRuns[i]!.ms).toFixed(2)).join(' ');
  const load = loadavg()[0]!.toFixed(1);
  const lines = [
    `machine        : ${cpus().length} CPUs, load average ${load} (wall times stretch under load)`,
    `raw read+split : median ${rawMs.toFixed(0)} ms wall, ${rawCpu.toFixed(0)} ms CPU, of ${RUNS} runs (peak RSS ${rawRssMb.toFixed(0)} MB)`,
    `ps diff        : median ${diffMs.toFixed(0)} ms wall, ${diffCpu.toFixed(0)} ms CPU, of ${RUNS} runs (peak RSS ${rssMb.toFixed(0)} MB)`,
    `ratio          : ${ratio.toFixed(2)} wall, ${(diffCpu / rawCpu).toFixed(2)} CPU (target ≤ ${TARGET_RATIO}, on wall time); per pair: ${pairs}`,
    `peak RSS       : ${rssMb.toFixed(0)} MB (target ≤ ${TARGET_RSS_MB} MB)`,
    `phases, ms     : (medians of ${RUNS} processes, wall)`,
    `  raw          : node start ${col(rawPhases, 0)}, read+decode ${col(rawPhases, 1)} + ${col(rawPhases, 3)}, split ${col(rawPhases, 2)} + ${col(rawPhases, 4)}`,
    `  ps diff      : node start ${col(diffPhases, 0)}, modules ${col(diffPhases, 1)}, read+fold before ${col(diffPhases, 2)}, after ${col(diffPhases, 3)}, diff ${col(diffPhases, 4)}, JSON text ${col(diffPhases, 5)} (compact would be ${col(diffPhases, 6)}), write ${col(diffPhases, 7)}`,
  ];
  console.log(lines.join('\n'));
  const ok = ratio <= TARGET_RATIO && rssMb <= TARGET_RSS_MB;
  console.log(ok ? 'PASS' : 'FAIL');
  if (!ok) process.exitCode = 1;
}
