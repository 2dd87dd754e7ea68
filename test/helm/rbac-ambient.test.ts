// The chart's RBAC for ambient meshes (rbac.ambient, ADR 20) and for Helm-managed meshes
// (rbac.helmReleases, ADR 14), on the REAL test cluster: the chart's ServiceAccount, ClusterRoles,
// Roles and guard policies (rendered with the real helm, both values on) applied, a token of that
// ServiceAccount (TokenRequest API), then
// - per call path, SelfSubjectAccessReviews with that token: what each adapter call needs is allowed,
//   the next thing beyond it is not (pods of other namespaces, node delete, eviction, Secrets elsewhere);
// - the whole node-wave path of the ambient adapter (src/cluster/ambient) run with that token and the
//   REAL helm: inspect, waypoints, readHolds, the held `helm upgrade` of ztunnel and istio-cni (their
//   ServiceAccounts, ConfigMap, DaemonSets and istio-cni's ClusterRoles, under the guard), pod deletes,
//   verify, cordon/uncordon, the hold given back, `helm rollback`.
// Off by default: the chart renders no ambient rule without rbac.ambient.enabled.
// On the shared test cluster (CLUSTER_REUSE=1); without helm or the cluster binaries: a loud notice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAmbientDataPlane } from '../../src/cluster/ambient/index.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import { KubeClient } from '../../src/cluster/kube/client.js';
import { planAmbient } from '../../src/domain/upgrade/ambient/index.js';
import { clusterGate, type Gate, releaseCluster, suffix } from '../cluster-adapters/cluster-support.js';
import { installAgents, SYS, uninstallAgents } from '../support/ambient-mesh.js';
import {
  istioVersions,
  kubeConfig,
  kubectl,
  kubectlPath,
  revisionOf,
  run,
} from '../support/cluster-harness.js';
import { ensureAmbientCharts } from '../support/istio-ambient-charts.js';
import { type ChartRepo, serveIstioCharts } from '../support/istio-charts.js';
import { CI_VALUES, helmGate, helmPath, render, renderText, rulesOf } from './helm-support.js';
import { mayI } from './rbac-context.js';
import { tokenKubeconfig } from './rbac-support.js';

const WHAT = 'chart RBAC for ambient and Helm-managed meshes (test/helm/rbac-ambient.test.ts)';
const helmOk = helmGate(WHAT).run;
let gate: Gate = { run: false, reason: 'helm not built', startedHere: false };
if (helmOk) gate = await clusterGate(WHAT);
const [OLD = '', NEW = ''] = gate.run ? istioVersions() : [];
const LONG = { timeout: 600_000 };

describe.skipIf(!helmOk)('rbac.ambient rendered', () => {
  it('off by default: no node patch, no pod delete', async () => {
    const objs = await render('t', 'iub', ['-f', CI_VALUES]);
    expect(objs.filter((o) => o.metadata.name === 't-istio-upgrade-bot-ambient')).toEqual([]);
  });

  it('on: node get/list/patch cluster-wide; in the agents’ namespace (istioNamespace unless set) Secrets, pod delete and the charts’ objects', async () => {
    for (const [args, ns] of [
      [[], 'istio-system'],
      [['--set', 'rbac.ambient.namespace=istio-agents'], 'istio-agents'],
    ] as const) {
      const objs = await render('t', 'iub', ['-f', CI_VALUES, '--set', 'rbac.ambient.enabled=true', ...args]);
      const mine = objs.filter((o) => o.metadata.name === 't-istio-upgrade-bot-ambient');
      expect(mine.map((o) => [o.kind, o.metadata.namespace ?? null])).toEqual([
        ['ClusterRole', null],
        ['ClusterRoleBinding', null],
        ['Role', ns],
        ['RoleBinding', ns],
      ]);
      expect(rulesOf(mine[0]!)).toEqual([
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
      ]);
      const role = rulesOf(mine[2]!);
      expect(role).toContainEqual({
        apiGroups: [''],
        resources: ['pods'],
        verbs: ['get', 'list', 'watch', 'delete'],
      });
      for (const r of [...rulesOf(mine[0]!), ...role]) expect(r.verbs).not.toContain('*');
    }
  });
});

