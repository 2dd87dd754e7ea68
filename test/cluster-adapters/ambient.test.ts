// The ambient data plane's adapter (src/cluster/ambient) on the REAL test cluster with the REAL helm
// and the REAL ztunnel and istio-cni charts (installed at the old test version, as istio.io's "Install
// with Helm" does; KWOK runs their DaemonSets' pods on its two nodes): read per node; the held
// upgrade to the new version replaces no pod; node by node each node's agents are replaced and
// verified while the other node keeps the old version; the hold is given back without replacing a
// pod; a rollback puts every node back on the old version; a target chart that cannot be held is
// refused before anything changes.
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAmbientDataPlane } from '../../src/cluster/ambient/index.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import { KubeClient } from '../../src/cluster/kube/client.js';
import type { AgentPod } from '../../src/domain/upgrade/ambient/index.js';
import { imageVersion, planAmbient } from '../../src/domain/upgrade/ambient/index.js';
import { CodedError } from '../../src/errors.js';
import { helmPath } from '../helm/helm-support.js';
import { clusterEnv, istioVersions, kubeconfigPath, revisionOf, runOk } from '../support/cluster-harness.js';
import { ensureAmbientCharts } from '../support/istio-ambient-charts.js';
import { type ChartRepo, serveIstioCharts } from '../support/istio-charts.js';
import { clusterGate, type Gate, releaseCluster } from './cluster-support.js';

const SYS = 'istio-system';
let gate: Gate = { run: false, reason: '', startedHere: false };
let repo: ChartRepo;
let dp: ClusterAmbientDataPlane;
const [OLD = '', NEW = ''] = (() => {
  try {
    return istioVersions();
  } catch {
    return [];
  }
})();

const helmCli = async (args: string[]) =>
  (await runOk(helmPath(), [...args, '--kubeconfig', kubeconfigPath()], 300_000)).stdout;
const versionsByNode = (pods: AgentPod[]) =>
  Object.fromEntries(
    pods
      .filter((p) => !p.terminating)
      .map((p) => [`${p.node}/${p.agent}`, imageVersion(p.image)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
const podNames = (pods: AgentPod[]) => pods.map((p) => p.pod).sort();

beforeAll(async () => {
  gate = await clusterGate('ambient data plane adapter');
  if (!gate.run) return;
  repo = await serveIstioCharts(await ensureAmbientCharts([OLD, NEW]));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const kube = new KubeClient({ context: kc.getCurrentContext(), kubeconfig: kubeconfigPath() });
  const helm = new Helm({
    bin: helmPath(),
    charts: { kind: 'repo', url: repo.url },
    target: { kubeconfig: kubeconfigPath() },
    home: join(clusterEnv().stateDir, 'helm-home-ambient'),
    timeoutMs: 120_000,
  });
  dp = new ClusterAmbientDataPlane(kube, helm, { pollMs: 250 });
  await helmCli([
    'install',
    'istio-cni',
    'cni',
    '--repo',
    repo.url,
    '--version',
    OLD,
    '-n',
    SYS,
    '--create-namespace',
    '--set',
    'profile=ambient',
    '--wait',
  ]);
  await helmCli([
    'install',
    'ztunnel',
    'ztunnel',
    '--repo',
    repo.url,
    '--version',
    OLD,
    '-n',
    SYS,
    '--set',
    `revision=${revisionOf(OLD)}`,
    '--wait',
  ]);
}, 600_000);

afterAll(async () => {
  if (!gate.run) return;
  // a reused cluster (CLUSTER_REUSE=1) must not stay ambient: later scenarios would be refused
  for (const r of ['ztunnel', 'istio-cni'])
    await helmCli(['uninstall', r, '-n', SYS, '--ignore-not-found', '--wait']).catch(() => undefined);
  await repo?.close();
  await releaseCluster(gate);
}, 300_000);

describe('ambient data plane on the test cluster', () => {
  it('reads, upgrades held, moves node by node, gives the hold back and rolls back', async ({ skip }) => {
    // reported as skipped, not passed, when there is no test cluster
    if (!gate.run) skip(gate.reason);
    const from = { version: OLD, revision: revisionOf(OLD) };
    const to = { version: NEW, revision: revisionOf(NEW) };
    const view = await dp.inspect();
    const nodes = view.nodes.map((n) => n.name).sort();
    expect(nodes.length).toBe(2);
    expect(view.daemonSets.map((d) => [d.agent, d.release?.name, d.release?.status])).toEqual([
      ['ztunnel', 'ztunnel', 'deployed'],
      ['cni', 'istio-cni', 'deployed'],
    ]);
    const all = (v: string | null) =>
      Object.fromEntries(
        nodes.flatMap((n) => [
          [`${n}/cni`, v],
          [`${n}/ztunnel`, v],
        ]),
      );
    expect(versionsByNode(view.pods)).toEqual(all(OLD));
    const plan = planAmbient(view, { from, to, controlPlaneHelm: true, maxMinorSkew: 99 });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.value.nodeWaves.map((w) => w.nodes)).toEqual([[nodes[0]], [nodes[1]]]);
    const target = { namespace: plan.value.namespace, releases: plan.value.releases };

    // a target chart without an updateStrategy value cannot be held: refused, nothing changes
    const refused = await dp.upgradeReleases(target, to, from, undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CodedError);
    expect(String((refused as Error).message)).toMatch(/no updateStrategy value/);

    // held upgrade: the DaemonSets' templates are at NEW, no pod replaced
    const before = podNames(view.pods);
    const holds = await dp.upgradeReleases(target, from, to, undefined);
    expect(holds.map((h) => [h.release, h.userStrategy])).toEqual([
      ['ztunnel', null],
      ['istio-cni', null],
    ]);
    const held = await dp.inspect();
    expect(podNames(held.pods)).toEqual(before);
    expect(versionsByNode(held.pods)).toEqual(all(OLD));
    const zvalues = JSON.parse(await helmCli(['get', 'values', 'ztunnel', '-n', SYS, '-o', 'json']));
    expect(zvalues.revision).toBe(to.revision); // re-pointed at the new istiod
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
    // node wave 2 (cordoned and uncordoned around it)
    await dp.setCordon([nodes[1]!], true);
    await dp.replaceOnNodes([nodes[1]!], NEW);
    await dp.verifyNodes([nodes[1]!], NEW, { timeoutMs: 60_000 });
    await dp.setCordon([nodes[1]!], false);
    const moved = await dp.inspect();
    expect(versionsByNode(moved.pods)).toEqual(all(NEW));
    expect(moved.nodes.some((n) => n.unschedulable)).toBe(false);

    // the hold given back: RollingUpdate again, no pod replaced
    await dp.releaseHold(SYS, holds, NEW);
    const ds = JSON.parse(
      (
        await runOk(clusterEnv().kubectl, [
          '--kubeconfig',
          kubeconfigPath(),
          'get',
          'ds',
          '-n',
          SYS,
          '-o',
          'json',
        ])
      ).stdout,
    ) as { items: { metadata: { name: string }; spec: { updateStrategy: { type: string } } }[] };
    expect(ds.items.map((d) => d.spec.updateStrategy.type)).toEqual(['RollingUpdate', 'RollingUpdate']);
    expect(podNames((await dp.inspect()).pods)).toEqual(podNames(moved.pods));

    // rollback: every node back on OLD
    await dp.rollbackReleases(target, NEW);
    await dp.verifyNodes(nodes, OLD, { timeoutMs: 120_000 });
    expect(versionsByNode((await dp.inspect()).pods)).toEqual(all(OLD));
  }, 600_000);
});
