// Graceful shutdown: SIGTERM lets the running step finish, then the worker exits 0.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';

describe('graceful shutdown', () => {
  it('SIGTERM: the running step completes and the process exits 0', async () => {
    const prefix = uniquePrefix('term');
    const cluster = await seededCluster('prod', prefix, undefined, 600);
    const engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
    try {
      const req = await engine.service.request({
        command: { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false },
        requester: ALICE,
      });
      if (!req.ok) throw new Error(req.error.message);
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/engine-worker-entry.ts'], {
        env: { ...process.env, IUB_PREFIX: prefix, IUB_TICK_MS: '600' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) =>
        child.stdout?.on('data', (b: Buffer) => b.toString().includes('ready') && resolve()),
      );
      await approveUntilEnd(engine.service, req.value.id, { stopWhen: (x) => x.step === 'wait_rollouts' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // the rollout wait finished before the exit; the next step waits in the queue for another worker
      const r = await engine.service.get(req.value.id);
      expect(r).toMatchObject({ state: 'running', step: 'verify_sidecars' });
      expect(r?.waves[0]?.progress).toMatchObject({ ready: 2 });
    } finally {
      await engine.close();
      cluster.redis.disconnect();
    }
  });
});
