// How each istiod revision was installed and whether the mesh is ambient, read from the REAL
// kube-apiserver of the test cluster: an istiod installed by the REAL helm from the REAL istio-discovery
// chart (Istio's module source), istioctl-looking and unmarked istiod Deployments, a ztunnel DaemonSet,
// an ambient namespace and waypoints (Gateway API CRD absent, then present). Ordered.
// Without the cluster or helm binaries: a loud notice (CI=true: failure).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeInstallationInspector } from '../../src/cluster/install-kind/kube.js';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import { checkInstallation } from '../../src/domain/upgrade/installation.js';
import { helmGate, helmPath } from '../helm/helm-support.js';
import { clusterEnv, kubeconfigPath, kubectl, run } from '../support/cluster-harness.js';
import { adapters, clusterGate, deployment, releaseCluster, suffix } from './cluster-support.js';

const what = 'install-kind adapter tests (test/cluster-adapters/install-kind.test.ts)';
const hg = helmGate(what);
const gate = hg.run ? await clusterGate(what) : { run: false, reason: hg.reason, startedHere: false };
const S = suffix();
const H = `ik-${S}-helm`; // the Istio namespace of the Helm install
const C = `ik-${S}-ctl`; // an Istio namespace with istioctl-looking and unmarked istiod Deployments
const AMB = `ik-${S}-amb`;
const REV = '1-25-3';
const LONG = { timeout: 300_000 };
const ISTIOD_VALUES = ['--set', `revision=${REV}`, '--set', `global.istioNamespace=${H}`];

/** A chart (`istio-control/istio-discovery`, `ztunnel`) of one of the test Istio versions' module sources. */
function chart(path: string): string {
  const mod = join(clusterEnv().cacheDir, '_go', 'mod', 'istio.io');
  const found = existsSync(mod)
    ? readdirSync(mod)
        .filter((d) => d.startsWith('istio@'))
        .map((d) => join(mod, d, 'manifests', 'charts', path))
        .filter((d) => existsSync(join(d, 'Chart.yaml')))
    : [];
  if (!found[0]) throw new Error(`no ${path} chart under ${mod}: run npm run cluster:build`);
  return found[0];
}

const helm = async (args: string[]) => {
  const r = await run(helmPath(), [...args, '--kubeconfig', kubeconfigPath()], 180_000);
  if (r.exitCode !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const k = (args: string[]) => kubectl([...args, '--kubeconfig', kubeconfigPath()]);

const GATEWAY_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: 'gateways.gateway.networking.k8s.io',
    // what the real Gateway API CRDs carry: the apiserver protects *.k8s.io groups
    annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/1538' },
  },
  spec: {
    group: 'gateway.networking.k8s.io',
    names: { kind: 'Gateway', listKind: 'GatewayList', plural: 'gateways', singular: 'gateway' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { gatewayClassName: { type: 'string' } },
                'x-kubernetes-preserve-unknown-fields': true,
              },
            },
          },
        },
      },
    ],
  },
};

