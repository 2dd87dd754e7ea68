// The tags strategy: namespaces on `prod-stable`, waves move them to `prod-canary`, the finish moves
// the tags; a rollback puts namespaces back on `prod-stable` and removes the canary tag it created.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';

function tagMesh() {
  const s = meshState(3);
  for (const n of s.namespaces)
    if (n.name.startsWith('app-')) Object.assign(n, { injection: null, rev: 'prod-stable' });
  return s;
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function start(tag: string, gracePeriodMs = 50) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, tagMesh());
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), { gracePeriodMs });
  await engine.startWorker();
  const req = await engine.service.request({
    command: {
      kind: 'upgrade',
      version: '1.24.2',
      strategy: 'tags',
      dryRun: false,
      waves: [['app-a'], ['app-b', 'app-c']],
    },
    requester: ALICE,
  });
  if (!req.ok) throw new Error(req.error.message);
  expect(req.value.tags).toEqual({ stable: 'prod-stable', canary: 'prod-canary' });
  return { cluster, id: req.value.id, service: engine.service };
}

describe('tags strategy', () => {
  it('upgrade: waves go to the canary tag, the finish moves stable and default', async () => {
    const { cluster, id, service } = await start('tags');
    const end = await approveUntilEnd(service, id);
    expect(end.state, JSON.stringify(end.stopped)).toBe('done');
    const s = await cluster.state();
    expect(s.tags).toEqual(
      expect.arrayContaining([
        { tag: 'default', revision: '1-24-2' },
        { tag: 'prod-stable', revision: '1-24-2' },
        { tag: 'prod-canary', revision: '1-24-2' },
      ]),
    );
    expect(s.namespaces.filter((n) => n.name.startsWith('app-')).map((n) => n.rev)).toEqual([
      'prod-canary',
      'prod-canary',
      'prod-canary',
    ]);
    expect(s.workloads.every((w) => w.podRevision === '1-24-2')).toBe(true);
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
  });

  it('rollback after the tags moved: tags restored, namespaces back on prod-stable, canary tag removed', async () => {
    const { cluster, id, service } = await start('tagsrb', 5_000);
    await approveUntilEnd(service, id, {
      stopWhen: (r) => r.step === 'grace_period',
    });
    expect(await service.rollback({ id, actor: BOB, reason: 'validation webhook errors' })).toMatchObject({
      ok: true,
    });
    const end = await approveUntilEnd(service, id);
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    const s = await cluster.state();
    expect(s.tags).toEqual(
      expect.arrayContaining([
        { tag: 'default', revision: '1-23-1' },
        { tag: 'prod-stable', revision: '1-23-1' },
      ]),
    );
    expect(s.tags.find((t) => t.tag === 'prod-canary')).toBeUndefined();
    expect(s.namespaces.filter((n) => n.name.startsWith('app-')).map((n) => n.rev)).toEqual([
      'prod-stable',
      'prod-stable',
      'prod-stable',
    ]);
    expect(s.workloads.every((w) => w.podRevision === '1-23-1')).toBe(true);
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  });
});
