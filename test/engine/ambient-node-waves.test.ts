// An ambient mesh installed with Helm, upgraded through the engine (ADR 20): the istiod canary, the
// sidecar namespaces in namespace waves (the ambient namespace never restarted), ztunnel and
// istio-cni upgraded held at OnDelete, node waves behind the same approval (cordon, replace, verify,
// uncordon, the per-node table), the hold given back, the finish. A rollback in a node wave rolls the
// agents back and uncordons; a crash right after the held upgrade keeps the user's update strategy.
// Stand-in cluster (sidecars, control plane) and stand-in node agents; real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterRegistry, UpgradeEvent } from '../../src/engine/ports.js';
import { AmbientStandin } from '../support/ambient-standin.js';
import { type ClusterStandin, standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
const USER_STRATEGY = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } };

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** meshState(3) with app-b ambient (not injected), istiod a Helm release, ztunnel and istio-cni on n1, n2 (n1 a canary). */
async function setUp(tag: string, o: { cordon?: boolean; waveTimeoutMs?: number } = {}) {
  const prefix = uniquePrefix(tag);
  const mesh = meshState();
  // app-b in ambient mode: no injection label, its pods without sidecars (ztunnel serves them)
  mesh.namespaces = mesh.namespaces.map((n) => (n.name === 'app-b' ? { ...n, rev: null } : n));
  for (const w of mesh.workloads) if (w.namespace === 'app-b') w.podRevision = null;
  const cluster = await seededCluster('prod', prefix, {
    ...mesh,
    installers: { '1-23-1': 'helm' },
    ambient: {
      ztunnel: ['istio-system/ztunnel'],
      cni: ['istio-system/istio-cni-node'],
      namespaces: ['app-b'],
    },
  });
  const agents = new AmbientStandin('1.23.1', ['n1', 'n2'], ['app-b'], ['app-b/waypoint'], USER_STRATEGY);
  agents.nodes[0]!.canary = true;
  agents.servingRevision = async () =>
    (await cluster.state()).tags.find((t) => t.tag === 'default')?.revision ?? null;
  const base = standinRegistry([cluster]);
  const ports = base.get('prod')!;
  // The Helm path's ports for this stand-in: its own control plane, tags and gateways.
  const helm = {
    forUpgrade: () => ({ installer: ports.installer, tagger: ports.tagger, gateways: ports.gateways }),
  };
  const registry: ClusterRegistry = { ...base, get: () => ({ ...ports, ambient: agents, helm }) };
  const notifier = new RecordingNotifier();
  engine = testEngine(prefix, registry, notifier, {
    plan: { ambient: { ...(o.cordon ? { cordon: true } : {}) } },
    ...(o.waveTimeoutMs ? { waveTimeoutMs: o.waveTimeoutMs } : {}),
  });
  await engine.startWorker();
  return { cluster, agents, notifier };
}

const restartedNamespaces = async (c: ClusterStandin) =>
  new Set((await c.restarts()).map((x) => x.workload.split('/')[0]));
const steps = (audit: { action: string; detail?: string }[]) =>
  audit.filter((a) => a.action === 'step_finished').map((a) => (a.detail ?? '').split(':')[0]);

