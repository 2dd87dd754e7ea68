/**
 * STAND-IN CLUSTER for engine tests — not a Kubernetes client. It implements every engine port
 * (src/engine/ports.ts) with the semantics the engine relies on:
 * - namespace labels with Istio's precedence (`istio-injection` beats `istio.io/rev`; tags resolve
 *   through their revision; `enabled` means the default tag's revision);
 * - workloads per namespace; `restart(…, restartedAt)` starts a new rollout only when the stamp
 *   changes (like a template patch with the same value); a rollout completes one tick later;
 * - a pod's sidecar revision is decided by the injector when the rollout starts and changes only
 *   on restart; while a rollout runs, one pod of its new template (injected then) is already there;
 * - proxy-status text in the 1.14–1.26 table format (`NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD
 *   VERSION`, NAME `pod.namespace`, ISTIOD `istiod-<rev>-<hash>-<5>`);
 * - injectable failures (`failNext`).
 * Its state lives in Redis under the test's key, so it survives a worker killed with SIGKILL, and
 * every real restart (a changed stamp) is appended to a list the tests read.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { AmbientView, Installer } from '../../src/domain/upgrade/installation.js';
import type {
  ClusterPorts,
  ClusterRegistry,
  PodSidecar,
  WorkloadKind,
  WorkloadRef,
} from '../../src/engine/ports.js';
import { CodedError, type ErrorCode } from '../../src/errors.js';
import { standinPorts } from './cluster-standin-ports.js';

export interface StandinWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  replicas: number;
  paused?: boolean;
  onDelete?: boolean;
  restartedAt?: string | null;
  rolloutStartedAt?: number | null;
  /** Revision of the running pods' sidecars (null: no sidecar). */
  podRevision: string | null;
  /** Revision the pods of the rollout in progress get. */
  nextRevision?: string | null;
}

export interface StandinState {
  controlPlanes: { revision: string; version: string; ready: boolean }[];
  tags: { tag: string; revision: string }[];
  namespaces: { name: string; injection: string | null; rev: string | null; canary?: boolean }[];
  workloads: StandinWorkload[];
  gateways: { namespace: string; name: string; revision: string }[];
  /** Gateways an istioctl install owns (default profile): the next revision's install takes them over
   * (relabels them with its revision and version); `uninstall --revision R` deletes those labelled R. */
  installGateways?: { namespace: string; name: string; revision: string; version: string }[];
  /** As istioctl 1.31 does: an install finding no `default` tag creates `default` → its revision. */
  installCreatesDefaultTag?: boolean;
  precheck: { code: string; level: 'Info' | 'Warning' | 'Error'; message: string }[];
  /** How each revision was installed (default istioctl; `helm`: the release istiod-<rev> in
   * istio-system) and the ambient data plane (default none): what the InstallationInspector reads. */
  installers?: Record<string, Installer>;
  ambient?: Partial<AmbientView>;
  failures: { method: string; times: number; code: ErrorCode; message: string }[];
  /** Milliseconds a call of the method takes before it acts (a slow `istioctl install`); the call
   * honours its AbortSignal like the real adapters: cancelled, it changes nothing and rejects. */
  delays?: Record<string, number>;
}

export interface CallLogEntry {
  method: string;
  outcome: 'started' | 'done' | 'cancelled';
  at: number;
}

