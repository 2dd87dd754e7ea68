// A snapshot folded into what the diff compares: proxies per revision, each workload's revisions and
// versions, and the proxies not synced. Filled from ProxyRecords (any format), or straight from table
// rows (a RowSink) so that `ps diff` never holds a record per proxy.
import type { Shared } from './cells.js';
import type { NotSyncedProxy, ProxyRecord } from './model.js';
import type { RowSink } from './sink.js';
import { isBad } from './status.js';

/**
 * One workload's proxies: the revisions and versions they run. Few per workload (one or two), so
 * arrays beat Sets; made with their first values (an array literal holds one slot, a push onto `[]`
 * seventeen, and a large mesh has tens of thousands of groups).
 */
export class Group {
  constructor(
    readonly namespace: string,
    readonly workload: string,
    readonly revisions: string[],
    readonly versions: string[],
  ) {}
}

/** Code-unit order, the same everywhere (no locale). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addUnique(list: string[], v: string): void {
  for (let i = 0; i < list.length; i++) if (list[i] === v) return;
  list.push(v);
}

/** Rows in input order; a class so the row code stays monomorphic (see RecordSink). */
export class Summary implements RowSink {
  /** namespace → workload → group. */
  readonly groups = new Map<string, Map<string, Group>>();
  readonly counts = new Map<string, number>();
  /** in input order; the diff sorts them. */
  readonly notSynced: NotSyncedProxy[] = [];
  private last: Group | null = null;
  private revision = '';
  private run = 0;

  /** The counts, with the run of equal revisions still open (parsers hand out one string per value). */
  countsNow(): Map<string, number> {
    if (this.run > 0) {
      this.counts.set(this.revision, (this.counts.get(this.revision) ?? 0) + this.run);
      this.run = 0;
    }
    return this.counts;
  }

  private count(revision: string): void {
    if (revision !== this.revision || this.run === 0) {
      if (this.run > 0) this.counts.set(this.revision, (this.counts.get(this.revision) ?? 0) + this.run);
      this.revision = revision;
      this.run = 0;
    }
    this.run++;
  }

  /** One proxy of group g (the byte reader's rows): counted, its revision and version noted. */
  tally(g: Group, revision: string, version: string): void {
    this.count(revision);
    addUnique(g.revisions, revision);
    addUnique(g.versions, version);
  }

  /** The group of (namespace, workload), made empty when there is none. */
  groupOf(namespace: string, workload: string): Group {
    const byName = this.namespace(namespace);
    let g = byName.get(workload);
    if (g === undefined) {
      g = new Group(namespace, workload, [], []);
      byName.set(workload, g);
    }
    this.last = g;
    return g;
  }

  /** One proxy of (namespace, workload) that is not the last group's: counted, its group found or made. */
  proxy(namespace: string, workload: string, revision: string, version: string): Group {
    const byName = this.namespace(namespace);
    let g = byName.get(workload);
    if (g === undefined) {
      this.count(revision);
      g = new Group(namespace, workload, [revision], [version]);
      byName.set(workload, g);
    } else this.tally(g, revision, version);
    this.last = g;
    return g;
  }

  private namespace(namespace: string): Map<string, Group> {
    let byName = this.groups.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.groups.set(namespace, byName);
    }
    return byName;
  }

  /** One parsed proxy (JSON formats, or snapshots built elsewhere). */
  add(p: ProxyRecord): void {
    // replicas of one workload are usually adjacent (tables are sorted by pod name)
    const g = this.last;
    if (g !== null && g.workload === p.workload && g.namespace === p.namespace) {
      this.tally(g, p.revision, p.version);
    } else this.proxy(p.namespace, p.workload, p.revision, p.version);
    if (p.synced === false) {
      const types = Object.keys(p.xds)
        .filter((t) => isBad(p.xds[t]!))
        .sort(cmp);
      this.notSynced.push({ namespace: p.namespace, pod: p.pod, types });
    }
  }

  /** One table row, read in place: strings are cut only for a new workload or a proxy not synced. */
  row(
    text: string,
    nameS: number,
    dot: number,
    nameE: number,
    end: number,
    repeat: boolean,
    _cluster: string | null,
    _istiod: string | null,
    revision: string,
    version: string,
    state: Shared | null,
  ): void {
    let g = this.last;
    if (
      repeat ||
      (g !== null &&
        g.workload.length === end - nameS &&
        g.namespace.length === nameE - dot - 1 &&
        text.startsWith(g.workload, nameS) &&
        text.startsWith(g.namespace, dot + 1))
    ) {
      this.tally(g!, revision, version);
    } else g = this.proxy(text.slice(dot + 1, nameE), text.slice(nameS, end), revision, version);
    if (state !== null && !state.synced) {
      this.notSynced.push({ namespace: g!.namespace, pod: text.slice(nameS, dot), types: state.bad.slice() });
    }
  }
}

/** The summary of parsed proxies. */
export function summarize(proxies: readonly ProxyRecord[]): Summary {
  const s = new Summary();
  for (let i = 0; i < proxies.length; i++) s.add(proxies[i]!);
  return s;
}