describe.skipIf(!gate.run)('InstallationInspector (real kube-apiserver, real helm and istiod chart)', () => {
  let a: ClusterAdapters;
  let crdCreated = false;
  const inspector = (ns: string) => new KubeInstallationInspector(a.kube, ns);

  beforeAll(async () => {
    a = adapters();
    for (const [name, labels] of [
      [H, {}],
      [C, {}],
      [AMB, {}], // labelled ambient by the ambient test
    ] as const)
      await a.kube.core.createNamespace({ body: { metadata: { name, labels } } });
  }, LONG.timeout);
  afterAll(async () => {
    if (!a) return;
    await helm(['uninstall', `istiod-${REV}`, '-n', H]).catch(() => undefined);
    await helm(['uninstall', 'ztunnel', '-n', C]).catch(() => undefined);
    if (crdCreated)
      await k(['delete', 'crd', GATEWAY_CRD.metadata.name, '--wait=false']).catch(() => undefined);
    for (const ns of [H, C, AMB]) await a.kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
    await releaseCluster(gate);
  }, LONG.timeout);

  it('the registry wires the inspector for the cluster', () => {
    expect(a.installation).toBeInstanceOf(KubeInstallationInspector);
  });

  it('an empty Istio namespace: no revisions, no releases; a missing Gateway API CRD is not an error', async () => {
    const crd = await k(['get', 'crd', GATEWAY_CRD.metadata.name]).then(
      () => true,
      () => false,
    );
    const v = await inspector(H).inspect();
    expect(v.istioNamespace).toBe(H);
    expect(v.revisions).toEqual([]);
    expect(v.helmReleases).toEqual([]);
    expect(v.ambient.ztunnel.filter((z) => z.startsWith(`${H}/`))).toEqual([]);
    if (!crd) expect(v.ambient.waypoints).toEqual([]);
  });

  it(
    'an istiod installed by helm from the Istio chart is the Helm release that owns it, though the chart also carries istioctl labels',
    LONG,
    async () => {
      await helm([
        'install',
        `istiod-${REV}`,
        chart('istio-control/istio-discovery'),
        '-n',
        H,
        ...ISTIOD_VALUES,
      ]);
      const dep = await a.kube.apps.readNamespacedDeployment({ namespace: H, name: `istiod-${REV}` });
      expect(dep.metadata?.labels?.['operator.istio.io/component']).toBe('Pilot'); // what makes precedence matter
      const v = await inspector(H).inspect();
      expect(v.revisions).toEqual([
        {
          revision: REV,
          deployment: `istiod-${REV}`,
          installer: 'helm',
          release: { name: `istiod-${REV}`, namespace: H, status: 'deployed', version: 1 },
        },
      ]);
      expect(v.helmReleases).toEqual([
        { name: `istiod-${REV}`, namespace: H, status: 'deployed', version: 1 },
      ]);
      // the Helm canary path, built on that release
      const planned = checkInstallation(v, {
        from: { version: '1.25.3', revision: REV },
        to: { version: '1.26.3', revision: '1-26-3' },
      });
      expect(planned).toMatchObject({
        ok: true,
        value: { helm: { kind: 'helm', namespace: H, istiod: `istiod-${REV}` } },
      });
      expect(planned.ok && planned.value.commands).toContain(`helm uninstall istiod-${REV} -n ${H}`);
    },
  );

  it('istioctl labels without Helm marks say istioctl; no marks at all say unknown', async () => {
    const istiod = (rev: string, labels: Record<string, string>) => {
      const d = deployment(C, `istiod-${rev}`);
      d.metadata = { ...d.metadata, labels: { app: 'istiod', 'istio.io/rev': rev, ...labels } };
      return a.kube.apps.createNamespacedDeployment({ namespace: C, body: d });
    };
    await istiod('1-24-0', {
      'operator.istio.io/component': 'Pilot',
      'install.operator.istio.io/owning-resource': 'unknown',
    });
    await istiod('plain', {});
    const v = await inspector(C).inspect();
    expect(v.revisions.map((r) => [r.revision, r.installer])).toEqual([
      ['1-24-0', 'istioctl'],
      ['plain', 'unknown'],
    ]);
    expect(checkInstallation(v).ok).toBe(true);
  });

  it('the ztunnel of the real chart (installed by helm) makes the mesh ambient, refused', LONG, async () => {
    await helm(['install', 'ztunnel', chart('ztunnel'), '-n', C]);
    const v = await inspector(C).inspect();
    expect(v.ambient.ztunnel).toEqual([`${C}/ztunnel`]);
    expect(v.ambient.namespaces).toEqual([]);
    const res = checkInstallation(v);
    expect(res).toMatchObject({ ok: false, error: { code: 'ambient_mesh' } });
    expect(!res.ok && res.error.message).toContain(`ztunnel DaemonSet ${C}/ztunnel`);
  });

  it('a namespace labelled istio.io/dataplane-mode=ambient is seen', async () => {
    await k(['label', 'namespace', AMB, 'istio.io/dataplane-mode=ambient']);
    const v = await inspector(C).inspect();
    expect(v.ambient.namespaces).toEqual([AMB]);
  });

  it('waypoints: Gateways of class istio-waypoint, not other Gateways', LONG, async () => {
    const exists = await k(['get', 'crd', GATEWAY_CRD.metadata.name]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await a.kube.kc
        .makeApiClient((await import('@kubernetes/client-node')).ApiextensionsV1Api)
        .createCustomResourceDefinition({ body: GATEWAY_CRD });
      crdCreated = true;
      await k(['wait', '--for=condition=Established', `crd/${GATEWAY_CRD.metadata.name}`, '--timeout=60s']);
    }
    const gw = (name: string, gatewayClassName: string) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: AMB },
      spec: { gatewayClassName, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const custom = a.kube.kc.makeApiClient(CustomObjectsApi);
    const create = (body: ReturnType<typeof gw>) =>
      custom.createNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        namespace: AMB,
        plural: 'gateways',
        body,
      });
    await create(gw('waypoint', 'istio-waypoint'));
    await create(gw('ingress', 'istio'));
    const raw = (await custom.listClusterCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'gateways',
    })) as { items: { metadata: { namespace: string; name: string }; spec?: unknown }[] };
    const v = await inspector(H).inspect();
    expect(v.ambient.waypoints, JSON.stringify(raw.items)).toEqual([`${AMB}/waypoint`]);
  });

  it('honours its AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('step superseded'));
    await expect(inspector(H).inspect(ac.signal)).rejects.toThrow();
  });
});
