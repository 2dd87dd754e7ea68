// The chart on the REAL test cluster (test/cluster): its manifests pass a server-side dry run, and a
// ServiceAccount token (TokenRequest API) bound to the rendered ClusterRole and Role does everything
// the bot does, with the REAL istioctl of two versions (install, tags, precheck, uninstall) and the
// cluster adapters (inspect, relabel, restart, wait, verify, proxy-status) — and cannot read a Secret
// by name elsewhere nor delete a namespace. Ordered: each test builds on the previous one.
// It runs on a test cluster of its own (test/cluster/up.sh with its own CLUSTER_STATE/CLUSTER_NAME,
// about 10 s when the binaries are built), so istioctl installs the default profile exactly as the
// bot does and nothing on the shared cluster is touched; HELM_TEST_SHARED_CLUSTER=1 uses the shared
// one (with a minimal-profile overlay, to leave its ingress gateway alone).
// Without helm or the cluster binaries: a loud notice (CI=true: failure).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterAdapters, createClusterAdapters } from '../../src/cluster/registry.js';
import type { WorkloadRef } from '../../src/engine/ports.js';
import { createLogger } from '../../src/log.js';
import { clusterGate, deployment, suffix } from '../cluster-adapters/cluster-support.js';
import {
  clusterDown,
  clusterEnv,
  istioctlPath,
  istioctlWrapperPath,
  istioVersions,
  kubeConfig,
  kubectlPath,
  run,
  runOk,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import { CI_VALUES, helmGate, renderText, SPLIT_VALUES } from './helm-support.js';
import { applyChartRbac, expectProxyStatusAccess, tokenKubeconfig } from './rbac-support.js';

const WHAT = 'helm chart on the test cluster (test/helm/rbac.test.ts)';
const OWN_CLUSTER = process.env.HELM_TEST_SHARED_CLUSTER !== '1';
if (OWN_CLUSTER) {
  // read by test/cluster/*.sh and so by the harness (this test file runs in a process of its own)
  process.env.CLUSTER_STATE = join(tmpdir(), `iub-helm-cluster-${process.pid}`);
  process.env.CLUSTER_NAME = 'iub-helm';
}
const helmOk = helmGate(WHAT).run;
const gate = helmOk ? await clusterGate(WHAT) : { run: false, reason: 'helm not built' };
const [OLD = '', NEW = ''] = gate.run ? istioVersions() : [];
const S = suffix();
const NS = `iub-helm-${S}`; // the release's namespace
const APPS = `iub-helm-${S}-apps`; // a namespace the bot upgrades
const OTHER = `iub-helm-${S}-other`; // someone else's namespace, with a Secret
const RELEASE = `h${S}`;
const SA = `${RELEASE}-istio-upgrade-bot`;
const R_OLD = `h${S}-old`;
const R_NEW = `h${S}-new`;
const TAG = `h${S}-stable`;
const NO_PS = `h${S}-no-ps`; // a ServiceAccount without the chart's Role
const ISTIO = 'istio-system';
// Where the real istioctl stops once the API server let every call through: list, token, GET pod and
// the port-forward itself are done (istioctl reports this only after fw.Start() succeeded), and the
// xDS handshake then fails, because KWOK's fake kubelet forwards no port 15012 (no istiod runs).
const PAST_RBAC = /could not get XDS from discovery pod "istiod-[^"]+": .*(handshake|EOF|Unavailable)/;
const LONG = { timeout: 900_000 };

