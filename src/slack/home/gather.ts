/**
 * What the App Home shows a viewer, gathered for the clusters they may see (src/domain/viewer.ts):
 * each cluster's control planes (through the engine's cluster reads: this process's or a worker's),
 * its active upgrade with a link to its thread, its calendar's outlook, and the last finished
 * upgrades. Every source has its own deadline; one that fails or is late is `unavailable` with why,
 * never a failed view. Control-plane reads are shared for `cacheMs` between viewers (one read per
 * cluster however many people open the tab).
 */
import { type Outlook, outlook } from '../../domain/calendar-outlook.js';
import type { Policy } from '../../domain/policy.js';
import type { Result } from '../../domain/result.js';
import { TERMINAL_STATES, type UpgradeRecord } from '../../domain/upgrade/record.js';
import type { UpgradeService } from '../../engine/api.js';
import type { ControlPlane } from '../../engine/ports.js';

export type Unavailable = { unavailable: string };
export type Maybe<T> = T | Unavailable;
export const isUnavailable = <T>(x: Maybe<T>): x is Unavailable =>
  typeof x === 'object' && x !== null && 'unavailable' in x;

export interface ClusterHome {
  name: string;
  controlPlanes: Maybe<ControlPlane[]>;
  /** The upgrade holding the cluster, with its thread's link (null: none could be made). */
  active: Maybe<{ record: UpgradeRecord; link: string | null } | null>;
  outlook: Outlook;
  /** The time zone the cluster's windows are written in (for showing times). */
  timeZone: string;
}

export interface HomeData {
  now: number;
  clusters: ClusterHome[];
  /** The last finished upgrades (done, rolled back, aborted; not dry runs) of the clusters shown. */
  finished: Maybe<UpgradeRecord[]>;
}

export interface HomeSources {
  policy: Policy;
  service: Pick<UpgradeService, 'list'>;
  /** Absent: this process cannot read clusters at all (every cluster shows unavailable). */
  controlPlanes?: (cluster: string, signal: AbortSignal) => Promise<Result<ControlPlane[]>>;
  /** A link to a message; null when none can be made. Cancelled with `signal`. */
  permalink(channel: string, ts: string, signal: AbortSignal): Promise<string | null>;
  now(): number;
  /** Each source's deadline (default 4 s). */
  readTimeoutMs?: number;
  cacheMs?: number;
}

export const FINISHED_SHOWN = 10;
/** How many records are scanned for the last finished ones of the viewer's clusters. */
const SCANNED = 500;

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** `run`'s answer, or unavailable when it fails or takes longer than `ms` (then `signal` is aborted). */
async function within<T>(
  ms: number,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<Maybe<T>> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Unavailable>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve({ unavailable: `${what} did not answer within ${Math.round(ms / 100) / 10} s` });
    }, ms);
  });
  try {
    return await Promise.race([run(ac.signal).catch((e: unknown) => ({ unavailable: reason(e) })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createHomeGatherer(src: HomeSources): (clusters: string[]) => Promise<HomeData> {
  const timeout = src.readTimeoutMs ?? 4000;
  const cacheMs = src.cacheMs ?? 15_000;
  const reads = new Map<string, { at: number; value: Promise<Maybe<ControlPlane[]>> }>();

  function controlPlanes(cluster: string): Promise<Maybe<ControlPlane[]>> {
    const read = src.controlPlanes;
    if (!read) return Promise.resolve({ unavailable: 'this process has no cluster reads' });
    const hit = reads.get(cluster);
    if (hit && Date.now() - hit.at < cacheMs) return hit.value;
    const value = within(timeout, `cluster ${cluster}`, async (signal) => {
      const res = await read(cluster, signal);
      if (!res.ok) throw new Error(res.error.message);
      return res.value;
    });
    reads.set(cluster, { at: Date.now(), value });
    // a failure is not kept for other viewers longer than it takes to ask again
    void value.then((v) => {
      if (isUnavailable(v)) reads.delete(cluster);
    });
    return value;
  }

  async function active(clusters: string[]): Promise<Maybe<Map<string, UpgradeRecord>>> {
    return within(timeout, 'the upgrade records', async () => {
      const rs = await src.service.list({ activeOnly: true, limit: 500 });
      const byCluster = new Map<string, UpgradeRecord>();
      for (const r of rs)
        if (clusters.includes(r.cluster) && !byCluster.has(r.cluster)) byCluster.set(r.cluster, r);
      return byCluster;
    });
  }

  async function finished(clusters: string[]): Promise<Maybe<UpgradeRecord[]>> {
    return within(timeout, 'the upgrade records', async () => {
      const out: UpgradeRecord[] = [];
      for (let offset = 0; offset < SCANNED && out.length < FINISHED_SHOWN; ) {
        const batch = await src.service.list({ limit: 100, offset });
        if (batch.length === 0) break;
        offset += batch.length;
        for (const r of batch)
          if (clusters.includes(r.cluster) && TERMINAL_STATES.includes(r.state) && r.state !== 'planned')
            out.push(r);
      }
      return out.slice(0, FINISHED_SHOWN);
    });
  }

  async function link(r: UpgradeRecord): Promise<string | null> {
    const ts = r.threadTs ?? r.messages.parent;
    if (!ts) return null;
    const got = await within(timeout, 'Slack', (signal) => src.permalink(r.channel, ts, signal));
    return isUnavailable(got) ? null : got;
  }

  return async (clusters) => {
    const now = src.now();
    const [planes, act, fin] = await Promise.all([
      Promise.all(clusters.map(controlPlanes)),
      active(clusters),
      finished(clusters),
    ]);
    const homes = await Promise.all(
      clusters.map(async (name, i): Promise<ClusterHome> => {
        const cal = src.policy.clusters[name];
        const rec = isUnavailable(act) ? act : (act.get(name) ?? null);
        return {
          name,
          controlPlanes: planes[i]!,
          active: rec === null || isUnavailable(rec) ? rec : { record: rec, link: await link(rec) },
          outlook: outlook(cal, now),
          timeZone: cal?.windows?.[0]?.timeZone ?? 'UTC',
        };
      }),
    );
    return { now, clusters: homes, finished: fin };
  };
}
