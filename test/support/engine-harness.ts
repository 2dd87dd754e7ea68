/**
 * Test glue for the engine (not a stand-in for anything): unique prefixes, a seeded stand-in
 * cluster, a recording notifier, an engine with short timings, and a "person" who approves.
 */
import { pino } from 'pino';
import type { Policy } from '../../src/domain/policy.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Actor, UpgradeService } from '../../src/engine/api.js';
import { createEngine, type Engine, type EngineCommonOptions } from '../../src/engine/index.js';
import type { ClusterNames, ClusterRegistry, Notifier, UpgradeEvent } from '../../src/engine/ports.js';
import { ClusterStandin, type StandinState } from './cluster-standin.js';

export const REDIS = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
export const ALICE: Actor = { user: 'U0ALICE', channel: 'C0OPS' };
export const BOB: Actor = { user: 'U0BOB', channel: 'C0INCIDENT' };

export function uniquePrefix(tag = 't'): string {
  return `iubtest-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A mesh on 1.23.1 (revision 1-23-1, default tag), `n` injected namespaces with 2 workloads each. */
export function meshState(n = 3): StandinState {
  const names = Array.from({ length: n }, (_, i) => `app-${String.fromCharCode(97 + i)}`);
  return {
    controlPlanes: [{ revision: '1-23-1', version: '1.23.1', ready: true }],
    tags: [
      { tag: 'default', revision: '1-23-1' },
      { tag: 'prod-stable', revision: '1-23-1' },
    ],
    namespaces: [
      { name: 'istio-system', injection: null, rev: null },
      { name: 'plain', injection: null, rev: null },
      ...names.map((name, i) => ({
        name,
        injection: i === 0 ? 'enabled' : null,
        rev: i === 0 ? null : '1-23-1',
      })),
    ],
    workloads: names.flatMap((ns) => [
      {
        kind: 'Deployment' as const,
        namespace: ns,
        name: 'web',
        replicas: 2,
        podRevision: '1-23-1',
        restartedAt: null,
      },
      {
        kind: 'StatefulSet' as const,
        namespace: ns,
        name: 'db',
        replicas: 1,
        podRevision: '1-23-1',
        restartedAt: null,
      },
    ]),
    gateways: [{ namespace: 'istio-system', name: 'istio-ingressgateway', revision: '1-23-1' }],
    precheck: [],
    failures: [],
  };
}

export async function seededCluster(name: string, prefix: string, state = meshState(), tickMs = 20) {
  const c = new ClusterStandin(name, `${prefix}:standin:${name}`, REDIS, tickMs);
  await c.seed(state);
  return c;
}

export class RecordingNotifier implements Notifier {
  events: UpgradeEvent[] = [];
  listeners: ((e: UpgradeEvent) => void)[] = [];
  async notify(e: UpgradeEvent): Promise<void> {
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }
}

export const silentLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const FAST_WORKER = { lockDurationMs: 1500, stalledIntervalMs: 700, watchMs: 50, reconcileMs: 1000 };

/** Anyone may do anything on these clusters, from any channel, four eyes off: engine tests that are
 * not about the policy (those pass their own). */
export function openPolicy(clusters: string[]): Policy {
  return {
    requesters: ['*'],
    approvers: ['*'],
    operators: ['*'],
    clusters: Object.fromEntries(clusters.map((c) => [c, { channels: ['*'] }])),
    incidentChannels: [],
    incidentResponders: ['*'],
    fourEyes: false,
  };
}

export function testEngine(
  prefix: string,
  clusters: ClusterRegistry,
  notifier: Notifier,
  extra: Partial<EngineCommonOptions> = {},
): Engine {
  return createEngine({
    ...testDefaults(prefix, notifier),
    policy: openPolicy(clusters.names()),
    clusters,
    ...extra,
  });
}

const testDefaults = (prefix: string, notifier: Notifier) => ({
  redis: REDIS,
  prefix,
  notifier,
  logger: silentLogger(),
  gracePeriodMs: 50,
  waveTimeoutMs: 10_000,
  approvalTtlMs: 60_000,
  worker: FAST_WORKER,
});

/** A ROLE=bot engine: cluster names only, mesh reads answered by a worker (default wait 2 s here). */
export function botEngine(
  prefix: string,
  clusters: ClusterNames,
  notifier: Notifier,
  extra: Partial<EngineCommonOptions> & { clusterReadTimeoutMs?: number } = {},
): Engine {
  return createEngine({
    ...testDefaults(prefix, notifier),
    policy: openPolicy(clusters.names()),
    clusterAccess: 'via-workers',
    clusters,
    clusterReadTimeoutMs: 2_000,
    ...extra,
  });
}

export async function waitUntil<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const TERMINAL = ['done', 'rolled_back', 'aborted', 'planned'];

/** Plays the person: approves every approval as it comes, until the upgrade ends or `stopWhen` holds. */
export async function approveUntilEnd(
  service: UpgradeService,
  id: string,
  opts: { timeoutMs?: number; stopWhen?: (r: UpgradeRecord) => boolean; actor?: Actor } = {},
): Promise<UpgradeRecord> {
  return waitUntil(async () => {
    const r = await service.get(id);
    if (!r) return null;
    if (TERMINAL.includes(r.state) || r.state === 'stopped' || opts.stopWhen?.(r)) return r;
    if (r.state === 'awaiting_approval' && r.approval)
      await service.approve({ id, nonce: r.approval.nonce, actor: opts.actor ?? ALICE });
    return null;
  }, opts.timeoutMs ?? 20_000);
}
