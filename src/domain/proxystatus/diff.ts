// Compares two proxy-status snapshots by workload (pods get new names when they restart).
import type { NotSyncedProxy, ProxyDiff, ProxyRecord, Snapshot } from './model.js';
import { isBad } from './status.js';

interface Group {
  namespace: string;
  workload: string;
  /** few per workload (one or two), so arrays beat Sets here. */
  revisions: string[];
  versions: string[];
}

type Groups = Map<string, Map<string, Group>>;

function addUnique(list: string[], v: string): void {
  if (!list.includes(v)) list.push(v);
}

/**
 * One pass: the workloads, and the proxies per revision added to counts. Indexed loops: this runs
 * cold, once per side (and returns no object literal, whose field types V8 would generalise on the
 * second call, deoptimising this).
 */
function groupByWorkload(proxies: ProxyRecord[], counts: Map<string, number>): Groups {
  const groups: Groups = new Map();
  let last: Group | null = null;
  let revision = '';
  let run = 0;
  for (let i = 0; i < proxies.length; i++) {
    const p = proxies[i]!;
    // parsers hand out one string per distinct value, so runs of a revision compare by identity
    if (p.revision !== revision || run === 0) {
      if (run > 0) counts.set(revision, (counts.get(revision) ?? 0) + run);
      revision = p.revision;
      run = 0;
    }
    run++;
    // replicas of one workload are usually adjacent (tables are sorted by pod name)
    let g: Group | null = last;
    if (g === null || g.workload !== p.workload || g.namespace !== p.namespace) {
      let byName = groups.get(p.namespace);
      if (byName === undefined) {
        byName = new Map();
        groups.set(p.namespace, byName);
      }
      g = byName.get(p.workload) ?? null;
      if (g === null) {
        g = { namespace: p.namespace, workload: p.workload, revisions: [], versions: [] };
        byName.set(p.workload, g);
      }
      last = g;
    }
    addUnique(g.revisions, p.revision);
    addUnique(g.versions, p.version);
  }
  if (run > 0) counts.set(revision, (counts.get(revision) ?? 0) + run);
  return groups;
}

/** Code-unit order, the same everywhere (no locale). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedKeys<V>(m: Map<string, V>): string[] {
  return [...m.keys()].sort(cmp);
}

function countsOf(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of sortedKeys(counts)) out[k] = counts.get(k)!;
  return out;
}

function sorted(list: string[]): string[] {
  return list.length < 2 ? list.slice() : [...list].sort(cmp);
}

/** The list sorted and joined by `,` (most workloads have one revision and one version). */
function joined(list: string[]): string {
  return list.length === 1 ? list[0]! : sorted(list).join(',');
}

type Lists = Pick<ProxyDiff, 'moved' | 'partial' | 'unchanged' | 'added' | 'removed'>;

function classify(out: Lists, from: Group | undefined, to: Group | undefined): void {
  if (from === undefined) {
    if (to !== undefined) {
      out.added.push({
        namespace: to.namespace,
        workload: to.workload,
        revision: joined(to.revisions),
      });
    }
    return;
  }
  const { namespace, workload } = from;
  if (to === undefined) {
    out.removed.push({ namespace, workload, revision: joined(from.revisions) });
    return;
  }
  let shared = 0;
  for (let i = 0; i < to.revisions.length; i++) if (from.revisions.includes(to.revisions[i]!)) shared++;
  if (shared === 0) {
    out.moved.push({
      namespace,
      workload,
      fromRevision: joined(from.revisions),
      toRevision: joined(to.revisions),
      fromVersion: joined(from.versions),
      toVersion: joined(to.versions),
    });
  } else if (shared === from.revisions.length && shared === to.revisions.length) {
    out.unchanged.push({ namespace, workload, revision: joined(from.revisions) });
  } else {
    out.partial.push({
      namespace,
      workload,
      fromRevisions: sorted(from.revisions),
      toRevisions: sorted(to.revisions),
    });
  }
}

function notSyncedOf(proxies: ProxyRecord[]): NotSyncedProxy[] {
  const out: NotSyncedProxy[] = [];
  for (let i = 0; i < proxies.length; i++) {
    const p = proxies[i]!;
    if (p.synced !== false) continue;
    const types = Object.keys(p.xds)
      .filter((t) => isBad(p.xds[t]!))
      .sort(cmp);
    out.push({ namespace: p.namespace, pod: p.pod, types });
  }
  return out.sort((x, y) => cmp(x.namespace, y.namespace) || cmp(x.pod, y.pod));
}

/**
 * moved: no after-proxy uses a revision the before-proxies used; unchanged: same revision set;
 * partial: any other overlap (mid-rollout: old and new side by side, or a shrinking mix);
 * added / removed: workload present on one side only. notSynced: after-proxies with synced false.
 * Every list is sorted by namespace, then workload (or pod), in code-unit order.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): ProxyDiff {
  const beforeCounts = new Map<string, number>();
  const afterCounts = new Map<string, number>();
  const b = groupByWorkload(before.proxies, beforeCounts);
  const a = groupByWorkload(after.proxies, afterCounts);
  const out: Lists = { moved: [], partial: [], unchanged: [], added: [], removed: [] };
  const namespaces = new Map<string, true>();
  for (const ns of b.keys()) namespaces.set(ns, true);
  for (const ns of a.keys()) namespaces.set(ns, true);
  const none = new Map<string, Group>();
  for (const ns of sortedKeys(namespaces)) {
    const from = b.get(ns) ?? none;
    const to = a.get(ns) ?? none;
    const names = new Map<string, true>();
    for (const w of from.keys()) names.set(w, true);
    for (const w of to.keys()) names.set(w, true);
    for (const w of sortedKeys(names)) classify(out, from.get(w), to.get(w));
  }
  return {
    before: countsOf(beforeCounts),
    after: countsOf(afterCounts),
    ...out,
    notSynced: notSyncedOf(after.proxies),
  };
}
