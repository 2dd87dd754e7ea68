/**
 * A wave's proxy-status baseline (the "before" of its diff), kept in Redis as what the diff reads and
 * nothing more: per workload its revisions and versions, the proxies per revision, and the problems
 * the before-tables had. Not the raw tables: those grew with the mesh × its waves (3 MiB of a 3.3 MiB
 * upgrade at 1,000 workloads). The diff the thread shows is the same as diffing the raw tables.
 * A baseline stored by an older bot (the raw texts, a JSON array) still loads.
 *
 * A wave's after-table is the next wave's baseline when that wave starts within BASELINE_FRESH_MS of
 * it (ADR 22): the wave then runs one proxy-status capture, not two. Started later, the next wave
 * captures its own. When wave k+1's baseline is stored, wave k-1's diff has been posted: its
 * baseline is dropped, so Redis holds two at most.
 */
import { Summary } from '../../domain/proxystatus/summary.js';
import type { StepContext } from './context.js';
import { mergedSummary } from './diff.js';

export const baselineKey = (id: string, wave: number) => `ps:${id}:w${wave}:before`;

/** How old the previous wave's after-table may be to serve as a wave's baseline. */
export const BASELINE_FRESH_MS = 10 * 60_000;

/**
 * Stored form, version 2. `sets` lists each distinct [revisions, versions] pair once (a mesh has a
 * handful); `ns` maps namespace → workload → index into `sets`.
 */
export interface StoredBaseline {
  v: 2;
  /** The previous wave's after-table, taken at this time (ms): this wave's until it is stale. */
  carried?: number;
  counts: Record<string, number>;
  sets: [string[], string[]][];
  ns: Record<string, Record<string, number>>;
  problems: string[];
}

/** What the diff needs of the before side. */
export interface Baseline {
  summary: Summary;
  problems: string[];
}

export function compactBaseline(b: Baseline): StoredBaseline {
  const sets: [string[], string[]][] = [];
  const index = new Map<string, number>();
  const ns: Record<string, Record<string, number>> = {};
  for (const [namespace, groups] of b.summary.groups) {
    const byName: Record<string, number> = {};
    for (const [workload, g] of groups) {
      const pair: [string[], string[]] = [[...g.revisions], [...g.versions]];
      const key = JSON.stringify(pair);
      let i = index.get(key);
      if (i === undefined) {
        i = sets.push(pair) - 1;
        index.set(key, i);
      }
      byName[workload] = i;
    }
    ns[namespace] = byName;
  }
  const counts: Record<string, number> = {};
  for (const [rev, n] of b.summary.countsNow()) counts[rev] = n;
  return { v: 2, counts, sets, ns, problems: b.problems };
}

function expand(s: StoredBaseline): Baseline {
  const summary = new Summary();
  for (const [namespace, byName] of Object.entries(s.ns))
    for (const [workload, i] of Object.entries(byName)) {
      const [revisions, versions] = s.sets[i] ?? [[], []];
      const g = summary.groupOf(namespace, workload);
      g.revisions.push(...revisions);
      g.versions.push(...versions);
    }
  for (const [rev, n] of Object.entries(s.counts)) summary.counts.set(rev, n);
  return { summary, problems: s.problems };
}

/** A stored baseline (either form) as the diff reads it; none stored: an empty before side. */
export function readBaseline(stored: string | null): Baseline {
  const v: unknown = JSON.parse(stored ?? '[]');
  if (Array.isArray(v)) return mergedSummary(v as string[], 'before'); // raw texts (older bots)
  return expand(v as StoredBaseline);
}

/**
 * The wave's baseline, before anything in the wave changes: the previous wave's after-table when it is
 * fresh (then kept as this wave's for good), else a capture; once per wave (a re-run keeps it).
 */
export async function captureBaseline(ctx: StepContext, wave: number): Promise<void> {
  const r = ctx.record;
  const key = baselineKey(r.id, wave);
  const have = await ctx.store.getBlob(key);
  if (have !== null) {
    const v: unknown = JSON.parse(have);
    const carried = Array.isArray(v) ? undefined : (v as StoredBaseline).carried;
    if (carried === undefined) return; // taken for this wave already (or by an older bot)
    if (Date.parse(ctx.now()) - carried <= BASELINE_FRESH_MS) {
      const { carried: _, ...mine } = v as StoredBaseline;
      await ctx.store.putBlob(key, JSON.stringify(mine));
      return;
    }
  }
  const texts = await ctx.ports.proxyStatus.capture([r.from.revision, r.to.revision], ctx.signal);
  const stored = compactBaseline(mergedSummary(texts, 'before'));
  await ctx.store.putBlob(key, JSON.stringify(stored), have === null);
  if (wave > 1) await ctx.store.dropBlob(baselineKey(r.id, wave - 1));
}

/**
 * After wave `wave`'s diff: its after-table, understood in full, offered as the next wave's baseline
 * (it has none yet); the baseline of the wave before this one is dropped.
 */
export async function carryBaseline(ctx: StepContext, wave: number, after: Baseline): Promise<void> {
  const r = ctx.record;
  if (wave >= r.waves.length || after.problems.length > 0) return;
  const next: StoredBaseline = { ...compactBaseline(after), carried: Date.parse(ctx.now()) };
  await ctx.store.putBlob(baselineKey(r.id, wave + 1), JSON.stringify(next), true);
  if (wave > 1) await ctx.store.dropBlob(baselineKey(r.id, wave - 1));
}

export async function loadBaseline(ctx: StepContext, wave: number): Promise<Baseline> {
  return readBaseline(await ctx.store.getBlob(baselineKey(ctx.record.id, wave)));
}
