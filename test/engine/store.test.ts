// The Redis record store: atomic create + cluster lock, compare-and-set without lost updates.
import { afterEach, describe, expect, it } from 'vitest';
import { ok } from '../../src/domain/result.js';
import { UpgradeStore } from '../../src/engine/store.js';
import { rec } from '../domain/upgrade/fixtures.js';
import { REDIS, uniquePrefix } from '../support/engine-harness.js';

const stores: UpgradeStore[] = [];
const open = (prefix: string) => {
  const s = new UpgradeStore({ redis: REDIS, prefix, clock: { now: () => Date.now() } });
  stores.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('UpgradeStore', () => {
  it('creates with the cluster lock; a second active upgrade on the cluster is refused with the holder', async () => {
    const s = open(uniquePrefix('store'));
    expect(await s.create(rec({ id: 'up-aaaa' }))).toMatchObject({ ok: true, value: { rev: 1 } });
    expect(await s.create(rec({ id: 'up-bbbb' }))).toMatchObject({
      ok: false,
      error: { code: 'cluster_busy', message: expect.stringContaining('up-aaaa') },
    });
    expect(await s.create(rec({ id: 'up-aaaa', cluster: 'other' }))).toMatchObject({
      ok: false,
      error: { code: 'id_taken' },
    });
    expect(await s.create(rec({ id: 'up-cccc', cluster: 'other' }))).toMatchObject({ ok: true });
    expect(await s.activeFor('prod')).toBe('up-aaaa');
    expect((await s.list({ activeOnly: true })).map((r) => r.id).sort()).toEqual(['up-aaaa', 'up-cccc']);
    // reaching a terminal state releases the lock in the same write
    await s.update('up-aaaa', (r) => ok({ record: { ...r, state: 'done' as const }, value: null }));
    expect(await s.activeFor('prod')).toBeNull();
    expect((await s.list({ activeOnly: true })).map((r) => r.id)).toEqual(['up-cccc']);
    expect(await s.create(rec({ id: 'up-dddd' }))).toMatchObject({ ok: true });
    expect((await s.list()).map((r) => r.id)).toHaveLength(3);
  });

  it('200 concurrent writers from two connections: no lost update, rev counts every write', async () => {
    const prefix = uniquePrefix('cas');
    const [a, b] = [open(prefix), open(prefix)];
    await a.create(rec({ id: 'up-eeee' }));
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).setMessage('up-eeee', `k${i}`, `ts${i}`)),
    );
    const r = await a.get('up-eeee');
    expect(Object.keys(r!.messages)).toHaveLength(200);
    expect(r!.rev).toBe(201);
  });

  it('a refusal from the update function writes nothing; unknown ids are reported', async () => {
    const s = open(uniquePrefix('ref'));
    await s.create(rec({ id: 'up-ffff' }));
    const res = await s.update('up-ffff', () => ({ ok: false, error: { code: 'nope', message: 'no' } }));
    expect(res).toEqual({ ok: false, error: { code: 'nope', message: 'no' } });
    expect((await s.get('up-ffff'))!.rev).toBe(1);
    expect(await s.update('up-zzzz', (r) => ok({ record: r, value: null }))).toMatchObject({
      ok: false,
      error: { code: 'upgrade_not_found' },
    });
    expect(
      await s.appendAudit('up-ffff', { at: 'now', actor: 'U1', action: 'refused', detail: 'x' }),
    ).toMatchObject({
      ok: true,
      value: { audit: [{ actor: 'U1', action: 'refused' }] },
    });
  });
});