describe.skipIf(!gate.run)('rbac.ambient and rbac.helmReleases with the chart ServiceAccount token', () => {
  const S = suffix();
  const RELEASE = `a${S}`;
  const NS = `iub-amb-${S}`;
  const OTHER = `iub-amb-${S}-other`;
  const GWNS = `iub-amb-${S}-gw`;
  const SA = `${RELEASE}-istio-upgrade-bot`;
  let dir = '';
  let rbacFile = '';
  let token = '';
  let repo: ChartRepo | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iub-rbac-amb-'));
    const core = kubeConfig().makeApiClient(CoreV1Api);
    for (const name of [NS, OTHER, GWNS, SYS])
      await core.createNamespace({ body: { metadata: { name } } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    rbacFile = join(dir, 'rbac.yaml');
    const only = ['serviceaccount', 'rbac', 'rbac-guard'].flatMap((t) => [
      '--show-only',
      `templates/${t}.yaml`,
    ]);
    writeFileSync(
      rbacFile,
      await renderText(RELEASE, NS, [
        '-f',
        CI_VALUES,
        '--set',
        'rbac.ambient.enabled=true',
        '--set',
        'rbac.helmReleases.enabled=true',
        '--set',
        `rbac.helmReleases.gatewayNamespaces={${GWNS}}`,
        ...only,
      ]),
    );
    await kubectl(['apply', '-f', rbacFile]);
    token = await tokenKubeconfig(kubeConfig(), NS, SA, dir);
  }, LONG.timeout);

  afterAll(async () => {
    if (!gate.run) return;
    await uninstallAgents();
    await repo?.close();
    if (rbacFile) await run(kubectlPath(), ['delete', '--ignore-not-found', '--wait=false', '-f', rbacFile]);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    for (const name of [NS, OTHER, GWNS]) await core.deleteNamespace({ name }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await releaseCluster(gate);
  }, LONG.timeout);

  /** `verb group/resource [ns]` → allowed, by SelfSubjectAccessReview with the chart token. */
  async function check(rows: [string, string, string, string | undefined, boolean][]): Promise<void> {
    const got: string[] = [];
    for (const [verb, group, resource, ns] of rows)
      got.push(
        `${verb} ${group || 'core'}/${resource} ${ns ?? '(cluster)'}: ${await mayI(token, verb, group, resource, ns)}`,
      );
    expect(got).toEqual(
      rows.map(
        ([verb, group, resource, ns, want]) =>
          `${verb} ${group || 'core'}/${resource} ${ns ?? '(cluster)'}: ${want}`,
      ),
    );
  }

  it(
    'ambient, per call path: allowed what the adapter and helm do, and not the next thing',
    LONG,
    async () => {
      await check([
        // inspect: agents' DaemonSets, their release Secrets, their pods, nodes, ambient namespaces, waypoints
        ['list', 'apps', 'daemonsets', undefined, true],
        ['list', '', 'secrets', SYS, true],
        ['list', '', 'pods', SYS, true],
        ['list', '', 'nodes', undefined, true],
        ['list', '', 'namespaces', undefined, true],
        ['list', 'gateway.networking.k8s.io', 'gateways', undefined, true],
        // waypoints: their Deployments, istiod revisions, tag webhooks
        ['list', 'apps', 'deployments', undefined, true],
        ['list', 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations', undefined, true],
        // readHolds, held upgrade, hold given back, rollback (helm): release storage and the charts' objects
        ...(['get', 'create', 'update', 'delete'] as const).map(
          (v): [string, string, string, string, boolean] => [v, '', 'secrets', SYS, true],
        ),
        ['patch', 'apps', 'daemonsets', SYS, true],
        ['get', '', 'serviceaccounts', SYS, true],
        ['patch', '', 'configmaps', SYS, true],
        ['create', 'networking.k8s.io', 'networkpolicies', SYS, true],
        ['patch', 'rbac.authorization.k8s.io', 'clusterroles', undefined, true],
        ['patch', 'rbac.authorization.k8s.io', 'clusterrolebindings', undefined, true],
        // node waves: delete the agents' pods; cordon
        ['delete', '', 'pods', SYS, true],
        ['patch', '', 'nodes', undefined, true],
        // and no further
        ['delete', '', 'pods', OTHER, false],
        ['delete', '', 'nodes', undefined, false],
        ['create', '', 'pods/eviction', SYS, false],
        ['create', 'apps', 'daemonsets', SYS, false],
        ['delete', 'apps', 'daemonsets', SYS, false],
        ['get', '', 'secrets', OTHER, false],
      ]);
    },
  );

  it(
    'helmReleases, per call path: the Helm canary path in the Istio and gateway namespaces only',
    LONG,
    async () => {
      const rows: [string, string, string, string | undefined, boolean][] = [];
      for (const ns of [SYS, GWNS])
        rows.push(
          // release storage: helm list/get/history read it, install/upgrade/rollback write, uninstall deletes
          ['get', '', 'secrets', ns, true],
          ['list', '', 'secrets', ns, true],
          ['create', '', 'secrets', ns, true],
          ['update', '', 'secrets', ns, true],
          ['delete', '', 'secrets', ns, true],
          // the istiod and gateway charts' objects: got, then patched or created, deleted by uninstall
          ['get', 'apps', 'deployments', ns, true],
          ['patch', 'apps', 'deployments', ns, true],
          ['create', '', 'services', ns, true],
          ['patch', '', 'serviceaccounts', ns, true],
          ['update', '', 'configmaps', ns, true],
          ['create', 'policy', 'poddisruptionbudgets', ns, true],
          ['delete', 'autoscaling', 'horizontalpodautoscalers', ns, true],
          ['create', 'rbac.authorization.k8s.io', 'roles', ns, true],
          ['patch', 'rbac.authorization.k8s.io', 'rolebindings', ns, true],
        );
      rows.push(
        ['get', '', 'secrets', OTHER, false],
        ['create', '', 'secrets', OTHER, false],
        ['create', 'apps', 'deployments', OTHER, false],
      );
      await check(rows);
    },
  );

  it(
    'runs the ambient node-wave path with the token: inspect, waypoints, held upgrade, pod deletes, cordon, hold back, rollback',
    LONG,
    async () => {
      repo = await serveIstioCharts(await ensureAmbientCharts([OLD, NEW]));
      await uninstallAgents();
      await installAgents(repo, OLD, revisionOf(OLD)); // as the cluster's admin, like the user did
      const kube = new KubeClient({ context: 'chart-sa', kubeconfig: token });
      const helm = new Helm({
        bin: helmPath(),
        charts: { kind: 'repo', url: repo.url },
        target: { kubeconfig: token },
        home: join(dir, 'helm-home'),
        timeoutMs: 120_000,
      });
      const dp = new ClusterAmbientDataPlane(kube, helm, { pollMs: 250 });
      const from = { version: OLD, revision: revisionOf(OLD) };
      const to = { version: NEW, revision: revisionOf(NEW) };
      const view = await dp.inspect();
      const nodes = view.nodes.map((n) => n.name).sort();
      expect(view.daemonSets.map((d) => d.release?.status)).toEqual(['deployed', 'deployed']);
      expect(Array.isArray(await dp.waypoints())).toBe(true);
      const plan = planAmbient(view, { from, to, controlPlaneHelm: true, maxMinorSkew: 99 });
      if (!plan.ok) throw new Error(plan.error.message);
      const target = { namespace: plan.value.namespace, releases: plan.value.releases };
      const holds = await dp.readHolds(target);
      expect(await dp.upgradeReleases(target, from, to, holds)).toEqual(holds);
      expect((await dp.replaceOnNodes(nodes, NEW)).length).toBe(4);
      await dp.verifyNodes(nodes, NEW, { timeoutMs: 120_000 });
      expect(await dp.setCordon(nodes, true)).toEqual(nodes);
      expect(await dp.setCordon(nodes, false)).toEqual(nodes);
      await dp.releaseHold(SYS, holds, NEW);
      await dp.rollbackReleases(target, NEW);
      await dp.verifyNodes(nodes, OLD, { timeoutMs: 120_000 });
    },
  );
});
