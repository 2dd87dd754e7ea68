// The chart on the REAL test cluster (test/cluster): its manifests pass a server-side dry run, and a
// ServiceAccount token (TokenRequest API) bound to the rendered ClusterRole and Role does everything
// the bot does, with the REAL istioctl of two versions (install, tags, precheck, uninstall) and the
// cluster adapters (inspect, relabel, restart, wait, verify, proxy-status, Gateway API gateways) —
// and cannot read a Secret by name elsewhere nor delete a namespace. One call path per file
// (rbac-istioctl.ts, rbac-wave.ts, rbac-proxy-status.ts, rbac-gateway-api.ts, rbac-refusals.ts), run
// here in order on one cluster: each builds on the previous one (revisions installed, a tag set).
// It runs on a test cluster of its own (test/cluster/up.sh with its own CLUSTER_STATE/CLUSTER_NAME,
// about 10 s when the binaries are built), so istioctl installs the default profile exactly as the
// bot does and nothing on the shared cluster is touched; HELM_TEST_SHARED_CLUSTER=1 uses the shared
// one (with a minimal-profile overlay, to leave its ingress gateway alone).
// Without helm or the cluster binaries: a loud notice (CI=true: failure).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterAdapters } from '../../src/cluster/registry.js';
import { createLogger } from '../../src/log.js';
import { clusterGate, suffix } from '../cluster-adapters/cluster-support.js';
import {
  clusterDown,
  clusterEnv,
  istioctlWrapperPath,
  istioVersions,
  kubeConfig,
  kubectlPath,
  run,
} from '../support/cluster-harness.js';
import { CI_VALUES, helmGate, renderText, SPLIT_VALUES } from './helm-support.js';
import { asBot, ISTIO, kubectl, LONG, names, type RbacRun } from './rbac-context.js';
import { gatewayApi } from './rbac-gateway-api.js';
import { finish, installTwoRevisions, precheck, setAndListTag } from './rbac-istioctl.js';
import { proxyStatus } from './rbac-proxy-status.js';
import { noEscalation, noSecretsNoNamespaceDelete, secretsListStatement } from './rbac-refusals.js';
import { applyChartRbac, tokenKubeconfig } from './rbac-support.js';
import { moveWave } from './rbac-wave.js';

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

describe.skipIf(!gate.run)('helm chart on the test cluster (chart ServiceAccount token)', () => {
  const r = { ...names(suffix(), OLD, NEW) } as RbacRun;

  beforeAll(async () => {
    r.dir = mkdtempSync(join(tmpdir(), 'iub-helm-'));
    r.admin = kubeConfig();
    const core = r.admin.makeApiClient(CoreV1Api);
    for (const name of [r.NS, r.APPS, r.OTHER, 'istio-system']) {
      await core.createNamespace({ body: { metadata: { name } } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    }
  });

  afterAll(async () => {
    if (!r.admin) return;
    if (OWN_CLUSTER) {
      rmSync(r.dir, { recursive: true, force: true });
      await clusterDown();
      return;
    }
    const core = r.admin.makeApiClient(CoreV1Api);
    // whatever the scenario left behind, removed as cluster admin
    for (const [version, rev] of [
      [NEW, r.R_NEW],
      [OLD, r.R_OLD],
    ] as const) {
      await run(istioctlWrapperPath(version), ['uninstall', '--revision', rev, '-y'], 300_000).catch(() => 0);
    }
    await run(istioctlWrapperPath(NEW), ['tag', 'remove', r.TAG, '-y']).catch(() => 0);
    // had the guard failed, the escalation attempts would have left these behind
    await run(kubectlPath(), [
      'delete',
      'clusterrolebinding,clusterrole',
      '--ignore-not-found',
      `pwn-${r.S}`,
      `istio-pwn-${r.S}`,
    ]).catch(() => 0);
    await run(kubectlPath(), ['delete', 'rolebinding', '-n', ISTIO, '--ignore-not-found', r.NO_PS]).catch(
      () => 0,
    );
    const rbac = join(r.dir, 'rbac.yaml');
    await run(kubectlPath(), ['delete', '--ignore-not-found', '--wait=false', '-f', rbac]).catch(() => 0);
    for (const name of [r.NS, r.APPS, r.OTHER]) await core.deleteNamespace({ name }).catch(() => undefined);
    rmSync(r.dir, { recursive: true, force: true });
  }, 600_000);

  it('passes a server-side dry run: default values and split values', LONG, async () => {
    for (const [label, args] of [
      ['default', ['-f', CI_VALUES]],
      // no ServiceMonitor: the test cluster has no Prometheus Operator CRDs
      ['split', ['-f', SPLIT_VALUES, '--set', 'metrics.serviceMonitor.enabled=false']],
    ] as const) {
      const file = join(r.dir, `${label}.yaml`);
      writeFileSync(file, await renderText(r.RELEASE, r.NS, [...args]));
      const res = await kubectl(['apply', '--dry-run=server', '-f', file]);
      const lines = res.stdout.trim().split('\n');
      expect(lines.length, res.stdout).toBeGreaterThanOrEqual(10);
      for (const l of lines) expect(l, label).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    }
  });

  it(
    'issues a token (TokenRequest API) for the ServiceAccount bound to the rendered RBAC',
    LONG,
    async () => {
      await applyChartRbac(r.RELEASE, r.NS, r.dir);
      r.tokenConfig = await tokenKubeconfig(r.admin, r.NS, r.SA, r.dir);
      const who = await asBot(r, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(who.stdout).toBe(`system:serviceaccount:${r.NS}:${r.SA}`);

      // the adapters the worker runs, on that token; on the shared cluster istioctl installs a minimal
      // profile (istiod only) so the ingress gateway of the other suites is left alone
      const overlay = join(r.dir, 'overlay.yaml');
      writeFileSync(
        overlay,
        'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n',
      );
      const c = { name: 'chart', context: 'chart-sa', kubeconfig: r.tokenConfig };
      r.a = createClusterAdapters(c, {
        clusters: [c],
        istioctlDir: join(clusterEnv().stateDir, 'bin'),
        istioctlTimeoutMs: 600_000,
        proxyStatusSource: 'istioctl',
        ...(OWN_CLUSTER ? {} : { installOverlay: overlay }),
        logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
      });
    },
  );

  it('runs istioctl x precheck with no permission finding', LONG, () => precheck(r));
  it('installs two revisions with the real istioctl install, and verifies them', LONG, () =>
    installTwoRevisions(r),
  );
  it('sets and lists a revision tag with istioctl tag', LONG, () => setAndListTag(r));
  it('moves a wave: inspect, relabel, restart, watch the rollout, verify, proxy-status', LONG, () =>
    moveWave(r),
  );
  it('runs the real istioctl proxy-status of both versions as the chart ServiceAccount', LONG, () =>
    proxyStatus(r),
  );
  it('lists, relabels and verifies a Gateway API gateway (none without the CRDs)', LONG, () => gatewayApi(r));
  it('finishes: moves and removes the tag, uninstalls the old revision with istioctl uninstall', LONG, () =>
    finish(r),
  );
  it(
    'cannot read a Secret in another namespace by name, nor write Secrets, nor delete a namespace',
    LONG,
    () => noSecretsNoNamespaceDelete(r),
  );
  it('cannot turn escalate/bind against the cluster: the guard policy stops non-Istio RBAC', LONG, () =>
    noEscalation(r),
  );
  it('states what it cannot avoid: istioctl lists and watches Secrets in every namespace (ADR 0008)', () =>
    secretsListStatement(r));
});
