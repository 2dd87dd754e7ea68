// RBAC helpers for the e2e cluster: a kubeconfig that authenticates as a ServiceAccount (token
// from the TokenRequest API), so tests can run the bot with exactly the permissions a ClusterRole
// (e.g. the Helm chart's) grants, instead of the admin certificate.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { clusterEnv, kubeConfig } from './cluster-harness.js';

/**
 * Creates the ServiceAccount if missing, requests a token and writes a kubeconfig using it.
 * Returns the kubeconfig path (in the cluster state directory).
 */
export async function kubeconfigForServiceAccount(
  namespace: string,
  name: string,
  ttlSeconds = 3600,
): Promise<string> {
  const admin = kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  try {
    await core.readNamespacedServiceAccount({ name, namespace });
  } catch {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } });
  }
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: ttlSeconds } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'e2e',
        server: cluster.server,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: `${namespace}-${name}`, token }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: `${namespace}-${name}`, namespace }],
    currentContext: 'e2e',
  });
  const path = join(clusterEnv().stateDir, `kubeconfig-sa-${namespace}-${name}`);
  await writeFile(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}
