// Compares two proxy-status snapshots by workload (pods get new names when they restart).
import type { NotSyncedProxy, ProxyDiff, Snapshot } from './model.js';
import { cmp, type Group, type Summary, summarize } from './summary.js';

/**
 * The keys of x and y, once each, sorted. Array sort without a comparator compares strings by code
 * units, as cmp does, without a call per comparison; forEach, unlike for-of, makes no object per key
 * while the code is not optimised yet (a CLI run is over before much of it is).
 */
function keysOf<V>(x: Map<string, V>, y: Map<string, V>): string[] {
  const keys: string[] = [];
  x.forEach((_, k) => {
    keys.push(k);
  });
  y.forEach((_, k) => {
    if (!x.has(k)) keys.push(k);
  });
  return keys.sort();
}

const NONE = new Map<string, never>();

function countsOf(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = keysOf(counts, NONE);
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = counts.get(keys[i]!)!;
  return out;
}

function sorted(list: string[]): string[] {
  return list.length < 2 ? list.slice() : list.slice().sort();
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

/**
 * moved: no after-proxy uses a revision the before-proxies used; unchanged: same revision set;
 * partial: any other overlap (mid-rollout: old and new side by side, or a shrinking mix);
 * added / removed: workload present on one side only. notSynced: after-proxies with synced false.
 * Every list is sorted by namespace, then workload (or pod), in code-unit order.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): ProxyDiff {
  return diffSummaries(summarize(before.proxies), summarize(after.proxies));
}

/** diffSnapshots on the summaries of the two sides (see summary.ts). */
export function diffSummaries(before: Summary, after: Summary): ProxyDiff {
  const b = before.groups;
  const a = after.groups;
  const out: Lists = { moved: [], partial: [], unchanged: [], added: [], removed: [] };
  const namespaces = keysOf(b, a);
  for (let i = 0; i < namespaces.length; i++) {
    const from = b.get(namespaces[i]!) ?? NONE;
    const to = a.get(namespaces[i]!) ?? NONE;
    const names = keysOf(from, to);
    for (let j = 0; j < names.length; j++) classify(out, from.get(names[j]!), to.get(names[j]!));
  }
  const notSynced: NotSyncedProxy[] = after.notSynced
    .slice()
    .sort((x, y) => cmp(x.namespace, y.namespace) || cmp(x.pod, y.pod));
  return {
    before: countsOf(before.countsNow()),
    after: countsOf(after.countsNow()),
    ...out,
    notSynced,
  };
}
