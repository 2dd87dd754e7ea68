// The Helm chart (helm/istio-upgrade-bot) with the real helm, built from Go modules
// (test/cluster/build-helm.sh): lint, render, and what the rendered manifests promise.
// Without helm: a loud notice (CI=true: failure).
import { describe, expect, it } from 'vitest';
import {
  CHART,
  CI_VALUES,
  helm,
  helmGate,
  type K8sObject,
  type PolicyRule,
  render,
  rulesOf,
  SPLIT_VALUES,
} from './helm-support.js';

const gate = helmGate('helm chart tests (test/helm/chart.test.ts)');

type Pod = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers: {
    name: string;
    env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    securityContext?: {
      readOnlyRootFilesystem?: boolean;
      allowPrivilegeEscalation?: boolean;
      capabilities?: { drop?: string[] };
    };
    livenessProbe?: unknown;
    readinessProbe?: unknown;
    resources?: { requests?: unknown; limits?: unknown };
  }[];
};
const podOf = (d: K8sObject): Pod => (d.spec as { template: { spec: Pod } }).template.spec;
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const env = (d: K8sObject, name: string) => podOf(d).containers[0]?.env?.find((e) => e.name === name);
const covers = (r: PolicyRule, group: string, resource: string) =>
  (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource);

describe.skipIf(!gate.run)('helm chart', () => {
  it('passes helm lint --strict with each CI values file', async () => {
    for (const f of [CI_VALUES, SPLIT_VALUES]) {
      const r = await helm(['lint', CHART, '--strict', '-f', f]);
      expect(r.exitCode, `${f}\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  it('renders one ROLE=all Deployment by default, with probes, resources and a restrictive securityContext', async () => {
    const objs = await render('t', 'iub', ['-f', CI_VALUES]);
    const deps = byKind(objs, 'Deployment').filter((d) => d.metadata.name !== 't-istio-upgrade-bot-redis');
    expect(deps.map((d) => d.metadata.name)).toEqual(['t-istio-upgrade-bot-all']);
    const d = deps[0]!;
    expect(env(d, 'ROLE')?.value).toBe('all');
    expect(env(d, 'POLICY_FILE')?.value).toBe('/etc/istio-upgrade-bot/policy/policy.json');
    expect(env(d, 'REDIS_URL')?.value).toBe('redis://t-istio-upgrade-bot-redis:6379');
    expect(env(d, 'CLUSTERS')?.value).toBe('local=in-cluster');
    expect(env(d, 'HEALTH_PORT')?.value).toBe('9090');
    expect(env(d, 'SLACK_BOT_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
      name: 't-istio-upgrade-bot-slack',
      key: 'SLACK_BOT_TOKEN',
    });
    const pod = podOf(d);
    expect(pod.serviceAccountName).toBe('t-istio-upgrade-bot');
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
    for (const dep of byKind(objs, 'Deployment')) {
      for (const c of podOf(dep).containers) {
        expect(c.securityContext, `${dep.metadata.name}/${c.name}`).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.livenessProbe).toBeDefined();
        expect(c.readinessProbe).toBeDefined();
        expect(c.resources?.requests).toBeDefined();
      }
    }
    const policy = byKind(objs, 'ConfigMap')[0] as K8sObject & { data: Record<string, string> };
    expect(JSON.parse(policy.data['policy.json']!)).toEqual({
      requesters: ['U0REQUEST'],
      approvers: ['S0APPROVERS', 'U0APPROVE'],
      operators: ['S0SRE'],
      clusters: { local: { channels: ['C0PLATFORM'] } },
      incidentChannels: ['C0INCIDENTS'],
      fourEyes: true,
    });
    const secret = byKind(objs, 'Secret')[0] as K8sObject & { stringData: Record<string, string> };
    expect(secret.stringData).toEqual({ SLACK_BOT_TOKEN: 'xoxb-ci-token', SLACK_APP_TOKEN: 'xapp-ci-token' });
    expect(byKind(objs, 'PodDisruptionBudget').map((p) => p.metadata.name)).toEqual([
      't-istio-upgrade-bot-all',
    ]);
    expect(byKind(objs, 'ServiceMonitor')).toEqual([]);
  });

  it('the in-release Redis persists with AOF everysec into its data volume (emptyDir, or a PVC)', async () => {
    type RedisPod = {
      containers: { args?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
      volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
    };
    const redisPod = async (extra: string[]) => {
      const objs = await render('t', 'iub', ['-f', CI_VALUES, ...extra]);
      const d = byKind(objs, 'Deployment').find((x) => x.metadata.name === 't-istio-upgrade-bot-redis')!;
      return (d.spec as { template: { spec: RedisPod } }).template.spec;
    };
    const pod = await redisPod([]);
    const args = pod.containers[0]?.args ?? [];
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect([flag('--appendonly'), flag('--appendfsync'), flag('--dir')]).toEqual([
      'yes',
      'everysec',
      '/data',
    ]);
    expect(pod.containers[0]?.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    const claimed = await redisPod(['--set', 'redis.persistence.existingClaim=redis-aof']);
    expect(claimed.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'redis-aof' } }]);
  });

  it('split: bot and worker scaled separately; the Slack side has no token and no RBAC', async () => {
    const objs = await render('t', 'iub', ['-f', SPLIT_VALUES]);
    const deps = byKind(objs, 'Deployment');
    expect(deps.map((d) => [d.metadata.name, (d.spec as { replicas: number }).replicas])).toEqual([
      ['t-istio-upgrade-bot-bot', 2],
      ['t-istio-upgrade-bot-worker', 3],
    ]);
    const [bot, worker] = deps as [K8sObject, K8sObject];
    expect(env(bot, 'ROLE')?.value).toBe('bot');
    expect(env(worker, 'ROLE')?.value).toBe('worker');
    expect(podOf(bot).automountServiceAccountToken).toBe(false);
    expect(podOf(bot).serviceAccountName).toBe('t-istio-upgrade-bot-slack');
    expect(podOf(worker).serviceAccountName).toBe('t-istio-upgrade-bot');
    const subjects = [...byKind(objs, 'ClusterRoleBinding'), ...byKind(objs, 'RoleBinding')].flatMap((b) =>
      (b.subjects as { name: string }[]).map((s) => s.name),
    );
    expect(new Set(subjects)).toEqual(new Set(['t-istio-upgrade-bot']));
    // existingSecret: no Secret rendered, the env reads the named Secret; the app token is optional
    expect(byKind(objs, 'Secret')).toEqual([]);
    expect(env(bot, 'SLACK_APP_TOKEN')?.valueFrom?.secretKeyRef).toMatchObject({
      name: 'my-slack-tokens',
      optional: true,
    });
    expect(env(worker, 'SLACK_APP_TOKEN')).toBeUndefined();
    expect(env(worker, 'REDIS_URL')?.value).toBe('redis://redis.example.svc:6379');
    expect(byKind(objs, 'ServiceMonitor')).toHaveLength(1);
    expect(byKind(objs, 'Service').map((s) => s.metadata.name)).toEqual([
      't-istio-upgrade-bot',
      't-istio-upgrade-bot-slack',
    ]);
    expect(byKind(objs, 'PodDisruptionBudget')).toHaveLength(2);
  });

  it('the ClusterRoles enumerate verbs and resources: no wildcard, no cluster-wide Secret read by name', async () => {
    const objs = await render('t', 'iub', ['-f', CI_VALUES]);
    const roles = [...byKind(objs, 'ClusterRole'), ...byKind(objs, 'Role')];
    expect(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual([
      'ClusterRole/t-istio-upgrade-bot',
      'ClusterRole/t-istio-upgrade-bot-istioctl-secrets',
      'Role/t-istio-upgrade-bot',
    ]);
    for (const r of roles) {
      for (const rule of rulesOf(r)) {
        for (const field of [rule.apiGroups ?? [], rule.resources ?? [], rule.verbs]) {
          expect(field.join(','), `${r.metadata.name}: ${JSON.stringify(rule)}`).not.toContain('*');
        }
        expect(rule).not.toHaveProperty('nonResourceURLs');
      }
    }
    const main = byKind(objs, 'ClusterRole').find((r) => r.metadata.name === 't-istio-upgrade-bot')!;
    expect(rulesOf(main).filter((rule) => covers(rule, '', 'secrets'))).toEqual([]);
    // the one Secret rule: list+watch for istioctl, never get/create/update/delete
    const sec = byKind(objs, 'ClusterRole').find((r) => r.metadata.name.endsWith('-istioctl-secrets'))!;
    expect(rulesOf(sec)).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] }]);
    // namespaces: created (precheck and install), labelled, never deleted
    const ns = rulesOf(main).filter((rule) => covers(rule, '', 'namespaces'));
    expect(ns.flatMap((rule) => rule.verbs)).not.toContain('delete');
    // writes of istiod's namespaced objects are confined to the Istio namespace
    const role = byKind(objs, 'Role')[0]!;
    expect(role.metadata.namespace).toBe('istio-system');
    for (const rule of rulesOf(main)) {
      if (!(rule.apiGroups ?? []).includes('apps')) continue;
      expect(rule.verbs).not.toContain('create');
      expect(rule.verbs).not.toContain('delete');
    }
    // Gateway API gateways: read and relabelled (istio.io/rev), never created or deleted
    expect(rulesOf(main).filter((rule) => covers(rule, 'gateway.networking.k8s.io', 'gateways'))).toEqual([
      {
        apiGroups: ['gateway.networking.k8s.io'],
        resources: ['gateways'],
        verbs: ['get', 'list', 'watch', 'patch'],
      },
    ]);
    // GatewayClasses: only read (which are istiod's)
    expect(
      rulesOf(main).filter((rule) => covers(rule, 'gateway.networking.k8s.io', 'gatewayclasses')),
    ).toEqual([
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses'], verbs: ['get', 'list'] },
    ]);
    // and without istioctlSecretsAccess there is no Secret rule at all
    const off = await render('t', 'iub', ['-f', CI_VALUES, '--set', 'rbac.istioctlSecretsAccess=false']);
    const all = [...byKind(off, 'ClusterRole'), ...byKind(off, 'Role')].flatMap(rulesOf);
    expect(all.filter((rule) => covers(rule, '', 'secrets'))).toEqual([]);
    const r2 = await render('t', 'iub', ['-f', CI_VALUES, '--set', 'istioNamespace=mesh']);
    expect(byKind(r2, 'Role')[0]?.metadata.namespace).toBe('mesh');
    // escalate/bind (needed to create istiod's RBAC) come with the guard policy for this ServiceAccount
    const vaps = byKind(objs, 'ValidatingAdmissionPolicy') as (K8sObject & {
      spec: { matchConditions: { expression: string }[] };
    })[];
    expect(vaps.map((v) => v.metadata.name)).toEqual([
      't-istio-upgrade-bot-rbac-guard',
      't-istio-upgrade-bot-binding-guard',
    ]);
    for (const v of vaps) {
      expect(v.spec.matchConditions[0]?.expression).toBe(
        `request.userInfo.username == "system:serviceaccount:iub:t-istio-upgrade-bot"`,
      );
    }
    expect(byKind(objs, 'ValidatingAdmissionPolicyBinding')).toHaveLength(2);
  });

  it('grants istioctl proxy-status its port-forward and token in the Istio namespace only', async () => {
    const psRules = (objs: K8sObject[]) =>
      [...byKind(objs, 'ClusterRole'), ...byKind(objs, 'Role')].flatMap((r) =>
        rulesOf(r)
          .filter((rule) => covers(rule, '', 'pods/portforward') || covers(rule, '', 'serviceaccounts/token'))
          .map((rule) => ({ where: `${r.kind}/${r.metadata.namespace ?? ''}`, ...rule })),
      );
    const objs = await render('t', 'iub', ['-f', CI_VALUES, '--set', 'istioNamespace=mesh']);
    expect(psRules(objs)).toEqual([
      { where: 'Role/mesh', apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] },
      {
        where: 'Role/mesh',
        apiGroups: [''],
        resources: ['serviceaccounts/token'],
        resourceNames: ['default'],
        verbs: ['create'],
      },
    ]);
    // the other sources read no xDS through the API server: no port-forward, no token
    for (const source of ['syncz', 'kubernetes']) {
      const other = await render('t', 'iub', [
        '-f',
        CI_VALUES,
        '--set',
        `config.proxyStatusSource=${source}`,
      ]);
      expect(psRules(other), source).toEqual([]);
    }
  });

  it('refuses incomplete or wrong values with a message that says what to set', async () => {
    const cases: [string[], RegExp][] = [
      [[], /slack\.botToken is required|slack: set slack\.botToken/],
      [['-f', CI_VALUES, '--set', 'redis.enabled=false'], /redis: set redis\.url or redis\.existingSecret/],
      [
        ['-f', CI_VALUES, '--set', 'redis.url=redis://x:6379'],
        /leave redis\.url and redis\.existingSecret empty/,
      ],
      [
        ['-f', CI_VALUES, '--set', 'slack.appToken='],
        /slack\.appToken \(Socket Mode\) or slack\.signingSecret/,
      ],
      [
        ['-f', CI_VALUES, '--set', 'clusters=prod=ctx'],
        /policy\.clusters names "local", which is not one of clusters/,
      ],
      [['-f', CI_VALUES, '--set', 'split=yes'], /at '\/split': got string, want boolean/],
      [['-f', CI_VALUES, '--set', 'policy.approvers[0]=bob'], /\/policy\/approvers\/0/],
      [['-f', CI_VALUES, '--set', 'config.proxyStatusSource=envoy'], /\/config\/proxyStatusSource/],
      [['-f', CI_VALUES, '--set', 'slack.botToken=xoxp-user'], /\/slack\/botToken/],
      [['-f', CI_VALUES, '--set', 'unknownKey=1'], /additional properties 'unknownKey' not allowed/],
    ];
    for (const [args, message] of cases) {
      const r = await helm(['template', 't', CHART, ...args]);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
