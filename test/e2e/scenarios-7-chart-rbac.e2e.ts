// Issue 7, end to end: a labels-strategy upgrade to the end (1.25.3 → 1.31-dev, one wave) driven
// through Slack, with the bot's cluster adapters on a kubeconfig carrying the Helm chart's
// ServiceAccount token (the chart's RBAC rendered with the cached helm and applied, TokenRequest API).
// Proves the chart's ClusterRole/Role suffice for the engine-driven upgrade: install, tags, relabel,
// restart, verify, proxy-status (every API call the real istioctl proxy-status makes: can-i per call
// path, and the token request itself), uninstall. Without helm: a loud notice (in CI: failure).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { helmGate } from '../helm/helm-support.js';
import { mayI } from '../helm/rbac-context.js';
import { applyChartRbac, expectProxyStatusAccess, tokenKubeconfig } from '../helm/rbac-support.js';
import { kubeConfig, kubectlPath, run, waitFor } from '../support/cluster-harness.js';
import {
  api,
  approvalMessage,
  approve,
  createApps,
  diffMessage,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  nsRev,
  parentMessage,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  setTag,
  startScenario,
  tags,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const helmOk = cluster.available && helmGate('e2e scenario with the chart ServiceAccount').run;
const RELEASE = 'e2e';
const NS = 'iub-e2e-bot';
const SA = `${RELEASE}-istio-upgrade-bot`;

describe.skipIf(!helmOk)('scenario 7: the upgrade with the chart ServiceAccount token', () => {
  const { OLD, NEW, R_OLD, R_NEW } = helmOk ? versions() : ({} as ReturnType<typeof versions>);
  let s: Scenario;
  let dir: string;
  let rbacFile: string;
  let tokenConfig: string;
  const t0 = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iub-e2e-sa-'));
    await resetMesh();
    await installRevision(OLD, R_OLD); // the existing mesh, installed by the cluster admin
    await setTag(OLD, 'default', R_OLD); // only the bot (with the chart's RBAC) may move it
    await createApps(['sc7-a'], { 'istio.io/rev': R_OLD }, ['web', 'api']);
    await expectPodsOn(['sc7-a'], R_OLD, OLD, 2);

    await api()
      .core.createNamespace({ body: { metadata: { name: NS } } })
      .catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    rbacFile = await applyChartRbac(RELEASE, NS, dir);
    tokenConfig = await tokenKubeconfig(kubeConfig(), NS, SA, dir);
    const asBot = (args: string[]) => run(kubectlPath(), ['--kubeconfig', tokenConfig, ...args]);
    expect((await asBot(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe(
      `system:serviceaccount:${NS}:${SA}`,
    );
    await waitFor('chart RBAC effective', async () => {
      const r = await asBot(['auth', 'can-i', 'patch', 'deployments', '-n', 'sc7-a']);
      return r.stdout.trim() === 'yes';
    });
    // and no more than the chart grants: no namespace delete
    expect((await asBot(['auth', 'can-i', 'delete', 'namespaces'])).stdout.trim()).toBe('no');
    // the plan lists Gateway API gateways (none here: no CRDs, but RBAC answers before the 404)
    expect(await mayI(tokenConfig, 'list', 'gateway.networking.k8s.io', 'gateways')).toBe(true);
    s = await startScenario({ kubeconfig: tokenConfig, context: 'chart-sa' });
    console.log(`[scenario 7] mesh and chart RBAC ready in ${secs(t0)} s`);
  }, 600_000);

  afterAll(async () => {
    await s?.close();
    if (rbacFile)
      await run(kubectlPath(), ['delete', '--ignore-not-found', '--wait=false', '-f', rbacFile]).catch(
        () => 0,
      );
    await api()
      .core.deleteNamespace({ name: NS })
      .catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 7] total ${secs(t0)} s`);
  }, 300_000);

  it('upgrades to the end with only the chart’s permissions', LONG, async () => {
    // what the real istioctl proxy-status asks of the API server (the stand-in that answers `ps`
    // here makes the same token request and port-forward check, with the chart's token)
    const bot = { namespace: NS, serviceAccount: SA, kubeconfig: tokenConfig };
    const istiodPods = await api().core.listNamespacedPod({
      namespace: 'istio-system',
      labelSelector: 'app=istiod',
    });
    await expectProxyStatusAccess(
      bot,
      'istio-system',
      'sc7-a',
      istiodPods.items.map((p) => p.metadata!.name!),
    );
    const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc7-a"`);
    await approve(s, id, 'wave 1');
    const diff = await diffMessage(s, id, 1);
    expect(JSON.stringify(diff.blocks)).toContain(`sc7-a/web\` ${R_OLD} → ${R_NEW}`);
    await approvalMessage(s, id, 'finish');
    expect((await tags(NEW)).default).toBe(R_OLD); // until the finish
    await approve(s, id, 'finish');
    const end = await waitForState(s, id, (r) => r.state === 'done').catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();
    await expectUninstalled(R_OLD);
    expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
    expect((await tags(NEW)).default).toBe(R_NEW);
    expect(await nsRev('sc7-a')).toBe(R_NEW);
    await expectPodsOn(['sc7-a'], R_NEW, NEW, 2);
    expect(parentMessage(s, end)!.text).toContain('done');
    expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  });
});
