/**
 * The cluster reads the chat side needs — the mesh for planning (control planes, tags, namespaces)
 * and raw proxy-status texts for `/istio ps` — from a process that may have no cluster connection.
 *
 * - `directReads(registry)`: this process has the cluster (ROLE=all, worker); no extra hop.
 * - `WorkerReads`: ROLE=bot. Each read is a BullMQ job on the `mesh-reads` queue (same prefix as the
 *   steps); a worker answers it with the same `directReads` and the bot waits (QueueEvents) for at
 *   most `timeoutMs`, then refuses with `no_worker`. The reply is a Result, so a refusal keeps its
 *   code (`kube_api`, `unknown_cluster`, `istioctl_failed`, …) across the hop.
 * - `startReadWorker`: the worker side, started with every step worker that has cluster access.
 *
 * Job data is `{kind, cluster, notAfter}`: no secrets. Ids are random. The waiter removes its job
 * once it has the reply, or when it gives up (BullMQ removes what a crashed waiter left after a
 * minute); nothing is retried (the bot is waiting); a job taken after its `notAfter` is answered
 * without touching the cluster.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { err, ok, type Result } from '../domain/result.js';
import {
  type AmbientDataPlaneView,
  type NodeVersions,
  nodeVersions,
} from '../domain/upgrade/ambient/index.js';
import type { GatewayApiGateway } from '../domain/upgrade/gateway-api.js';
import { type InstallationView, isAmbient } from '../domain/upgrade/installation.js';
import type { MeshView } from '../domain/upgrade/plan.js';
import { isCodedError } from '../errors.js';
import type { ClusterNames, ClusterRegistry, ControlPlane } from './ports.js';
import { throttled } from './throttle.js';

export const READS_QUEUE_NAME = 'mesh-reads';
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

/** The mesh as planning reads it; `installation` when the cluster has an InstallationInspector. */
export interface MeshRead extends MeshView {
  installation?: InstallationView;
  /** Gateway API gateways of class istio, when the cluster has the port (additive). */
  gatewayApi?: GatewayApiGateway[];
  /** The ambient node agents, read only when the installation shows an ambient mesh (additive, ADR 20). */
  ambient?: AmbientDataPlaneView;
}

export interface ClusterReads {
  /** What planning reads. Refusals: `unknown_cluster`, `kube_api`, `no_worker` (via workers). */
  /** `signal` stops a direct read (a worker's answer is bounded by the asker's deadline). */
  mesh(cluster: string, signal?: AbortSignal): Promise<Result<MeshRead>>;
  /** Raw proxy-status outputs for every revision of the cluster, as the source produced them. */
  proxyStatus(cluster: string): Promise<Result<string[]>>;
  /** The cluster's istiod revisions and versions (the App Home); `signal` stops a direct read. */
  controlPlanes(cluster: string, signal?: AbortSignal): Promise<Result<ControlPlane[]>>;
  /** ztunnel and istio-cni versions per node (an ambient mesh has no proxy-status sync diff for them;
   * ADR 20); null when the cluster has no ztunnel. */
  nodeVersions(cluster: string, signal?: AbortSignal): Promise<Result<NodeVersions[] | null>>;
}

export type ReadKind = keyof ClusterReads;

