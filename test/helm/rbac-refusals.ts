// Chart RBAC, call path 5: what the chart's ServiceAccount cannot do — read a Secret elsewhere by
// name, write Secrets, delete a namespace, run pods; turn escalate/bind against the cluster (the
// guard policies stop it); and what it cannot avoid (istioctl lists Secrets everywhere, ADR 8).
// Run in order by test/helm/rbac.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { asBot, can, type RbacRun } from './rbac-context.js';

export async function noSecretsNoNamespaceDelete(r: RbacRun): Promise<void> {
  const { OTHER, NS } = r;
  const core = r.admin.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace: OTHER,
    body: { metadata: { name: 'not-yours' }, stringData: { password: 'hunter2' } },
  });
  const get = await asBot(r, ['get', 'secret', 'not-yours', '-n', OTHER, '-o', 'name']);
  expect(get.exitCode).not.toBe(0);
  expect(get.stderr).toMatch(
    /secrets "not-yours" is forbidden: User "system:serviceaccount:.*" cannot get resource "secrets"/,
  );
  const del = await asBot(r, ['delete', 'namespace', OTHER, '--wait=false']);
  expect(del.exitCode).not.toBe(0);
  expect(del.stderr).toMatch(
    /namespaces "iub-helm-.*-other" is forbidden: .* cannot delete resource "namespaces"/,
  );
  expect((await core.readNamespace({ name: OTHER })).status?.phase).toBe('Active');

  for (const ns of [OTHER, NS, 'istio-system', 'kube-system']) {
    for (const verb of ['get', 'create', 'update', 'patch', 'delete']) {
      expect(`${verb} secrets -n ${ns}: ${await can(r, verb, 'secrets', '-n', ns)}`).toBe(
        `${verb} secrets -n ${ns}: no`,
      );
    }
  }
  for (const verb of ['delete', 'update']) {
    expect(`${verb} namespaces: ${await can(r, verb, 'namespaces')}`).toBe(`${verb} namespaces: no`);
  }
  // other things a bot must not do: run pods, exec, touch workloads' specs beyond a patch
  expect(await can(r, 'create', 'pods', '-n', OTHER)).toBe('no');
  expect(await can(r, 'create', 'pods/exec', '-n', OTHER)).toBe('no');
  expect(await can(r, 'delete', 'deployments', '-n', OTHER)).toBe('no');
  expect(await can(r, 'create', 'deployments', '-n', OTHER)).toBe('no');
  expect(await can(r, 'delete', 'customresourcedefinitions')).toBe('no');
}

export async function noEscalation(r: RbacRun): Promise<void> {
  const { S, SA, NS, R_NEW } = r;
  const file = join(r.dir, 'pwn.yaml');
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
    const res = await asBot(r, ['create', '-f', file]);
    expect(res.exitCode, yaml).not.toBe(0);
    expect(res.stderr, yaml).toMatch(message);
  }
  // what istioctl does is still allowed (the scenario above ran under the same policy)
  expect(await can(r, 'bind', 'clusterroles')).toBe('yes');
}

export async function secretsListStatement(r: RbacRun): Promise<void> {
  expect(await can(r, 'list', 'secrets', '-n', r.OTHER)).toBe('yes');
  expect(await can(r, 'watch', 'secrets', '-n', r.OTHER)).toBe('yes');
  expect(await can(r, 'get', 'secrets', '-n', r.OTHER)).toBe('no');
}
