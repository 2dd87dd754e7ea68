/**
 * A REAL Prometheus for the tests (Debian's `prometheus` package; `.ci/run` installs it when missing):
 * started on loopback with its own data directory and a 1 s scrape interval over the given targets,
 * ready when `/-/ready` answers, stopped (SIGTERM, then SIGKILL) and its directory removed at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningPrometheus {
  url: string;
  port: number;
  /** Stops the process (it can be asked for again: `stop` is idempotent). */
  stop(): Promise<void>;
  /** The process' own log, for a failing test's message. */
  log(): string;
}

const CANDIDATES = [process.env.PROMETHEUS_BIN, '/usr/bin/prometheus', '/usr/local/bin/prometheus'];

export function prometheusBinary(): string {
  const bin = CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!bin)
    throw new Error(
      'prometheus not found (PROMETHEUS_BIN, /usr/bin/prometheus): `apt-get install -y prometheus` (.ci/run does it)',
    );
  return bin;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** More targets with their labels (`__metrics_path__` included), as a `kubernetes-pods` job would. */
export interface ScrapeGroup {
  targets: string[];
  labels: Record<string, string>;
}

export async function startPrometheus(
  targets: string[],
  scrapeSeconds = 1,
  pods: ScrapeGroup[] = [],
): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const dir = await mkdtemp(join(tmpdir(), 'iub-prometheus-'));
  const config = [
    'global:',
    `  scrape_interval: ${scrapeSeconds}s`,
    `  scrape_timeout: ${scrapeSeconds}s`,
    `  evaluation_interval: ${scrapeSeconds}s`,
    'scrape_configs:',
    '  - job_name: mesh',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    ...(pods.length
      ? [
          '  - job_name: kubernetes-pods',
          '    static_configs:',
          ...pods.flatMap((g) => [
            `      - targets: [${g.targets.map((t) => `'${t}'`).join(', ')}]`,
            '        labels:',
            ...Object.entries(g.labels).map(([k, v]) => `          ${k}: '${v}'`),
          ]),
        ]
      : []),
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  let output = '';
  let child: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    const c = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    if (await ready(port, c)) child = c;
    else c.kill('SIGKILL');
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`prometheus did not become ready:\n${output.slice(-2000)}`);
  }
  const proc = child;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log: () => output,
    stop() {
      stopped ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
          proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Polls `/-/ready` until 200 (or the process exits, or 20 s pass). */
async function ready(port: number, c: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null || c.signalCode !== null) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
