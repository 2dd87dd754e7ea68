// Approval recorded → wave step started, over 200 approvals with real Redis (target p99 ≤ 500 ms).
// 8 upgrades on 8 stand-in clusters run at once, 25 one-namespace waves each; one in-process worker.
import { createEngine } from '../src/engine/index.js';
import type { UpgradeEvent } from '../src/engine/ports.js';
import { ClusterStandin, standinRegistry } from '../test/support/cluster-standin.js';
import {
  ALICE,
  meshState,
  openPolicy,
  REDIS,
  RecordingNotifier,
  silentLogger,
  uniquePrefix,
} from '../test/support/engine-harness.js';

const CLUSTERS = 8;
const WAVES = 25;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export default async function (): Promise<void> {
  const prefix = uniquePrefix('bench');
  const clusters = await Promise.all(
    Array.from({ length: CLUSTERS }, async (_, i) => {
      const c = new ClusterStandin(`c${i}`, `${prefix}:standin:c${i}`, REDIS, 0);
      await c.seed(meshState(WAVES));
      return c;
    }),
  );
  const notifier = new RecordingNotifier();
  const engine = createEngine({
    redis: REDIS,
    prefix,
    clusters: standinRegistry(clusters),
    policy: openPolicy(clusters.map((c) => c.name)),
    notifier,
    logger: silentLogger(),
    gracePeriodMs: 0,
  });
  const worker = await engine.startWorker({ concurrency: CLUSTERS });
  const latencies: number[] = [];
  const approvedAt = new Map<string, number>(); // `${id}#${wave}` → when approve() was called
  const finished: Promise<void>[] = [];
  const listeners = new Map<string, (e: UpgradeEvent) => void>();
  notifier.listeners.push((e) => listeners.get(e.record.id)?.(e));
  const t0 = performance.now();
  for (const c of clusters) {
    const req = await engine.service.request({
      command: {
        kind: 'upgrade',
        version: '1.24.2',
        strategy: 'labels',
        dryRun: false,
        cluster: c.name,
        waves: Array.from({ length: WAVES }, (_, i) => [`app-${String.fromCharCode(97 + i)}`]),
      },
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    finished.push(
      new Promise<void>((resolve, reject) => {
        listeners.set(id, (e) => {
          if (e.type === 'approval_requested' && e.record.approval) {
            const { nonce, wave } = e.record.approval;
            if (!wave) return resolve(); // the finish approval: this upgrade's waves are measured
            approvedAt.set(`${id}#${wave}`, performance.now());
            void engine.service.approve({ id, nonce, actor: ALICE }).then((r) => {
              if (!r.ok) reject(new Error(r.error.message));
            });
          } else if (e.type === 'step_started' && e.step === 'move_namespaces') {
            const start = approvedAt.get(`${id}#${e.wave}`);
            const now = performance.now();
            // measured from the approve() call: includes writing the approval itself (conservative)
            if (start !== undefined) latencies.push(now - start);
          } else if (e.type === 'stopped') reject(new Error(`${id} stopped: ${e.record.stopped?.cause}`));
        });
      }),
    );
  }
  await Promise.all(finished);
  const total = performance.now() - t0;
  await worker.close();
  await engine.close();
  for (const c of clusters) c.redis.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  const f = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `approvals: ${latencies.length} (${CLUSTERS} upgrades × ${WAVES} waves, ${(total / 1000).toFixed(1)} s total)`,
  );
  console.log(
    `approve() called → wave step started: p50 ${f(pct(sorted, 50))}  p99 ${f(pct(sorted, 99))}  max ${f(sorted.at(-1) ?? 0)}`,
  );
  console.log(`target p99 ≤ 500 ms: ${pct(sorted, 99) <= 500 ? 'met' : 'MISSED'}`);
}
