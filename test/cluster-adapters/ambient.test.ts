// The ambient data plane's adapter (src/cluster/ambient) on the REAL test cluster with the REAL helm
// and the REAL Istio charts: the ambient mesh of test/support/ambient-mesh.ts at the old test version
// (istiod of the ambient profile, ztunnel and istio-cni on KWOK's two nodes, an ambient namespace
// with a waypoint, a sidecar namespace). Read per node; the waypoint served and rendered by the old
// revision, then — a canary istiod of the new version installed with helm and the `default` tag
// moved — by the new one (read through the port, checked by the domain); the user's updateStrategy
// read before the held upgrade and the same after it; the held upgrade to the new version replaces
// no pod; node by node each node's agents are replaced and verified while the other node keeps the
// old version; a node cordoned by someone else is neither claimed nor uncordoned by the bot; the
// hold is given back without replacing a pod; a rollback puts every node back on the old version; a
// target chart that cannot be held is refused before anything changes.
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAmbientDataPlane, CORDONED_BY } from '../../src/cluster/ambient/index.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import { KubeClient } from '../../src/cluster/kube/client.js';
import type { AgentPod } from '../../src/domain/upgrade/ambient/index.js';
import { imageVersion, planAmbient } from '../../src/domain/upgrade/ambient/index.js';
import { waypointsNotOn, waypointsOn } from '../../src/domain/upgrade/ambient/waypoints.js';
import { CodedError } from '../../src/errors.js';
import { helmPath } from '../helm/helm-support.js';
import {
  type AmbientMesh,
  helmCli,
  installAmbientMesh,
  SYS,
  teardownAmbientMesh,
} from '../support/ambient-mesh.js';
import {
  clusterEnv,
  istioctl,
  istioVersions,
  kubeconfigPath,
  kubectl,
  revisionOf,
  waitFor,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import { clusterGate, type Gate, releaseCluster } from './cluster-support.js';

let gate: Gate = { run: false, reason: '', startedHere: false };
let mesh: AmbientMesh | undefined;
let dp: ClusterAmbientDataPlane;
const [OLD = '', NEW = ''] = (() => {
  try {
    return istioVersions();
  } catch {
    return [];
  }
})();

const versionsByNode = (pods: AgentPod[]) =>
  Object.fromEntries(
    pods
      .filter((p) => !p.terminating)
      .map((p) => [`${p.node}/${p.agent}`, imageVersion(p.image)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
const podNames = (pods: AgentPod[]) => pods.map((p) => p.pod).sort();
const nodeState = async (name: string) => {
  const n = JSON.parse((await kubectl(['get', 'node', name, '-o', 'json'])).stdout) as {
    spec: { unschedulable?: boolean };
    metadata: { annotations?: Record<string, string> };
  };
  return { unschedulable: n.spec.unschedulable === true, marked: n.metadata.annotations?.[CORDONED_BY] };
};

beforeAll(async () => {
  gate = await clusterGate('ambient data plane adapter');
  if (!gate.run) return;
  mesh = await installAmbientMesh({ version: OLD, chartVersions: [OLD, NEW], prefix: 'amb-adapter' });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const kube = new KubeClient({ context: kc.getCurrentContext(), kubeconfig: kubeconfigPath() });
  const helm = new Helm({
    bin: helmPath(),
    charts: { kind: 'repo', url: mesh.repo.url },
    target: { kubeconfig: kubeconfigPath() },
    home: join(clusterEnv().stateDir, 'helm-home-ambient'),
    timeoutMs: 120_000,
  });
  dp = new ClusterAmbientDataPlane(kube, helm, { pollMs: 250 });
}, 900_000);

afterAll(async () => {
  if (!gate.run) return;
  // a reused cluster (CLUSTER_REUSE=1) must not stay ambient: later scenarios would be refused
  await kubectl(['uncordon', ...(mesh?.nodes ?? [])]).catch(() => undefined);
  await teardownAmbientMesh(mesh);
  await releaseCluster(gate);
}, 600_000);

describe('ambient data plane on the test cluster', () => {
  it('reads, moves the waypoint with the tag, upgrades held, moves node by node, gives the hold back and rolls back', async ({
    skip,
  }) => {
    // reported as skipped, not passed, when there is no test cluster
    if (!gate.run || !mesh) return skip(gate.reason);
    const from = { version: OLD, revision: revisionOf(OLD) };
    const to = { version: NEW, revision: revisionOf(NEW) };
    const view = await dp.inspect();
    const nodes = view.nodes.map((n) => n.name).sort();
    expect(nodes).toEqual(mesh.nodes);
    expect(nodes.length).toBe(2);
    expect(view.daemonSets.map((d) => [d.agent, d.release?.name, d.release?.status])).toEqual([
      ['ztunnel', 'ztunnel', 'deployed'],
      ['cni', 'istio-cni', 'deployed'],
    ]);
    expect(view.namespaces).toContain(mesh.ambientNamespace);
    expect(view.waypoints).toEqual([`${mesh.ambientNamespace}/waypoint`]);
    const all = (v: string | null) =>
      Object.fromEntries(
        nodes.flatMap((n) => [
          [`${n}/cni`, v],
          [`${n}/ztunnel`, v],
        ]),
      );
    expect(versionsByNode(view.pods)).toEqual(all(OLD));

    // the waypoint: served and rendered by the old revision (it follows the default tag)
    const wp = {
      namespace: mesh.ambientNamespace,
      name: 'waypoint',
      revLabel: null,
      namespaceRev: null,
      managed: true,
      deployment: 'waypoint',
    };
    expect(await dp.waypoints()).toEqual([
      { ...wp, servedBy: from.revision, renderedBy: from.revision, ready: true },
    ]);
    expect(waypointsNotOn(await dp.waypoints(), to.revision).map((l) => l.why)).toEqual([
      `served by \`${from.revision}\`, not \`${to.revision}\`: it follows the \`default\` tag, which does not point at \`${to.revision}\``,
    ]);
    // a canary istiod of the new version (helm), then the default tag moved: the waypoint follows
    await helmCli([
      'install',
      `istiod-${to.revision}`,
      'istiod',
      '--repo',
      mesh.repo.url,
      '--version',
      NEW,
      '-n',
      SYS,
      '--set',
      'profile=ambient',
      '--set',
      `revision=${to.revision}`,
    ]);
    await waitForWebhooksOnStandin();
    await waitForDeploymentAvailable(SYS, `istiod-${to.revision}`);
    await istioctl(NEW, ['tag', 'set', 'default', '--revision', to.revision, '-y', '--overwrite']);
    await waitForWebhooksOnStandin();
    await waitFor(
      'the waypoint on the new revision',
      async () => waypointsNotOn(await dp.waypoints(), to.revision).length === 0,
      120_000,
      500,
    );
    expect(await dp.waypoints()).toEqual([
      { ...wp, servedBy: to.revision, renderedBy: to.revision, ready: true },
    ]);
    expect(waypointsOn(await dp.waypoints(), from.revision)).toEqual([]);

    const plan = planAmbient(view, { from, to, controlPlaneHelm: true, maxMinorSkew: 99 });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.value.nodeWaves.map((w) => w.nodes)).toEqual([[nodes[0]], [nodes[1]]]);
    const target = { namespace: plan.value.namespace, releases: plan.value.releases };

    // a target chart without an updateStrategy value cannot be held: refused, nothing changes
    const refused = await dp.upgradeReleases(target, to, from, undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CodedError);
    expect(String((refused as Error).message)).toMatch(/no updateStrategy value/);

    // the user's own strategy for ztunnel (a value the 1.25 chart does not render yet: no pod moves)
    await helmCli([
      'upgrade',
      'ztunnel',
      'ztunnel',
      '--repo',
      mesh.repo.url,
      '--version',
      OLD,
      '-n',
      SYS,
      '--reuse-values',
      '--set',
      'updateStrategy.type=RollingUpdate',
      '--set',
      'updateStrategy.rollingUpdate.maxUnavailable=2',
      '--set',
      'updateStrategy.rollingUpdate.maxSurge=0', // the 1.31 chart's default surge 1 needs maxUnavailable 0
      '--wait',
    ]);
    const user = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } };
    const want = [
      { agent: 'ztunnel', release: 'ztunnel', userStrategy: user },
      { agent: 'cni', release: 'istio-cni', userStrategy: null },
    ];
    // read before anything changes (the engine saves this), then the held upgrade — as after a
    // crash before the save: no prior; the user's strategy, never the held OnDelete
    expect(await dp.readHolds(target)).toEqual(want);
    const before = podNames(view.pods);
    const holds = await dp.upgradeReleases(target, from, to, undefined);
    expect(holds).toEqual(want);
    expect(await dp.readHolds(target)).toEqual(want);
    const held = await dp.inspect();
    expect(podNames(held.pods)).toEqual(before);
    expect(versionsByNode(held.pods)).toEqual(all(OLD));
    const zvalues = JSON.parse(await helmCli(['get', 'values', 'ztunnel', '-n', SYS, '-o', 'json']));
    expect(zvalues.revision).toBe(to.revision); // re-pointed at the new istiod
    expect(zvalues.updateStrategy.type).toBe('OnDelete'); // held
    // a re-run changes nothing
    const again = await dp.upgradeReleases(target, from, to, holds);
    expect(again).toEqual(holds);

    // node wave 1: only its node moves; verifying the other one fails with what is wrong
    await dp.replaceOnNodes([nodes[0]!], NEW);
    await dp.verifyNodes([nodes[0]!], NEW, { timeoutMs: 60_000 });
    const w1 = versionsByNode((await dp.inspect()).pods);
    expect(w1[`${nodes[0]}/ztunnel`]).toBe(NEW);
    expect(w1[`${nodes[1]}/ztunnel`]).toBe(OLD);
    await expect(dp.verifyNodes([nodes[1]!], NEW, { timeoutMs: 1 })).rejects.toThrow(
      new RegExp(`${nodes[1]}: ztunnel pod .* runs ${OLD.replace(/\./g, '\\.')}, not`),
    );
    // node wave 2, cordoned around it; someone else has cordoned node 1 meanwhile: not the bot's
    await kubectl(['cordon', nodes[0]!]);
    expect(await dp.setCordon(nodes, true)).toEqual([nodes[1]]);
    expect(await dp.setCordon(nodes, true)).toEqual([nodes[1]]); // a retried step: the same
    expect(await nodeState(nodes[1]!)).toEqual({ unschedulable: true, marked: 'true' });
    expect(await nodeState(nodes[0]!)).toEqual({ unschedulable: true, marked: undefined });
    await dp.replaceOnNodes([nodes[1]!], NEW);
    await dp.verifyNodes([nodes[1]!], NEW, { timeoutMs: 60_000 });
    expect(await dp.setCordon(nodes, false)).toEqual([nodes[1]]);
    expect(await nodeState(nodes[1]!)).toEqual({ unschedulable: false, marked: undefined });
    expect(await nodeState(nodes[0]!)).toEqual({ unschedulable: true, marked: undefined });
    await kubectl(['uncordon', nodes[0]!]);
    const moved = await dp.inspect();
    expect(versionsByNode(moved.pods)).toEqual(all(NEW));
    expect(moved.nodes.some((n) => n.unschedulable)).toBe(false);

    // the hold given back: the user's strategy again, no pod replaced
    await dp.releaseHold(SYS, holds, NEW);
    const ds = JSON.parse((await kubectl(['get', 'ds', '-n', SYS, '-o', 'json'])).stdout) as {
      items: { metadata: { name: string }; spec: { updateStrategy: Record<string, unknown> } }[];
    };
    expect(Object.fromEntries(ds.items.map((d) => [d.metadata.name, d.spec.updateStrategy]))).toMatchObject({
      'istio-cni-node': { type: 'RollingUpdate' }, // the chart's default (its user gave none)
      ztunnel: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }, // its user's
    });
    expect(podNames((await dp.inspect()).pods)).toEqual(podNames(moved.pods));

    // rollback: every node back on OLD
    await dp.rollbackReleases(target, NEW);
    await dp.verifyNodes(nodes, OLD, { timeoutMs: 120_000 });
    expect(versionsByNode((await dp.inspect()).pods)).toEqual(all(OLD));
  }, 900_000);
});
