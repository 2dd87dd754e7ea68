// Rollback or abort clicked → the running `istioctl install` process group is gone (issue 11: goal
// p99 ≤ 5 s), over 20 trials alternating abort and rollback. The install is the real istioctl runner
// (execa, own process group) running test/support/istioctl-slow.sh, whose install sleeps in a child
// process; everything else is the stand-in cluster. Real Redis, default worker timings (1 s watch).
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Istioctl } from '../src/cluster/istioctl/istioctl.js';
import { IstioctlLocator } from '../src/cluster/istioctl/locate.js';
import { groupAlive } from '../src/cluster/istioctl/process-group.js';
import { createEngine } from '../src/engine/index.js';
import type { ClusterRegistry } from '../src/engine/ports.js';
import { ClusterStandin } from '../test/support/cluster-standin.js';
import {
  ALICE,
  BOB,
  meshState,
  openPolicy,
  REDIS,
  RecordingNotifier,
  silentLogger,
  uniquePrefix,
  waitUntil,
} from '../test/support/engine-harness.js';

const TRIALS = Number(process.env.CANCEL_TRIALS ?? 20);
const here = dirname(fileURLToPath(import.meta.url));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export default async function (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'iub-cancel-'));
  symlinkSync(join(here, '../test/support/istioctl-slow.sh'), join(dir, 'istioctl-1.24.2'));
  const pidfile = join(dir, 'pid');
  process.env.ISTIOCTL_REAL = '/bin/true';
  process.env.ISTIOCTL_SLOW_SECONDS = '600';
  process.env.ISTIOCTL_SLOW_PIDFILE = pidfile;
  const locator = new IstioctlLocator({ dir });
  const istioctl = new Istioctl({ locator, target: { istioNamespace: 'istio-system' }, timeoutMs: 900_000 });
  const times: Record<'abort' | 'rollback', number[]> = { abort: [], rollback: [] };
  for (let i = 0; i < TRIALS; i++) {
    const prefix = uniquePrefix('cancel');
    const standin = new ClusterStandin('prod', `${prefix}:standin:prod`, REDIS, 0);
    await standin.seed(meshState(2));
    const ports = standin.ports();
    const registry: ClusterRegistry = {
      names: () => ['prod'],
      defaultName: () => 'prod',
      get: () => ({
        ...ports,
        installer: {
          ...ports.installer,
          install: (version, revision, signal) => istioctl.install(version, revision, undefined, signal),
        },
      }),
    };
    const engine = createEngine({
      redis: REDIS,
      prefix,
      clusters: registry,
      notifier: new RecordingNotifier(),
      logger: silentLogger(),
      policy: openPolicy(['prod']),
    });
    const worker = await engine.startWorker();
    writeFileSync(pidfile, '');
    const req = await engine.service.request({
      command: { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false },
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const pgid = await waitUntil(async () => Number(readFileSync(pidfile, 'utf8').trim()) || null, 30_000);
    await waitUntil(async () => groupAlive(pgid));
    const kind = i % 2 === 0 ? 'abort' : 'rollback';
    // People click at any moment of the worker's 1 s watch interval, not right after the step began.
    await new Promise((r) => setTimeout(r, Math.random() * 1_000));
    const t0 = performance.now();
    const res =
      kind === 'abort'
        ? await engine.service.abort(req.value.id, BOB)
        : await engine.service.rollback({
            id: req.value.id,
            actor: BOB,
            reason: 'bench',
            uninstallCanary: false,
          });
    if (!res.ok) throw new Error(res.error.message);
    await waitUntil(async () => !(await groupAlive(pgid)), 30_000, 5);
    times[kind].push(performance.now() - t0);
    await waitUntil(async () => {
      const r = await engine.service.get(req.value.id);
      return r && ['aborted', 'rolled_back'].includes(r.state);
    }, 30_000);
    await worker.close();
    await engine.close();
    standin.redis.disconnect();
  }
  const all = [...times.abort, ...times.rollback].sort((a, b) => a - b);
  const f = (n: number) => `${(n / 1000).toFixed(2)} s`;
  for (const k of ['abort', 'rollback'] as const) {
    const s = [...times[k]].sort((a, b) => a - b);
    console.log(
      `${k} clicked → istioctl process group gone: p50 ${f(pct(s, 50))}  p99 ${f(pct(s, 99))}  (${s.length} trials)`,
    );
  }
  console.log(
    `all ${all.length} trials: p50 ${f(pct(all, 50))}  p99 ${f(pct(all, 99))}  max ${f(all.at(-1) ?? 0)}  (goal p99 ≤ 5 s: ${pct(all, 99) <= 5000 ? 'met' : 'NOT met'})`,
  );
}
