// Crash safety: a worker process is SIGKILLed at a random moment of a 3-wave upgrade and a new one
// takes over. Every trial must complete, with no workload restarted twice in a wave and no wave skipped.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterStandin } from '../support/cluster-standin.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const WAVE_STEPS = ['move_namespaces', 'restart_workloads', 'wait_rollouts', 'verify_sidecars', 'post_diff'];
const KILL_POINTS = [
  'precheck',
  'install_control_plane',
  'verify_control_plane',
  'gateways',
  ...[1, 2, 3].flatMap((w) => WAVE_STEPS.map((s) => `${s}#${w}`)),
  'move_tags',
  'grace_period',
  'check_old_unused',
  'uninstall_old',
];
const ORDER = [...KILL_POINTS, 'done'];
const pos = (r: UpgradeRecord) => {
  const at = ORDER.indexOf(r.currentWave ? `${r.step}#${r.currentWave}` : r.step);
  return at >= 0 ? at : r.step === 'await_finish_approval' ? ORDER.indexOf('move_tags') - 0.5 : -1;
};
const reached = (r: UpgradeRecord, target: string) => pos(r) >= ORDER.indexOf(target);
const PARALLEL = 4;
const children = new Set<ChildProcess>();

/** Spawns a worker process; with `warm`, it loads and waits for `go` on stdin before it starts. */
function spawnWorker(prefix: string, warm: boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/engine-worker-entry.ts'], {
    env: { ...process.env, IUB_PREFIX: prefix, IUB_TICK_MS: '20', ...(warm ? { IUB_WAIT_FOR_GO: '1' } : {}) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const said = (word: string) =>
    new Promise<ChildProcess>((resolve, reject) => {
      child.stdout?.on('data', (b: Buffer) => {
        if (b.toString().includes(word)) resolve(child);
      });
      child.on('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
  const loaded = warm ? said('loaded') : Promise.resolve(child);
  const ready = said('ready');
  return { child, loaded, ready, go: () => child.stdin?.write('go\n') };
}

async function trial(n: number): Promise<{ killedAt: string; ms: number }> {
  const t0 = Date.now();
  const prefix = uniquePrefix(`crash${n}`);
  const cluster: ClusterStandin = await seededCluster('prod', prefix, meshState(3));
  const engine: Engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  try {
    const req = await engine.service.request({
      command: {
        kind: 'upgrade',
        version: '1.24.2',
        strategy: 'labels',
        dryRun: false,
        waves: [['app-a'], ['app-b'], ['app-c']],
      },
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const spare = spawnWorker(prefix, true); // warm replacement, started only after the kill
    const firstW = spawnWorker(prefix, false);
    const first = await firstW.ready;
    await spare.loaded;
    const person = approveUntilEnd(engine.service, id, { timeoutMs: 40_000 });
    // Kill at a chosen step (spread over the whole upgrade), a random few ms into it.
    const target = KILL_POINTS[(n * 7 + Math.floor(Math.random() * 3)) % KILL_POINTS.length]!;
    await waitUntil(
      async () => {
        const r = await engine.service.get(id);
        return !r || r.state === 'done' || reached(r, target);
      },
      20_000,
      3,
    );
    await new Promise((r) => setTimeout(r, Math.random() * 25));
    const at = await engine.service.get(id);
    first.kill('SIGKILL');
    const killedAt = `${at?.state}/${at?.step}${at?.currentWave ? `#${at.currentWave}` : ''}`;
    const tKill = Date.now() - t0;
    spare.go();
    const second = await spare.ready;
    const tReady = Date.now() - t0;
    const end = await person;
    if (process.env.CRASH_DEBUG) console.log({ n, killedAt, tKill, tReady, tEnd: Date.now() - t0 });
    second.kill('SIGTERM');
    expect(end.state, `trial ${n} killed at ${killedAt}: ${JSON.stringify(end.stopped)}`).toBe('done');
    const restarts = await cluster.restarts();
    const state = await cluster.state();
    for (const w of end.waves) {
      expect(w.status, `wave ${w.index} (killed at ${killedAt})`).toBe('done');
      expect(w.restartedAt).toBeTruthy();
      const ns = new Set(w.namespaces);
      for (const wl of state.workloads.filter((x) => ns.has(x.namespace))) {
        const key = `${wl.namespace}/${wl.kind}/${wl.name}`;
        const mine = restarts.filter((r) => r.workload === key);
        expect(mine, `${key} restarts (killed at ${killedAt})`).toHaveLength(1);
        expect(mine[0]!.restartedAt).toBe(w.restartedAt);
        expect(wl.podRevision).toBe('1-24-2');
      }
    }
    expect(state.controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
    return { killedAt, ms: Date.now() - t0 };
  } finally {
    await engine.close();
    cluster.redis.disconnect();
  }
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('crash safety', () => {
  it(`${TRIALS} trials: SIGKILL a worker mid-upgrade, a new one finishes it`, async () => {
    const results: { killedAt: string; ms: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < TRIALS) results.push(await trial(next++));
      }),
    );
    expect(results).toHaveLength(TRIALS);
    const avg = results.reduce((a, r) => a + r.ms, 0) / results.length;
    console.log(
      `crash points: ${results.map((r) => r.killedAt).join(', ')}; ${Math.round(avg)} ms per trial`,
    );
  }, 300_000); // ~40-60 s on an idle 2-core machine; generous for a loaded one
});