describe('engine: an ambient mesh in node waves', () => {
  it('namespace waves, the held upgrade, node waves approved one by one, the hold given back, the finish', async () => {
    const { cluster, agents, notifier } = await setUp('amb-flow', { cordon: true });
    const req = await engine!.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const r0 = req.value;
    expect(r0.waves.map((w) => (w.kind === 'nodes' ? `nodes:${w.nodes}` : `ns:${w.namespaces}`))).toEqual([
      'ns:app-a',
      'ns:app-c',
      'nodes:n1',
      'nodes:n2',
    ]);
    const uids = agents.pods.map((p) => p.uid);

    const end = await approveUntilEnd(engine!.service, r0.id);
    expect(end.stopped).toBeUndefined();
    expect(end.state).toBe('done');
    // the order: sidecar waves, the agents held, node waves, the hold given back, then the finish
    const order = steps(end.audit);
    const i = (s: string) => order.indexOf(s);
    expect(order.filter((s) => s === 'post_diff')).toHaveLength(2);
    expect(order.lastIndexOf('post_diff')).toBeLessThan(i('upgrade_agents'));
    expect(order.filter((s) => s === 'verify_nodes')).toHaveLength(2);
    expect(i('upgrade_agents')).toBeLessThan(i('replace_nodes'));
    expect(order.lastIndexOf('verify_nodes')).toBeLessThan(i('release_hold'));
    expect(i('release_hold')).toBeLessThan(i('move_tags'));
    // the waypoint followed the default tag to the new revision, checked after the tag move
    expect(
      end.audit.find((a) => a.action === 'step_finished' && a.detail?.startsWith('move_tags'))?.detail,
    ).toMatch(/; waypoint\(s\) on 1-24-2: app-b\/waypoint$/);
    // every wave, node waves included, approved by a person
    for (const w of end.waves) expect(w).toMatchObject({ status: 'done', approvedBy: ALICE.user });
    // each node's agents on the target, each replaced once; cordoned for its wave, uncordoned after
    expect(agents.pods.every((p) => p.version === '1.24.2' && p.ready)).toBe(true);
    expect(agents.pods.some((p) => uids.includes(p.uid))).toBe(false);
    expect(agents.nodes.every((n) => !n.unschedulable)).toBe(true);
    expect(agents.calls.filter((c) => c.startsWith('setCordon'))).toEqual([
      'setCordon n1 true',
      'setCordon n1 false',
      'setCordon n2 true',
      'setCordon n2 false',
    ]);
    // the user's update strategy given back, read before the hold
    expect(agents.strategies()).toEqual({ ztunnel: USER_STRATEGY, 'istio-cni': USER_STRATEGY });
    expect(end.ambient?.holds?.map((h) => h.userStrategy)).toEqual([USER_STRATEGY, USER_STRATEGY]);
    // the ambient namespace: never restarted; the sidecar ones were
    const restarted = await restartedNamespaces(cluster);
    expect(restarted.has('app-b')).toBe(false);
    expect([...restarted].sort()).toEqual(['app-a', 'app-c']);
    // the per-node table after each node wave, where sidecar waves get the diff
    const tables = notifier.events.filter(
      (e): e is Extract<UpgradeEvent, { type: 'node_versions' }> => e.type === 'node_versions',
    );
    expect(tables.map((t) => t.wave)).toEqual([3, 4]);
    expect(tables[0]!.rows).toEqual([
      { node: 'n1', ztunnel: '1.24.2', cni: '1.24.2' },
      { node: 'n2', ztunnel: '1.23.1', cni: '1.23.1' },
    ]);
    expect(end.waves[3]!.nodeVersions?.every((r) => r.ztunnel === '1.24.2')).toBe(true);
    const s = await cluster.state();
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
    expect(end.compensations).toEqual([]);
  }, 40_000);

  it('rolled back in node wave 2: the agents rolled back on every node, uncordoned, the canary gone', async () => {
    const { cluster, agents } = await setUp('amb-rb', { cordon: true });
    const req = await engine!.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    // up to the approval of the second node wave (wave 4)
    const at = await approveUntilEnd(engine!.service, id, {
      stopWhen: (r) => r.state === 'awaiting_approval' && r.approval?.wave === 4,
    });
    expect(at.waves[2]!.status).toBe('done');
    expect(agents.pods.filter((p) => p.node === 'n1').every((p) => p.version === '1.24.2')).toBe(true);
    expect(at.compensations.map((c) => c.kind)).toContain('rollback_agents');
    const rb = await engine!.service.rollback({ id, actor: BOB, reason: 'ztunnel drops connections' });
    expect(rb.ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await engine!.service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    }, 20_000);
    expect(end.stopped).toBeUndefined();
    expect(end.state).toBe('rolled_back');
    expect(agents.pods.every((p) => p.version === '1.23.1')).toBe(true);
    expect(agents.strategies()).toEqual({ ztunnel: USER_STRATEGY, 'istio-cni': USER_STRATEGY });
    expect(agents.nodes.every((n) => !n.unschedulable)).toBe(true);
    // as for namespace waves: the one that waited keeps its last status
    expect(end.waves.slice(2).map((w) => w.status)).toEqual(['rolled_back', 'awaiting_approval']);
    const compensated = end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail);
    expect(compensated.indexOf('rollback_agents')).toBeLessThan(compensated.indexOf('uninstall_canary'));
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
  }, 40_000);

  it('a crash right after the held upgrade: the retry keeps the user’s update strategy, not the hold', async () => {
    const { agents } = await setUp('amb-crash');
    agents.failAfter('upgradeReleases');
    const req = await engine!.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const stopped = await approveUntilEnd(engine!.service, id);
    expect(stopped).toMatchObject({ state: 'stopped', stopped: { step: 'upgrade_agents' } });
    // the releases are held already; the users' strategies were saved before
    expect(agents.strategies()).toEqual({ ztunnel: { type: 'OnDelete' }, 'istio-cni': { type: 'OnDelete' } });
    expect(stopped.ambient?.holds?.map((h) => h.userStrategy)).toEqual([USER_STRATEGY, USER_STRATEGY]);
    expect((await engine!.service.retry(id, ALICE)).ok).toBe(true);
    const end = await approveUntilEnd(engine!.service, id);
    expect(end.state).toBe('done');
    expect(agents.strategies()).toEqual({ ztunnel: USER_STRATEGY, 'istio-cni': USER_STRATEGY });
    expect(agents.calls.filter((c) => c === 'readHolds')).toHaveLength(1);
  }, 40_000);

  it('target charts that cannot be held (no updateStrategy value): stopped at the precheck, nothing installed', async () => {
    const { cluster, agents } = await setUp('amb-unheld');
    agents.holdable = false;
    const req = await engine!.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const end = await approveUntilEnd(engine!.service, req.value.id);
    expect(end).toMatchObject({ state: 'stopped', stopped: { step: 'precheck', code: 'precheck_failed' } });
    expect(end.stopped?.cause).toMatch(
      /no updateStrategy value: the bot cannot hold the DaemonSet at OnDelete/,
    );
    // nothing moved: no canary, no namespace restarted, the agents untouched
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    expect(await cluster.restarts()).toEqual([]);
    expect(agents.calls.filter((c) => c !== 'checkHoldable' && !c.startsWith('inspect'))).toEqual([]);
  }, 40_000);

  it('a waypoint left on the old revision after the tag move: the finish stops and says why', async () => {
    const { agents } = await setUp('amb-wp', { waveTimeoutMs: 1500 });
    agents.servingRevision = async () => '1-23-1'; // pinned: its istio.io/rev names the old revision
    const req = await engine!.service.request({ command: cmd, requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const end = await approveUntilEnd(engine!.service, req.value.id);
    expect(end).toMatchObject({ state: 'stopped', stopped: { step: 'move_tags', code: 'verify_failed' } });
    expect(end.stopped?.cause).toMatch(
      /1 waypoint\(s\) not on 1-24-2 after the tag move:\n• `app-b\/waypoint`: served by `1-23-1`/,
    );
  }, 40_000);
});