export interface RestartLogEntry {
  workload: string; // `ns/Kind/name`
  restartedAt: string;
  at: number;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
function hashOf(s: string, n: number): string {
  let h = 2166136261;
  let out = '';
  for (let i = 0; i < n; i++) {
    for (const c of `${s}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += SAFE[h % SAFE.length];
  }
  return out;
}

export class ClusterStandin {
  readonly redis: Redis;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly key: string,
    redis: RedisOptions,
    readonly tickMs = 30,
    readonly now: () => number = Date.now,
  ) {
    this.redis = new Redis({ ...redis, maxRetriesPerRequest: null });
  }

  async seed(state: Partial<StandinState>): Promise<void> {
    const full: StandinState = {
      controlPlanes: [],
      tags: [],
      namespaces: [],
      workloads: [],
      gateways: [],
      precheck: [],
      failures: [],
      ...state,
    };
    await this.redis.set(this.key, JSON.stringify(full));
    await this.redis.del(`${this.key}:restarts`, `${this.key}:calls`);
  }

  async state(): Promise<StandinState> {
    const s = JSON.parse((await this.redis.get(this.key)) ?? 'null') as StandinState | null;
    if (!s) throw new Error(`stand-in cluster ${this.name} not seeded (${this.key})`);
    const now = this.now();
    for (const w of s.workloads)
      if (w.rolloutStartedAt != null && now - w.rolloutStartedAt >= this.tickMs) {
        w.podRevision = w.nextRevision ?? null;
        w.rolloutStartedAt = null;
      }
    return s;
  }

  /** Serialised read-modify-write (one writer process at a time in the tests); `log` entries are
   * appended to the restart log in the same MULTI as the state, so a SIGKILL cannot split them. */
  mutate<T>(fn: (s: StandinState) => T, log?: (out: T) => string[]): Promise<T> {
    const run = this.chain.then(async () => {
      const s = await this.state();
      const out = fn(s);
      const m = this.redis.multi().set(this.key, JSON.stringify(s));
      for (const entry of log?.(out) ?? []) m.rpush(`${this.key}:restarts`, entry);
      await m.exec();
      return out;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async restarts(): Promise<RestartLogEntry[]> {
    return (await this.redis.lrange(`${this.key}:restarts`, 0, -1)).map(
      (x) => JSON.parse(x) as RestartLogEntry,
    );
  }

  /** The next `times` calls of `method` (e.g. `installer.verify`) throw a CodedError. */
  async failNext(method: string, code: ErrorCode, message: string, times = 1): Promise<void> {
    await this.mutate((s) => s.failures.push({ method, times, code, message }));
  }

  async maybeFail(method: string, signal?: AbortSignal): Promise<void> {
    const f = await this.mutate((s) => {
      const hit = s.failures.find((x) => x.method === method && x.times > 0);
      if (hit) hit.times--;
      return { fail: hit ? { ...hit } : null, delay: s.delays?.[method] ?? 0 };
    });
    if (f.fail) throw new CodedError(f.fail.code, f.fail.message);
    if (f.delay > 0) await this.slow(method, f.delay, signal);
  }

  /** A slow call: logged when it starts and when it ends or is cancelled. */
  async slow(method: string, ms: number, signal?: AbortSignal): Promise<void> {
    const log = (outcome: CallLogEntry['outcome']) =>
      this.redis.rpush(`${this.key}:calls`, JSON.stringify({ method, outcome, at: this.now() }));
    await log('started');
    const cancelled = await new Promise<boolean>((resolve) => {
      if (signal?.aborted) return resolve(true);
      const t = setTimeout(() => resolve(false), ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve(true);
        },
        { once: true },
      );
    });
    await log(cancelled ? 'cancelled' : 'done');
    if (cancelled) throw new CodedError('cancelled', `${method} cancelled`);
  }

  /** Slow calls (see `delays`) in the order they started and ended. */
  async calls(): Promise<CallLogEntry[]> {
    return (await this.redis.lrange(`${this.key}:calls`, 0, -1)).map((x) => JSON.parse(x) as CallLogEntry);
  }

  /** Makes every later call of `method` take `ms` (0: fast again). */
  async setDelay(method: string, ms: number): Promise<void> {
    await this.mutate((s) => {
      s.delays = { ...s.delays, [method]: ms };
    });
  }

  static injectorRevision(s: StandinState, ns: string): string | null {
    const n = s.namespaces.find((x) => x.name === ns);
    if (!n || n.injection === 'disabled') return null;
    const has = (rev: string) => s.controlPlanes.some((c) => c.revision === rev);
    if (n.injection === 'enabled') {
      const def = s.tags.find((t) => t.tag === 'default')?.revision ?? (has('default') ? 'default' : null);
      return def ?? (s.controlPlanes.length === 1 ? s.controlPlanes[0]!.revision : null);
    }
    if (!n.rev) return null;
    const viaTag = s.tags.find((t) => t.tag === n.rev)?.revision;
    const rev = viaTag ?? n.rev;
    return has(rev) ? rev : null;
  }

  pods(s: StandinState, namespaces: string[]): PodSidecar[] {
    const out: PodSidecar[] = [];
    for (const w of s.workloads.filter((x) => namespaces.includes(x.namespace))) {
      const ref: WorkloadRef = { kind: w.kind, namespace: w.namespace, name: w.name };
      const version = s.controlPlanes.find((c) => c.revision === w.podRevision)?.version ?? null;
      for (let i = 0; i < w.replicas; i++) {
        const pod =
          w.kind === 'StatefulSet'
            ? `${w.name}-${i}`
            : w.kind === 'DaemonSet'
              ? `${w.name}-${hashOf(`${w.name}${w.restartedAt}${i}`, 5)}`
              : `${w.name}-${hashOf(`${w.name}${w.restartedAt}`, 10)}-${hashOf(`${w.name}${w.restartedAt}${i}`, 5)}`;
        out.push({
          pod,
          namespace: w.namespace,
          workload: ref,
          revision: w.podRevision,
          proxyVersion: w.podRevision ? version : null,
        });
      }
      // A rollout in progress has already created a pod of its new template (a rolling update's
      // surge pod), injected when it was created: it shows until the rollout completes.
      if (w.rolloutStartedAt != null && w.nextRevision !== undefined) {
        const next = w.nextRevision;
        out.push({
          pod: `${w.name}-${hashOf(`${w.name}${w.restartedAt}`, 10)}-surge`,
          namespace: w.namespace,
          workload: ref,
          revision: next,
          proxyVersion: next ? (s.controlPlanes.find((c) => c.revision === next)?.version ?? null) : null,
        });
      }
    }
    return out;
  }

  ports(): ClusterPorts {
    return standinPorts(this);
  }
}

/** A ClusterRegistry over stand-ins (first one is the default). */
export function standinRegistry(standins: ClusterStandin[]): ClusterRegistry {
  const ports = new Map(standins.map((s) => [s.name, s.ports()]));
  return {
    names: () => standins.map((s) => s.name),
    defaultName: () => standins[0]!.name,
    get: (name) => ports.get(name),
  };
}