export interface ReadJobData {
  kind: ReadKind;
  cluster: string;
  /** Epoch ms after which nobody waits for the answer: the worker skips the cluster. */
  notAfter: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const unknownCluster = (cluster: string, names: string[]) =>
  err({
    code: 'unknown_cluster',
    message: `There is no cluster named "${cluster}".`,
    hint: `Known clusters: ${names.join(', ')}.`,
  });

/** A registry of names only (the bot's: configuration, not a connection). */
export function clusterNames(names: string[], defaultName = names[0]): ClusterNames {
  if (!defaultName || !names.includes(defaultName))
    throw new Error(`default cluster "${defaultName}" is not one of ${names.join(', ')}`);
  const list = [...names];
  return { names: () => [...list], defaultName: () => defaultName };
}

/** Reads through this process's own cluster ports. */
export function directReads(clusters: ClusterRegistry): ClusterReads {
  const portsOf = (cluster: string) => {
    if (!clusters.names().includes(cluster)) return null;
    const ports = clusters.get(cluster);
    if (!ports) throw new Error(`cluster ${cluster} has no adapters in this process`);
    return ports;
  };
  return {
    async mesh(cluster, signal) {
      try {
        const ports = portsOf(cluster);
        if (!ports) return unknownCluster(cluster, clusters.names());
        const [controlPlanes, tags, listed, gateways, installation, gatewayApi] = await Promise.all([
          ports.inspector.controlPlanes(signal),
          ports.inspector.tags(signal),
          ports.inspector.namespaces(signal),
          ports.inspector.gatewayNamespaces?.(signal) ?? ([] as string[]),
          ports.installation?.inspect(signal),
          ports.gatewayApi?.list(signal),
        ]);
        const namespaces = listed.map((n) => (gateways.includes(n.name) ? { ...n, gateway: true } : n));
        // only to make an ambient refusal exact: a read that fails (RBAC, an API fault) leaves it general
        const ambient =
          installation && isAmbient(installation.ambient)
            ? await ports.ambient?.inspect(signal).catch(() => undefined)
            : undefined;
        return ok({
          controlPlanes,
          tags,
          namespaces,
          ...(installation ? { installation } : {}),
          ...(gatewayApi ? { gatewayApi } : {}),
          ...(ambient ? { ambient } : {}),
        });
      } catch (e) {
        return err({
          code: 'kube_api',
          message: `Could not read the mesh of cluster ${cluster}: ${message(e)}`,
        });
      }
    },
    async controlPlanes(cluster, signal) {
      try {
        const ports = portsOf(cluster);
        if (!ports) return unknownCluster(cluster, clusters.names());
        return ok(await ports.inspector.controlPlanes(signal));
      } catch (e) {
        return err({
          code: 'kube_api',
          message: `Could not read the control planes of cluster ${cluster}: ${message(e)}`,
        });
      }
    },
    async nodeVersions(cluster, signal) {
      try {
        const ports = portsOf(cluster);
        if (!ports) return unknownCluster(cluster, clusters.names());
        const v = await ports.ambient?.inspect(signal);
        if (!v?.daemonSets.some((d) => d.agent === 'ztunnel')) return ok(null);
        return ok(
          nodeVersions(
            v.nodes.map((n) => n.name).filter((n) => v.pods.some((p) => p.node === n)),
            v.pods,
          ),
        );
      } catch (e) {
        return err({
          code: 'kube_api',
          message: `Could not read the node agents of cluster ${cluster}: ${message(e)}`,
        });
      }
    },
    async proxyStatus(cluster) {
      try {
        const ports = portsOf(cluster);
        if (!ports) return unknownCluster(cluster, clusters.names());
        const revisions = (await ports.inspector.controlPlanes()).map((c) => c.revision);
        return ok(await ports.proxyStatus.capture(revisions));
      } catch (e) {
        return err({ code: isCodedError(e) ? e.code : 'internal_error', message: message(e) });
      }
    },
  };
}

export interface WorkerReadsOptions {
  redis: RedisOptions;
  prefix: string;
  /** How long a read waits for a worker's answer (default 10 s). */
  timeoutMs?: number;
  onError?: (e: Error) => void;
}

/** Reads answered by a worker over Redis (for a process without cluster access). */
export class WorkerReads implements ClusterReads {
  private readonly queue: Queue<ReadJobData>;
  private readonly events: QueueEvents;
  private readonly timeoutMs: number;

  constructor(o: WorkerReadsOptions) {
    const connection = { ...o.redis, maxRetriesPerRequest: null };
    const onError = o.onError ?? (() => {});
    this.timeoutMs = o.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.queue = new Queue<ReadJobData>(READS_QUEUE_NAME, { connection, prefix: o.prefix });
    this.queue.on('error', onError);
    // Listening from now on, so the first read does not wait for the event stream to start.
    this.events = new QueueEvents(READS_QUEUE_NAME, { connection, prefix: o.prefix });
    this.events.on('error', onError);
  }

  mesh(cluster: string): Promise<Result<MeshRead>> {
    return this.ask('mesh', cluster) as Promise<Result<MeshRead>>;
  }

  proxyStatus(cluster: string): Promise<Result<string[]>> {
    return this.ask('proxyStatus', cluster) as Promise<Result<string[]>>;
  }

  nodeVersions(cluster: string): Promise<Result<NodeVersions[] | null>> {
    return this.ask('nodeVersions', cluster) as Promise<Result<NodeVersions[] | null>>;
  }

  /** Not cancellable mid-wait: bounded by `timeoutMs` like every read through a worker. */
  controlPlanes(cluster: string): Promise<Result<ControlPlane[]>> {
    return this.ask('controlPlanes', cluster) as Promise<Result<ControlPlane[]>>;
  }

