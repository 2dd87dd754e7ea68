// Regression (found by test/e2e/scenarios-1-labels.e2e.ts): the real cluster registry's ports carry
// plain values beside the port objects (`name: 'prod'`); the worker's guard wrapped every entry in a
// Proxy, so the first step of every upgrade stopped with "Cannot create proxy with a non-object".
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterPorts, ClusterRegistry } from '../../src/engine/ports.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('worker with a registry whose ports carry plain values', () => {
  it('runs an upgrade to the end (strings, numbers and null beside the ports)', async () => {
    const prefix = uniquePrefix('plain');
    const cluster = await seededCluster('prod', prefix);
    const inner = standinRegistry([cluster]);
    const registry: ClusterRegistry = {
      names: inner.names,
      defaultName: inner.defaultName,
      get: (name) => {
        const p = inner.get(name);
        return p ? ({ ...p, name, limit: 16, extra: null } as unknown as ClusterPorts) : undefined;
      },
    };
    engine = testEngine(prefix, registry, new RecordingNotifier());
    await engine.startWorker();
    const req = await engine.service.request({
      command: {
        kind: 'upgrade',
        version: '1.24.2',
        strategy: 'labels',
        dryRun: false,
        waves: [['app-a'], ['app-b', 'app-c']],
      },
      requester: ALICE,
    });
    if (!req.ok) throw new Error(req.error.message);
    const end = await approveUntilEnd(engine.service, req.value.id);
    expect(end.stopped ?? null).toBeNull();
    expect(end.state).toBe('done');
    cluster.redis.disconnect();
  });
});
