// The chart's RBAC for Helm-managed meshes (rbac.helmReleases, ADR 14), rendered with the real helm:
// off by default (no Secret write anywhere); on, a Role per namespace — the Istio namespace and the
// gateway namespaces, once each — with helm's release Secrets and the charts' objects, bound to the
// bot's ServiceAccount. Without helm: a loud notice (CI=true: failure).
import { describe, expect, it } from 'vitest';
import { CI_VALUES, helmGate, type K8sObject, render, rulesOf } from './helm-support.js';

const gate = helmGate('helm chart RBAC for Helm-managed meshes (test/helm/rbac-helm.test.ts)');
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const writesSecrets = (o: K8sObject) =>
  rulesOf(o).some(
    (r) =>
      r.resources?.includes('secrets') &&
      r.verbs.some((v) => ['create', 'update', 'delete', 'get'].includes(v)),
  );

describe.skipIf(!gate.run)('rbac.helmReleases', () => {
  it('off by default: no Role reads or writes a Secret', async () => {
    const objs = await render('t', 'iub', ['-f', CI_VALUES]);
    const roles = [...byKind(objs, 'Role'), ...byKind(objs, 'ClusterRole')];
    expect(roles.filter(writesSecrets).map((r) => r.metadata.name)).toEqual([]);
    expect(roles.map((r) => r.metadata.name)).not.toContain('t-istio-upgrade-bot-helm');
  });

  it('on: helm release Secrets and the charts’ objects in the Istio namespace and each gateway namespace, once', async () => {
    const objs = await render('t', 'iub', [
      '-f',
      CI_VALUES,
      '--set',
      'rbac.helmReleases.enabled=true',
      '--set',
      'rbac.helmReleases.gatewayNamespaces={istio-ingress,istio-system}',
    ]);
    const roles = byKind(objs, 'Role').filter((r) => r.metadata.name === 't-istio-upgrade-bot-helm');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['istio-ingress', 'istio-system']);
    for (const r of roles) {
      expect(rulesOf(r)).toContainEqual({
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      });
      // helm upgrade patches what it changes (the istioctl Role has no patch of Deployments)
      expect(rulesOf(r)).toContainEqual({
        apiGroups: ['apps'],
        resources: ['deployments'],
        verbs: ['get', 'create', 'update', 'patch', 'delete'],
      });
    }
    const bindings = byKind(objs, 'RoleBinding').filter(
      (b) => b.metadata.name === 't-istio-upgrade-bot-helm',
    );
    expect(bindings.map((b) => [b.metadata.namespace, b.subjects])).toEqual(
      roles.map((r) => [
        r.metadata.namespace,
        [{ kind: 'ServiceAccount', name: 't-istio-upgrade-bot', namespace: 'iub' }],
      ]),
    );
  });
});
