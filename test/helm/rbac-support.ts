// Shared by the chart's RBAC proofs (test/helm/rbac.test.ts, test/e2e/scenarios-7-chart-rbac.e2e.ts):
// a kubeconfig carrying a ServiceAccount's token, and what the real `istioctl proxy-status` asks of
// the API server, checked for a ServiceAccount per call path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { kubectl, kubectlPath, run } from '../support/cluster-harness.js';
import { CI_VALUES, renderText } from './helm-support.js';

/** Renders the chart's ServiceAccount, RBAC and guard policies (CI values), applies them; the file. */
export async function applyChartRbac(release: string, namespace: string, dir: string): Promise<string> {
  const file = join(dir, 'rbac.yaml');
  const only = ['serviceaccount', 'rbac', 'rbac-guard'].flatMap((t) => [
    '--show-only',
    `templates/${t}.yaml`,
  ]);
  writeFileSync(file, await renderText(release, namespace, ['-f', CI_VALUES, ...only]));
  await kubectl(['apply', '-f', file]);
  return file;
}

/** Requests a token (TokenRequest API) for namespace/name as admin; writes a kubeconfig using it. */
export async function tokenKubeconfig(admin: KubeConfig, namespace: string, name: string, dir: string) {
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token ?? '';
  if (token === '') throw new Error(`no token issued for ${namespace}/${name}`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...admin.getCurrentCluster()!, name: 'test' }],
    users: [{ name: 'bot', token }],
    contexts: [{ name: 'chart-sa', cluster: 'test', user: 'bot' }],
    currentContext: 'chart-sa',
  });
  const path = join(dir, `token-${namespace}-${name}.kubeconfig`);
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

export interface Subject {
  namespace: string;
  serviceAccount: string;
  /** A kubeconfig with the ServiceAccount's own token. */
  kubeconfig: string;
}

/** `kubectl auth can-i` for the subject, asked by the admin with `--as`. */
export async function canI(s: Subject, args: string[]): Promise<string> {
  const as = `system:serviceaccount:${s.namespace}:${s.serviceAccount}`;
  return (await run(kubectlPath(), ['auth', 'can-i', '--as', as, ...args])).stdout.trim();
}

/**
 * Every API call of the real `istioctl proxy-status` (1.25.3 and 1.31-dev read alike) is allowed for
 * the subject, and nothing next to them: istioctl/pkg/multixds/gather.go lists the running istiod
 * pods, xds.DialOptions requests a token for the Istio namespace's `default` ServiceAccount
 * (pkg/kube/rpc_creds.go; done here for real, as istioctl asks for it), pkg/kube/portforwarder.go
 * POSTs pods/<istiod>/portforward and GETs the pod; with no running istiod, the xDS address comes
 * from the injector webhooks. 1.31-dev first tries a WebSocket (GET) and falls back to SPDY (POST,
 * RBAC `create`) on an upgrade failure, which a 403 is (client-go transport/websocket).
 */
export async function expectProxyStatusAccess(
  s: Subject,
  istioNamespace: string,
  otherNamespace: string,
  istiodPods: string[],
): Promise<void> {
  expect(istiodPods.length).toBeGreaterThan(0);
  const paths: [string, string[], 'yes' | 'no'][] = [
    ['list istiod pods', ['list', 'pods', '-n', istioNamespace], 'yes'],
    [
      'token of default',
      ['create', 'serviceaccounts/default', '--subresource=token', '-n', istioNamespace],
      'yes',
    ],
    ['list injector webhooks', ['list', 'mutatingwebhookconfigurations'], 'yes'],
    ...istiodPods.flatMap((p): [string, string[], 'yes' | 'no'][] => [
      [
        `port-forward ${p}`,
        ['create', `pods/${p}`, '--subresource=portforward', '-n', istioNamespace],
        'yes',
      ],
      [`get ${p}`, ['get', `pods/${p}`, '-n', istioNamespace], 'yes'],
    ]),
    // and no more than that (1.31-dev's WebSocket GET is refused and falls back to the SPDY POST)
    ['port-forward by GET', ['get', 'pods', '--subresource=portforward', '-n', istioNamespace], 'no'],
    [
      'token of istiod',
      ['create', 'serviceaccounts/istiod', '--subresource=token', '-n', istioNamespace],
      'no',
    ],
    [
      'token elsewhere',
      ['create', 'serviceaccounts/default', '--subresource=token', '-n', otherNamespace],
      'no',
    ],
    ['port-forward elsewhere', ['create', 'pods', '--subresource=portforward', '-n', otherNamespace], 'no'],
    ['exec into istiod', ['create', 'pods', '--subresource=exec', '-n', istioNamespace], 'no'],
  ];
  const got: string[] = [];
  for (const [what, args] of paths) got.push(`${what}: ${await canI(s, args)}`);
  expect(got).toEqual(paths.map(([what, , want]) => `${what}: ${want}`));

  const tok = await run(kubectlPath(), [
    '--kubeconfig',
    s.kubeconfig,
    'create',
    'token',
    'default',
    '-n',
    istioNamespace,
    '--audience',
    'istio-ca',
    '--duration',
    '3600s',
  ]);
  expect(tok.exitCode, tok.stderr).toBe(0);
  const claims = JSON.parse(Buffer.from(tok.stdout.trim().split('.')[1] ?? '', 'base64url').toString('utf8'));
  expect([claims.sub, claims.aud]).toEqual([`system:serviceaccount:${istioNamespace}:default`, ['istio-ca']]);
}
