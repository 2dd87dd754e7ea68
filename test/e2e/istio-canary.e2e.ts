// Smoke tests that prove the cluster harness is real: real kube-apiserver (RBAC on, KWOK nodes),
// real istioctl of two Istio minors, the injector and proxy-status STAND-INs (test/support).
// Ordered: each test builds on the state the previous one left (one shared cluster).
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  istioctl,
  istioctlWrapperPath,
  istioVersions,
  kubeConfig,
  kubectl,
  kubectlPath,
  revisionOf,
  run,
  waitFor,
  waitForDeploymentAvailable,
  waitForWebhooksOnStandin,
} from '../support/cluster-harness.js';
import { kubeconfigForServiceAccount } from '../support/cluster-rbac.js';

const cluster = inject('cluster');
const [OLD = '', NEW = ''] = cluster.available ? istioVersions() : [];
const R_OLD = revisionOf(OLD);
const R_NEW = revisionOf(NEW);
const NS = 'shop';
const APP = 'cart';

let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let admission: k8s.AdmissionregistrationV1Api;

async function appPods(namespace = NS): Promise<k8s.V1Pod[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${APP}` });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

function proxyImage(pod: k8s.V1Pod): string | undefined {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.find((c) => c.name === 'istio-proxy')?.image;
}

function injectedRevision(pod: k8s.V1Pod): string | undefined {
  const s = pod.metadata?.annotations?.['sidecar.istio.io/status'];
  return s ? (JSON.parse(s) as { revision?: string }).revision : undefined;
}

/** Waits until every running app pod carries a sidecar of `version` injected by `revision`. */
async function expectSidecars(version: string, revision: string, replicas = 2): Promise<k8s.V1Pod[]> {
  return waitFor(`${replicas} ${APP} pods with a ${version} sidecar`, async () => {
    const pods = (await appPods()).filter((p) => p.status?.phase === 'Running');
    if (pods.length !== replicas) return undefined;
    const ok = pods.every(
      (p) => proxyImage(p) === `docker.io/istio/proxyv2:${version}` && injectedRevision(p) === revision,
    );
    return ok ? pods : undefined;
  });
}

async function mwcNames(): Promise<string[]> {
  const l = await admission.listMutatingWebhookConfiguration();
  return l.items.map((m) => m.metadata?.name ?? '').sort();
}

describe.skipIf(!cluster.available)('istio canary smoke (real kube-apiserver + real istioctl)', () => {
  beforeAll(() => {
    const kc = kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    expect(OLD).not.toBe('');
    expect(NEW).not.toBe('');
  });

  it('serves RBAC and two ready KWOK nodes', async () => {
    const nodes = await core.listNode();
    expect(nodes.items).toHaveLength(2);
    // RBAC is enforced: a ServiceAccount without bindings may not list pods (AlwaysAllow would say yes)
    const sa = 'system:serviceaccount:default:default';
    const can = await run(kubectlPath(), ['auth', 'can-i', 'list', 'pods', '--as', sa]);
    expect(can.stdout.trim()).toBe('no');
    expect((await run(kubectlPath(), ['auth', 'can-i', 'list', 'pods'])).stdout.trim()).toBe('yes');
    // a ServiceAccount kubeconfig gets exactly what its bindings grant
    const kc = await kubeconfigForServiceAccount('default', 'e2e-reader');
    const asSa = (verb: string) =>
      run(kubectlPath(), ['--kubeconfig', kc, 'auth', 'can-i', verb, 'pods', '-A']);
    expect((await asSa('list')).stdout.trim()).toBe('no');
    await kubectl([
      'create',
      'clusterrolebinding',
      'e2e-reader',
      '--clusterrole=view',
      '--serviceaccount=default:e2e-reader',
    ]);
    await waitFor('view binding effective', async () => (await asSa('list')).stdout.trim() === 'yes');
    expect((await asSa('delete')).stdout.trim()).toBe('no');
  });

  it('installs both revisions side by side with real istioctl install', async () => {
    for (const [v, r] of [
      [OLD, R_OLD],
      [NEW, R_NEW],
    ] as const) {
      const out = await istioctl(v, ['install', '--set', `revision=${r}`, '-y'], 600_000);
      expect(out.stdout + out.stderr).toContain('Installation complete');
      await waitForWebhooksOnStandin();
    }
    for (const [v, r] of [
      [OLD, R_OLD],
      [NEW, R_NEW],
    ] as const) {
      const d = await waitForDeploymentAvailable('istio-system', `istiod-${r}`);
      expect(d.spec?.template.spec?.containers[0]?.image).toBe(`docker.io/istio/pilot:${v}`);
      expect(await mwcNames()).toContain(`istio-sidecar-injector-${r}`);
    }
    // Observed (real istioctl): the 1.25.3 install creates no default tag; the 1.31-dev install
    // then creates tag "default" pointing at its own revision (operator/pkg/webhook WebhooksToDeploy).
    const tags = JSON.parse((await istioctl(NEW, ['tag', 'list', '-o', 'json'])).stdout) as {
      tag: string;
      revision: string;
    }[];
    expect(tags.find((t) => t.tag === 'default')?.revision).toBe(R_NEW);
  });

  it('runs real istioctl x precheck -o json', async () => {
    const r = await run(istioctlWrapperPath(NEW), ['x', 'precheck', '-o', 'json'], 120_000);
    expect(r.exitCode, r.stderr).toBe(0);
    // Observed with both revisions installed: no findings, which istioctl says on stderr, printing
    // nothing on stdout even with -o json (precheck.go); a finding would be JSON on stdout, exit 1.
    expect(r.stdout.trim()).toBe('');
    expect(r.stderr).toContain('No issues found when checking the cluster');
  });

  it('injects a sidecar of the labelled revision into a Deployment', async () => {
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['label', 'namespace', NS, `istio.io/rev=${R_OLD}`]);
    await kubectl([
      'create',
      'deployment',
      APP,
      '-n',
      NS,
      '--image=registry.k8s.io/pause:3.10',
      '--replicas=2',
    ]);
    await waitForDeploymentAvailable(NS, APP);
    await expectSidecars(OLD, R_OLD);
  });

  it('prints proxy-status in each istioctl version’s own table format (stand-in)', async () => {
    const old = await istioctl(OLD, ['proxy-status']);
    const oldHeader = old.stdout.split('\n')[0] ?? '';
    expect(oldHeader.split(/\s{2,}/)).toEqual([
      'NAME',
      'CLUSTER',
      'CDS',
      'LDS',
      'EDS',
      'RDS',
      'ECDS',
      'ISTIOD',
      'VERSION',
    ]);
    const rows = old.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => l.includes(`.${NS} `));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatch(
        new RegExp(
          `Kubernetes +(SYNCED \\(\\d+[smhd]\\w*\\) +){4}IGNORED +istiod-${R_OLD}-\\S+ +${esc(OLD)}$`,
        ),
      );
    }
    const neu = await istioctl(NEW, ['ps', '-r', R_OLD]);
    expect(neu.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual([
      'NAME',
      'CLUSTER',
      'ISTIOD',
      'VERSION',
      'SUBSCRIBED TYPES',
    ]);
    expect(neu.stdout).toMatch(
      new RegExp(`\\.${NS} +Kubernetes +istiod-${R_OLD}-\\S+ +${esc(OLD)} +4 \\(CDS,LDS,EDS,RDS\\)`),
    );
    const none = await istioctl(NEW, ['ps', '-r', R_NEW]);
    expect(none.stdout).not.toContain(`.${NS} `);
  });

  it('sets, lists and removes a revision tag with real istioctl tag', async () => {
    await istioctl(NEW, ['tag', 'set', 'prod', '--revision', R_OLD, '-y']);
    await waitForWebhooksOnStandin();
    const list = await istioctl(NEW, ['tag', 'list', '-o', 'json']);
    const tags = JSON.parse(list.stdout) as { tag: string; revision: string; namespaces: string[] }[];
    expect(tags.find((t) => t.tag === 'prod')).toMatchObject({ revision: R_OLD });
    expect(await mwcNames()).toContain('istio-revision-tag-prod');
    await istioctl(NEW, ['tag', 'remove', 'prod', '-y']);
    await waitFor('tag webhook removed', async () => !(await mwcNames()).includes('istio-revision-tag-prod'));
    const after = JSON.parse((await istioctl(NEW, ['tag', 'list', '-o', 'json'])).stdout) as {
      tag: string;
    }[];
    expect(after.some((t) => t.tag === 'prod')).toBe(false);
  });

  it('moves the Deployment to the canary with kubectl rollout restart + rollout status', async () => {
    await kubectl(['label', 'namespace', NS, `istio.io/rev=${R_NEW}`, '--overwrite']);
    await kubectl(['rollout', 'restart', `deployment/${APP}`, '-n', NS]);
    const status = await kubectl(
      ['rollout', 'status', `deployment/${APP}`, '-n', NS, '--timeout=180s'],
      200_000,
    );
    expect(status.stdout).toContain('successfully rolled out');
    await expectSidecars(NEW, R_NEW);
    const ps = await istioctl(NEW, ['ps', '-r', R_NEW]);
    expect(ps.stdout.split('\n').filter((l) => l.includes(`.${NS} `) && l.includes(` ${NEW} `))).toHaveLength(
      2,
    );
  });

  it('uninstalls the old revision with real istioctl uninstall and keeps the other', async () => {
    await istioctl(OLD, ['uninstall', '--revision', R_OLD, '-y'], 300_000);
    await waitFor(`istiod-${R_OLD} gone`, async () => {
      const ds = await apps.listNamespacedDeployment({ namespace: 'istio-system' });
      return !ds.items.some((d) => d.metadata?.name === `istiod-${R_OLD}`);
    });
    // deletions are asynchronous (foreground/background): wait, don't sample once
    const names = await waitFor(`istio-sidecar-injector-${R_OLD} gone`, async () => {
      const n = await mwcNames();
      return n.includes(`istio-sidecar-injector-${R_OLD}`) ? undefined : n;
    });
    expect(names).toContain(`istio-sidecar-injector-${R_NEW}`);
    await waitForDeploymentAvailable('istio-system', `istiod-${R_NEW}`);
    await expectSidecars(NEW, R_NEW);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
