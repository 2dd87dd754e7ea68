// Chart RBAC, call path 3: the REAL `istioctl proxy-status` of both versions as the chart's
// ServiceAccount gets past the API server (every call allowed, can-i per call); one without the
// chart's Role is refused the token. Run in order by test/helm/rbac.test.ts.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { istioctlPath, run } from '../support/cluster-harness.js';
import { ISTIO, kubectl, type RbacRun } from './rbac-context.js';
import { expectProxyStatusAccess, tokenKubeconfig } from './rbac-support.js';

// Where the real istioctl stops once the API server let every call through: list, token, GET pod and
// the port-forward itself are done (istioctl reports this only after fw.Start() succeeded), and the
// xDS handshake then fails, because KWOK's fake kubelet forwards no port 15012 (no istiod runs).
const PAST_RBAC = /could not get XDS from discovery pod "istiod-[^"]+": .*(handshake|EOF|Unavailable)/;

export async function proxyStatus(r: RbacRun): Promise<void> {
  const { admin, NS, SA, NO_PS } = r;
  const core = admin.makeApiClient(CoreV1Api);
  const istiods = (await core.listNamespacedPod({ namespace: ISTIO, labelSelector: 'app=istiod' })).items.map(
    (p) => p.metadata!.name!,
  );
  expect(istiods).toHaveLength(2);
  const bot = { namespace: NS, serviceAccount: SA, kubeconfig: r.tokenConfig };
  await expectProxyStatusAccess(bot, ISTIO, r.APPS, istiods);
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
  const noPs = await tokenKubeconfig(admin, NS, NO_PS, r.dir);
  for (const [v, args] of [
    [r.OLD, []],
    [r.NEW, ['--revision', r.R_NEW]], // as the bot runs it from 1.28 (src/cluster/istioctl/commands.ts)
  ] as const) {
    const ps = await run(istioctlPath(v), ['--kubeconfig', r.tokenConfig, 'proxy-status', ...args], 120_000);
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
}