  private async ask(kind: ReadKind, cluster: string): Promise<Result<unknown>> {
    const started = Date.now();
    const data: ReadJobData = { kind, cluster, notAfter: started + this.timeoutMs };
    const secs = Math.round(this.timeoutMs / 100) / 10;
    // One deadline for everything, adding the job included (a Redis outage must not hang a command).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const adding = (async () => {
      await this.events.waitUntilReady();
      return this.queue.add(kind, data, {
        jobId: `${kind}-${randomUUID()}`,
        attempts: 1,
        removeOnComplete: { age: 60, count: 1000 },
        removeOnFail: { age: 3600, count: 1000 },
      });
    })();
    const added = await Promise.race([adding, timedOut]).catch((e: unknown) =>
      e instanceof Error ? e : new Error(String(e)),
    );
    if (added === 'timeout' || added instanceof Error) {
      clearTimeout(timer);
      return err({
        code: 'no_worker',
        message: `Could not ask a worker to read cluster ${cluster} within ${secs} s: Redis did not take the request${added instanceof Error ? ` (${added.message})` : ''}.`,
      });
    }
    const job = added;
    const left = Math.max(1, this.timeoutMs - (Date.now() - started));
    // waitUntilFinished covers the events; the poll covers an event missed while the stream started.
    const finished = job.waitUntilFinished(this.events, left + 1000).then(
      (value: unknown) => ({ value }),
      (e: unknown) => ({ failed: message(e) }),
    );
    let polling = true;
    const polled = (async () => {
      while (polling) {
        await new Promise((r) => setTimeout(r, 500));
        if (!polling) break;
        const j = await Job.fromId<ReadJobData, unknown>(this.queue, job.id ?? '').catch(() => undefined);
        if (j?.finishedOn) return j.failedReason ? { failed: j.failedReason } : { value: j.returnvalue };
      }
      return new Promise<never>(() => {});
    })();
    try {
      const out = await Promise.race([finished, polled, timedOut]);
      if (out === 'timeout') {
        const state = await job.getState().catch(() => 'unknown');
        await job.remove().catch(() => {}); // taken meanwhile: its notAfter makes the worker skip the cluster
        return err({
          code: 'no_worker',
          message:
            state === 'active'
              ? `A worker took the read of cluster ${cluster} but did not answer within ${secs} s: is the cluster's API server reachable from the workers?`
              : `No worker answered within ${secs} s: is a worker (ROLE=worker or all) running and able to reach cluster ${cluster}?`,
          hint: 'This bot process has no cluster connection (ROLE=bot); workers read the cluster for it.',
        });
      }
      await job.remove().catch(() => {}); // read: the reply is ours, nobody else needs the job
      if ('failed' in out)
        return err({
          code: 'engine_error',
          message: `The worker could not read cluster ${cluster}: ${out.failed}`,
        });
      return out.value as Result<unknown>;
    } finally {
      polling = false;
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
  }
}

/** The worker side: answers read jobs with this process's cluster ports. */
export async function startReadWorker(o: {
  clusters: ClusterRegistry;
  redis: RedisOptions;
  prefix: string;
  logger: Logger;
  concurrency?: number;
}): Promise<{ close(): Promise<void> }> {
  const reads = directReads(o.clusters);
  const worker = new Worker<ReadJobData, Result<unknown>>(
    READS_QUEUE_NAME,
    async (job) => {
      const { kind, cluster, notAfter } = job.data;
      if (Date.now() > notAfter)
        return err({ code: 'expired', message: `Nobody waits for this read of ${cluster} any more.` });
      if (kind !== 'mesh' && kind !== 'proxyStatus' && kind !== 'controlPlanes' && kind !== 'nodeVersions')
        return err({ code: 'engine_error', message: `Unknown read "${String(kind)}".` });
      const res = await reads[kind](cluster, AbortSignal.timeout(Math.max(1, notAfter - Date.now())));
      if (!res.ok) o.logger.warn({ cluster, kind, code: res.error.code }, 'cluster read refused');
      return res;
    },
    {
      connection: { ...o.redis, maxRetriesPerRequest: null },
      prefix: o.prefix,
      concurrency: o.concurrency ?? 8,
    },
  );
  worker.on(
    'error',
    throttled((f, m) => o.logger.warn(f, m), 'read worker error'),
  );
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