describe.skipIf(!gate.run)('helm chart on the test cluster (chart ServiceAccount token)', () => {
  let dir: string;
  let admin: KubeConfig;
  let tokenConfig: string;
  let a: ClusterAdapters;
  const wave: WorkloadRef[] = [{ kind: 'Deployment', namespace: APPS, name: 'web' }];
  const kubectl = (args: string[]) => runOk(kubectlPath(), args);
  const asBot = (args: string[]) => run(kubectlPath(), ['--kubeconfig', tokenConfig, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iub-helm-'));
    admin = kubeConfig();
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [NS, APPS, OTHER, 'istio-system']) {
      await core.createNamespace({ body: { metadata: { name } } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    }
  });

  afterAll(async () => {
    if (!admin) return;
    if (OWN_CLUSTER) {
      rmSync(dir, { recursive: true, force: true });
      await clusterDown();
      return;
    }
    const core = admin.makeApiClient(CoreV1Api);
    // whatever the scenario left behind, removed as cluster admin
    for (const [version, rev] of [
      [NEW, R_NEW],
      [OLD, R_OLD],
    ] as const) {
      await run(istioctlWrapperPath(version), ['uninstall', '--revision', rev, '-y'], 300_000).catch(() => 0);
    }
    await run(istioctlWrapperPath(NEW), ['tag', 'remove', TAG, '-y']).catch(() => 0);
    // had the guard failed, the escalation attempts would have left these behind
    await run(kubectlPath(), [
      'delete',
      'clusterrolebinding,clusterrole',
      '--ignore-not-found',
      `pwn-${S}`,
      `istio-pwn-${S}`,
    ]).catch(() => 0);
    await run(kubectlPath(), ['delete', 'rolebinding', '-n', ISTIO, '--ignore-not-found', NO_PS]).catch(
      () => 0,
    );
    const rbac = join(dir, 'rbac.yaml');
    await run(kubectlPath(), ['delete', '--ignore-not-found', '--wait=false', '-f', rbac]).catch(() => 0);
    for (const name of [NS, APPS, OTHER]) await core.deleteNamespace({ name }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);

  it('passes a server-side dry run: default values and split values', LONG, async () => {
    for (const [label, args] of [
      ['default', ['-f', CI_VALUES]],
      // no ServiceMonitor: the test cluster has no Prometheus Operator CRDs
      ['split', ['-f', SPLIT_VALUES, '--set', 'metrics.serviceMonitor.enabled=false']],
    ] as const) {
      const file = join(dir, `${label}.yaml`);
      writeFileSync(file, await renderText(RELEASE, NS, [...args]));
      const r = await kubectl(['apply', '--dry-run=server', '-f', file]);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length, r.stdout).toBeGreaterThanOrEqual(10);
      for (const l of lines) expect(l, label).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    }
  });

  it(
    'issues a token (TokenRequest API) for the ServiceAccount bound to the rendered RBAC',
    LONG,
    async () => {
      await applyChartRbac(RELEASE, NS, dir);
      tokenConfig = await tokenKubeconfig(admin, NS, SA, dir);
      const who = await asBot(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(who.stdout).toBe(`system:serviceaccount:${NS}:${SA}`);

      // the adapters the worker runs, on that token; on the shared cluster istioctl installs a minimal
      // profile (istiod only) so the ingress gateway of the other suites is left alone
      const overlay = join(dir, 'overlay.yaml');
      writeFileSync(
        overlay,
        'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n',
      );
      const c = { name: 'chart', context: 'chart-sa', kubeconfig: tokenConfig };
      a = createClusterAdapters(c, {
        clusters: [c],
        istioctlDir: join(clusterEnv().stateDir, 'bin'),
        istioctlTimeoutMs: 600_000,
        proxyStatusSource: 'istioctl',
        ...(OWN_CLUSTER ? {} : { installOverlay: overlay }),
        logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
      });
    },
  );

  it('runs istioctl x precheck with no permission finding', LONG, async () => {
    for (const v of [OLD, NEW]) {
      const findings = await a.installer.precheck(v);
      expect(
        findings.filter((f) => f.code === 'IST0141'),
        JSON.stringify(findings),
      ).toEqual([]);
    }
  });

  it('installs two revisions with the real istioctl install, and verifies them', LONG, async () => {
    await a.installer.install(OLD, R_OLD);
    await a.installer.install(NEW, R_NEW);
    await waitForWebhooksOnStandin();
    await a.installer.verify(R_OLD);
    await a.installer.verify(R_NEW);
    expect(await a.inspector.controlPlanes()).toEqual(
      expect.arrayContaining([
        { revision: R_OLD, version: OLD, ready: true },
        { revision: R_NEW, version: NEW, ready: true },
      ]),
    );
  });

  it('sets and lists a revision tag with istioctl tag', LONG, async () => {
    await a.tagger.setTag(TAG, R_OLD);
    expect(await a.inspector.tags()).toContainEqual({ tag: TAG, revision: R_OLD });
    for (const v of [OLD, NEW]) {
      expect((await a.istioctl.tagList(v)).find((t) => t.tag === TAG)?.revision).toBe(R_OLD);
    }
  });

  it('moves a wave: inspect, relabel, restart, watch the rollout, verify, proxy-status', LONG, async () => {
    const apps = admin.makeApiClient(AppsV1Api);
    const core = admin.makeApiClient(CoreV1Api);
    await core.patchNamespace({
      name: APPS,
      body: [{ op: 'add', path: '/metadata/labels', value: { 'istio.io/rev': TAG } }],
    });
    await apps.createNamespacedDeployment({ namespace: APPS, body: deployment(APPS, 'web', 2) });
    await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000 });
    expect((await a.inspector.namespaces()).find((n) => n.name === APPS)).toEqual({
      name: APPS,
      injection: null,
      rev: TAG,
    });
    expect((await a.inspector.workloads([APPS])).map((w) => w.name)).toEqual(['web']);
    for (const p of await a.inspector.sidecars([APPS]))
      expect([p.revision, p.proxyVersion]).toEqual([R_OLD, OLD]);
    const before = await a.proxyStatus.capture([R_OLD, R_NEW]);
    expect(before.join('\n')).toContain(`.${APPS}`);

    await a.mover.point(APPS, { revision: R_NEW });
    await a.restarter.restart(wave, new Date().toISOString());
    await a.restarter.waitForRollouts(wave, { timeoutMs: 180_000 });
    const r = await a.inspector.verifyRevision([APPS], R_NEW, wave);
    expect(r.checked).toBe(2);
    for (const p of await a.inspector.sidecars([APPS])) expect(p.proxyVersion).toBe(NEW);
    expect((await a.proxyStatus.capture([R_OLD, R_NEW])).join('\n')).toContain(`.${APPS}`);
  });

  it('runs the real istioctl proxy-status of both versions as the chart ServiceAccount', LONG, async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const istiods = (
      await core.listNamespacedPod({ namespace: ISTIO, labelSelector: 'app=istiod' })
    ).items.map((p) => p.metadata!.name!);
    expect(istiods).toHaveLength(2);
    const bot = { namespace: NS, serviceAccount: SA, kubeconfig: tokenConfig };
    await expectProxyStatusAccess(bot, ISTIO, APPS, istiods);
    // a ServiceAccount with the chart's ClusterRole but not its Role: the same istioctl is refused
    await kubectl(['create', 'serviceaccount', NO_PS, '-n', NS]);
    await kubectl([
      'create',
      'rolebinding',
      NO_PS,
      '-n',
      ISTIO,
      `--clusterrole=${SA}`,
      `--serviceaccount=${NS}:${NO_PS}`,
    ]);
    const noPs = await tokenKubeconfig(admin, NS, NO_PS, dir);
    for (const [v, args] of [
      [OLD, []],
      [NEW, ['--revision', R_NEW]], // as the bot runs it from 1.28 (src/cluster/istioctl/commands.ts)
    ] as const) {
      const ps = await run(istioctlPath(v), ['--kubeconfig', tokenConfig, 'proxy-status', ...args], 120_000);
      console.log(
        `[rbac] istioctl ${v} proxy-status as the chart SA: exit ${ps.exitCode}\n${ps.stdout}\n${ps.stderr}`,
      );
      expect(ps.exitCode).not.toBe(0);
      expect(`${ps.stdout}${ps.stderr}`).not.toMatch(/forbidden/i);
      expect(ps.stderr).toMatch(PAST_RBAC);
      // KWOK's fake kubelet got the forward for istiod's xDS port: the API server let it through
      expect(ps.stdout + ps.stderr).toMatch(/no forward found for port 15012 in pod "istio-system\/istiod-/);
      const refused = await run(istioctlPath(v), ['--kubeconfig', noPs, 'proxy-status', ...args], 120_000);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toMatch(
        /failed to create RPC credentials for "default\.istio-system": .*cannot create resource "serviceaccounts\/token"/,
      );
    }
  });

  it(
    'finishes: moves and removes the tag, uninstalls the old revision with istioctl uninstall',
    LONG,
    async () => {
      await a.tagger.setTag(TAG, R_NEW);
      expect(await a.inspector.tags()).toContainEqual({ tag: TAG, revision: R_NEW });
      await a.tagger.removeTag(TAG);
      expect((await a.istioctl.tagList(NEW)).find((t) => t.tag === TAG)).toBeUndefined();
      await a.installer.uninstall(OLD, R_OLD);
      const planes = (await a.inspector.controlPlanes()).map((p) => p.revision);
      expect(planes).toContain(R_NEW);
      expect(planes).not.toContain(R_OLD);
    },
  );

  it(
    'cannot read a Secret in another namespace by name, nor write Secrets, nor delete a namespace',
    LONG,
    async () => {
      const core = admin.makeApiClient(CoreV1Api);
      await core.createNamespacedSecret({
        namespace: OTHER,
        body: { metadata: { name: 'not-yours' }, stringData: { password: 'hunter2' } },
      });
      const get = await asBot(['get', 'secret', 'not-yours', '-n', OTHER, '-o', 'name']);
      expect(get.exitCode).not.toBe(0);
      expect(get.stderr).toMatch(
        /secrets "not-yours" is forbidden: User "system:serviceaccount:.*" cannot get resource "secrets"/,
      );
      const del = await asBot(['delete', 'namespace', OTHER, '--wait=false']);
      expect(del.exitCode).not.toBe(0);
      expect(del.stderr).toMatch(
        /namespaces "iub-helm-.*-other" is forbidden: .* cannot delete resource "namespaces"/,
      );
      expect((await core.readNamespace({ name: OTHER })).status?.phase).toBe('Active');

      const can = async (...args: string[]) => (await asBot(['auth', 'can-i', ...args])).stdout.trim();
      for (const ns of [OTHER, NS, 'istio-system', 'kube-system']) {
        for (const verb of ['get', 'create', 'update', 'patch', 'delete']) {
          expect(`${verb} secrets -n ${ns}: ${await can(verb, 'secrets', '-n', ns)}`).toBe(
            `${verb} secrets -n ${ns}: no`,
          );
        }
      }
      for (const verb of ['delete', 'update']) {
        expect(`${verb} namespaces: ${await can(verb, 'namespaces')}`).toBe(`${verb} namespaces: no`);
      }
      // other things a bot must not do: run pods, exec, touch workloads' specs beyond a patch
      expect(await can('create', 'pods', '-n', OTHER)).toBe('no');
      expect(await can('create', 'pods/exec', '-n', OTHER)).toBe('no');
      expect(await can('delete', 'deployments', '-n', OTHER)).toBe('no');
      expect(await can('create', 'deployments', '-n', OTHER)).toBe('no');
      expect(await can('delete', 'customresourcedefinitions')).toBe('no');
    },
  );

  it(
    'cannot turn escalate/bind against the cluster: the guard policy stops non-Istio RBAC',
    LONG,
    async () => {
      const file = join(dir, 'pwn.yaml');
      const crb = (name: string, role: string, ns: string) =>
        [
          'apiVersion: rbac.authorization.k8s.io/v1',
          'kind: ClusterRoleBinding',
          `metadata: { name: ${name} }`,
          `roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role} }`,
          `subjects: [{ kind: ServiceAccount, name: ${SA}, namespace: ${ns} }]`,
        ].join('\n');
      const attempts: [string, RegExp][] = [
        // both policies deny this one; whichever answers first gives the message
        [
          crb(`pwn-${S}`, 'cluster-admin', NS),
          /may only write Istio RBAC objects and webhooks|may only bind Istio roles, not cluster-admin/,
        ],
        [crb(`istio-pwn-${S}`, 'cluster-admin', NS), /may only bind Istio roles, not cluster-admin/],
        [
          crb(`istio-pwn-${S}`, `istiod-clusterrole-${R_NEW}-istio-system`, NS),
          /may only bind ServiceAccounts of the Istio namespace/,
        ],
        [
          `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: pwn-${S} }\nrules: []`,
          /may only write Istio RBAC objects and webhooks/,
        ],
      ];
      for (const [yaml, message] of attempts) {
        writeFileSync(file, yaml);
        const r = await asBot(['create', '-f', file]);
        expect(r.exitCode, yaml).not.toBe(0);
        expect(r.stderr, yaml).toMatch(message);
      }
      // what istioctl does is still allowed (the scenario above ran under the same policy)
      expect((await asBot(['auth', 'can-i', 'bind', 'clusterroles'])).stdout.trim()).toBe('yes');
    },
  );

  it('states what it cannot avoid: istioctl lists and watches Secrets in every namespace (ADR 0008)', async () => {
    const can = async (...args: string[]) => (await asBot(['auth', 'can-i', ...args])).stdout.trim();
    expect(await can('list', 'secrets', '-n', OTHER)).toBe('yes');
    expect(await can('watch', 'secrets', '-n', OTHER)).toBe('yes');
    expect(await can('get', 'secrets', '-n', OTHER)).toBe('no');
  });
});
