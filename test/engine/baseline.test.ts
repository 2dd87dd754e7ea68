// A wave's proxy-status baseline is stored compact (issue 15): the diff the thread shows is the one the
// raw tables gave, a baseline stored raw by an older bot still loads, and Redis keeps one or two.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BASELINE_FRESH_MS,
  baselineKey,
  captureBaseline,
  carryBaseline,
  compactBaseline,
  loadBaseline,
  readBaseline,
} from '../../src/engine/steps/baseline.js';
import type { StepContext } from '../../src/engine/steps/context.js';
import { diffTexts, mergedSummary } from '../../src/engine/steps/diff.js';
import { UpgradeStore } from '../../src/engine/store.js';
import { REDIS, uniquePrefix } from '../support/engine-harness.js';

const fx = (name: string) =>
  readFileSync(new URL(`../fixtures/proxy-status/${name}`, import.meta.url), 'utf8');

/** A 1.14–1.26 table of `n` workloads in namespaces of ten, one proxy each, as istioctl pads it. */
function bigTable(n: number, rev: string, version: string): string {
  const rows = ['NAME     CLUSTER     CDS     LDS     EDS     RDS     ECDS     ISTIOD     VERSION'];
  for (let i = 0; i < n; i++) {
    const ns = `scale-${String(Math.floor(i / 10)).padStart(3, '0')}`;
    rows.push(
      `app-${i % 10}-7d9f8b6c5d-x${String(i).padStart(4, '0').replace(/[013]/g, 'z')}.${ns}     Kubernetes     SYNCED (2m3s)     SYNCED (2m3s)     SYNCED (2m3s)     SYNCED (2m3s)     NOT SENT     istiod-${rev}-7f6fc6cfd6-s8zfg     ${version}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** What the stored form gives back after the round trip through JSON (Redis). */
const roundTrip = (texts: string[]) =>
  readBaseline(JSON.stringify(compactBaseline(mergedSummary(texts, 'before'))));

const CASES: [string, string[], string[]][] = [
  ['a wave of one namespace', [fx('wave-before.txt')], [fx('wave-after.txt')]],
  ['one table per revision', [fx('wave-before.txt'), fx('table-1.24.txt')], [fx('wave-after.txt')]],
  ['the same proxies in two tables', [fx('wave-before.txt'), fx('wave-before.txt')], [fx('wave-after.txt')]],
  ['1.27 tables and JSON', [fx('table-1.27.txt'), fx('json-1.30.json')], [fx('table-1.27-verbose.txt')]],
  ['a table that is not understood', [fx('nasty-bad-line.txt'), ''], [fx('wave-after.txt'), 'garbage']],
  ['nothing before', [], [fx('wave-after.txt')]],
  ['a mesh of 3,000', [bigTable(3000, '1-25-2', '1.25.2')], [bigTable(3000, '1-26-1', '1.26.1')]],
];

describe('proxy-status baseline', () => {
  it.each(CASES)('%s: the stored baseline gives the diff of the raw tables', (_name, before, after) => {
    const raw = diffTexts(before, after);
    expect(diffTexts(roundTrip(before), after)).toEqual(raw);
    // a baseline an older bot stored (the raw texts) gives it too
    expect(diffTexts(readBaseline(JSON.stringify(before)), after)).toEqual(raw);
  });

  it('the diff still sees every change: moved, partial, unchanged, added, removed, counts', () => {
    const { diff, problems } = diffTexts(roundTrip([fx('wave-before.txt')]), [fx('wave-after.txt')]);
    expect(problems).toEqual([]);
    expect(diff.moved.length + diff.partial.length + diff.unchanged.length).toBeGreaterThan(0);
    expect(Object.keys(diff.before).length).toBeGreaterThan(0);
    const bad = diffTexts(roundTrip([fx('nasty-bad-line.txt')]), [fx('wave-after.txt')]);
    expect(bad.problems).toEqual([expect.stringMatching(/^proxy-status before #1 not understood: BAD_ROW/)]);
  });

  it('a 3,000-workload mesh is stored in a small part of its tables', () => {
    const table = bigTable(3000, '1-25-2', '1.25.2');
    const stored = JSON.stringify(compactBaseline(mergedSummary([table], 'before')));
    expect(JSON.stringify([table]).length).toBeGreaterThan(400_000);
    expect(stored.length).toBeLessThan(60_000);
  });
});

describe('proxy-status baseline in Redis', () => {
  const stores: UpgradeStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('taken once a wave, compact; the previous wave’s is dropped; a raw one still loads', async () => {
    const store = new UpgradeStore({
      redis: REDIS,
      prefix: uniquePrefix('baseline'),
      clock: { now: Date.now },
    });
    stores.push(store);
    let captures = 0;
    const now = Date.parse('2026-11-30T06:00:00Z');
    let table = fx('wave-before.txt');
    const ctx = {
      record: {
        id: 'up-base',
        from: { revision: '1-22-1' },
        to: { revision: '1-24-2' },
        waves: [{}, {}, {}, {}],
      },
      now: () => new Date(now).toISOString(),
      ports: {
        proxyStatus: {
          capture: async () => {
            captures++;
            return [table];
          },
        },
      },
      store,
      signal: new AbortController().signal,
    } as unknown as StepContext;
    await captureBaseline(ctx, 1);
    table = fx('wave-after.txt'); // a re-run keeps the first baseline
    await captureBaseline(ctx, 1);
    expect(captures).toBe(1);
    const stored = JSON.parse((await store.getBlob(baselineKey('up-base', 1)))!);
    expect(stored).toMatchObject({ v: 2, problems: [] });
    expect(diffTexts(await loadBaseline(ctx, 1), [fx('wave-after.txt')])).toEqual(
      diffTexts([fx('wave-before.txt')], [fx('wave-after.txt')]),
    );
    await captureBaseline(ctx, 2);
    expect(await store.getBlob(baselineKey('up-base', 1))).toBeNull();
    expect(await store.getBlob(baselineKey('up-base', 2))).not.toBeNull();
    // stored by an older bot: the raw texts
    await store.putBlob(baselineKey('up-base', 3), JSON.stringify([fx('wave-before.txt')]));
    expect(diffTexts(await loadBaseline(ctx, 3), [fx('wave-after.txt')])).toEqual(
      diffTexts([fx('wave-before.txt')], [fx('wave-after.txt')]),
    );
  });

  it('a wave started soon after the last one uses its after-table; started later, captures its own', async () => {
    const store = new UpgradeStore({
      redis: REDIS,
      prefix: uniquePrefix('carry'),
      clock: { now: Date.now },
    });
    stores.push(store);
    let captures = 0;
    let now = Date.parse('2026-11-30T06:00:00Z');
    const ctx = {
      record: {
        id: 'up-carry',
        from: { revision: '1-22-1' },
        to: { revision: '1-24-2' },
        waves: [{}, {}, {}],
      },
      now: () => new Date(now).toISOString(),
      ports: {
        proxyStatus: {
          capture: async () => {
            captures++;
            return [fx('wave-before.txt')];
          },
        },
      },
      store,
      signal: new AbortController().signal,
    } as unknown as StepContext;
    const after = mergedSummary([fx('wave-after.txt')], 'after');
    // wave 1: captured; its after-table carried to wave 2, which starts a minute later: no capture
    await captureBaseline(ctx, 1);
    await carryBaseline(ctx, 1, after);
    now += 60_000;
    await captureBaseline(ctx, 2);
    expect(captures).toBe(1);
    const wave2 = await loadBaseline(ctx, 2);
    expect(diffTexts(wave2, [fx('wave-after.txt')]).diff).toEqual(
      diffTexts([fx('wave-after.txt')], [fx('wave-after.txt')]).diff,
    );
    // kept as wave 2's for good: a re-run much later does not replace it
    now += 2 * BASELINE_FRESH_MS;
    await captureBaseline(ctx, 2);
    expect(captures).toBe(1);
    // wave 2's after-table carried to wave 3 (wave 1's baseline dropped), which starts too late
    await carryBaseline(ctx, 2, after);
    expect(await store.getBlob(baselineKey('up-carry', 1))).toBeNull();
    now += BASELINE_FRESH_MS + 1;
    await captureBaseline(ctx, 3);
    expect(captures).toBe(2);
    expect(diffTexts(await loadBaseline(ctx, 3), [fx('wave-after.txt')])).toEqual(
      diffTexts([fx('wave-before.txt')], [fx('wave-after.txt')]),
    );
    // the last wave has no next one; an after-table not understood in full is not carried
    await carryBaseline(ctx, 3, after);
    expect(await store.getBlob(baselineKey('up-carry', 4))).toBeNull();
    await store.dropBlob(baselineKey('up-carry', 3));
    await carryBaseline(ctx, 2, mergedSummary([fx('nasty-bad-line.txt')], 'after'));
    expect(await store.getBlob(baselineKey('up-carry', 3))).toBeNull();
  });
});
