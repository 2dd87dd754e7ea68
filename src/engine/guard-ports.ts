/**
 * The guard around a step's cluster ports (ADR 10): a call refused once the run is superseded, a fence
 * (the run must still be this worker's) right before every call that may change the cluster, errors
 * turned into StepFailure / Superseded.
 */
import { isCodedError } from '../errors.js';
import type { ClusterPorts } from './ports.js';
import { StepFailure, Superseded } from './runtime.js';

/**
 * Port methods that only read the cluster. Every other port method is fenced (the run must still be
 * ours) right before it runs: a mutation added to a port later is fenced without being listed here.
 */
const READS = new Set([
  'inspector.controlPlanes',
  'inspector.tags',
  'inspector.namespaces',
  'inspector.gatewayNamespaces',
  'inspector.workloads',
  'inspector.sidecars',
  'installer.precheck',
  'installer.verify',
  'installedGateways.ownedBy',
  'installedGateways.snapshot',
  'restarter.waitForRollouts',
  'proxyStatus.capture',
  'analysis.analyze',
  'analysis.series',
  'gatewayApi.list',
  'gatewayApi.verify',
  'installation.inspect',
  'ambient.inspect',
  'ambient.verifyNodes',
  'ambient.waypoints',
  'ambient.readHolds',
  'ambient.checkHoldable',
]);

/** Whether `port.method` may change the cluster, so must be fenced first. */
export const mutates = (port: string, method: string): boolean => !READS.has(`${port}.${method}`);

/**
 * Wraps every port method: refuse to start once superseded; before a mutation, check with Redis that
 * this worker still holds the current run (`fence`), so a superseded or cut-off worker changes nothing
 * more; errors become StepFailure (a cancelled call becomes Superseded).
 */
export function guard(ports: ClusterPorts, signal: AbortSignal, fence: () => Promise<void>): ClusterPorts {
  const wrap = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        const fenced = mutates(name, String(prop));
        return async (...args: unknown[]) => {
          if (signal.aborted) throw new Superseded('run superseded');
          if (fenced) await fence();
          try {
            return await v.apply(target, args);
          } catch (e) {
            if (signal.aborted) throw new Superseded('run superseded');
            if (e instanceof StepFailure || e instanceof Superseded) throw e;
            const code = isCodedError(e) ? e.code : 'cluster_error';
            throw new StepFailure(code, e instanceof Error ? e.message : String(e));
          }
        };
      },
    });
  // Only the port objects are wrapped: a registry's ports may carry plain values too (the real
  // adapters' `name`), and a Proxy of a string throws.
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(ports))
    out[k] = v !== null && (typeof v === 'object' || typeof v === 'function') ? wrap(k, v as object) : v;
  return out as unknown as ClusterPorts;
}

/** Resolves `p`, or rejects after `ms` (a Redis that cannot be reached queues commands forever). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
