// The Helm canary path (src/cluster/helm/control-plane.ts, ADR 14) run as a DOWNGRADE with the REAL
// helm and the REAL Istio charts on the test cluster: a mesh installed with Helm at the newer test
// version (1.31-dev) moved to the older one (1.25.3), as the bot allows on the istioctl path
// (test/e2e/scenarios-4-downgrade.e2e.ts). The canary install (istiod-<old rev> with the newer
// release's values carried over; base kept at the newer version: the older base chart deleted the CRDs
// it does not know, and then `helm rollback` of base failed on them — found by this test), the gateway
// release moved down (its 1.25 chart's broken schema retried without validation), the rollback
// (everything back at the newer version) and then the whole way: the default tag and base's
// defaultRevision on the older revision, the newer istiod release uninstalled. Ordered: each test
// builds on the previous one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelmIstio } from '../../src/cluster/helm/control-plane.js';
import { Helm } from '../../src/cluster/helm/helm.js';
import type { ClusterAdapters } from '../../src/cluster/registry.js';
import { helmPath } from '../helm/helm-support.js';
import { istioVersions, kubeconfigPath, revisionOf } from '../support/cluster-harness.js';
import { type ChartRepo, ensureIstioCharts, serveIstioCharts } from '../support/istio-charts.js';
import { adapters, clusterGate, releaseCluster, suffix } from './cluster-support.js';
import { installHelmMesh, releases, resetMesh, SYS, userValues } from './helm-mesh-support.js';

const gate = await clusterGate('Helm canary downgrade (test/cluster-adapters/helm-canary-downgrade.test.ts)');
const [OLD = '', NEW = ''] = gate.run ? istioVersions() : [];
// the mesh runs the newer version and moves to the older one
const FROM = { version: NEW, revision: revisionOf(NEW) };
const TO = { version: OLD, revision: revisionOf(OLD) };
const GW = `hd-${suffix()}-gw`;
const CPU = '123m';
// in the 1.31 base chart, not in 1.25.3's
const NEWER_ONLY_CRD = 'trafficextensions.extensions.istio.io';
const LONG = { timeout: 900_000 };

describe.skipIf(!gate.run)(`Helm canary downgrade ${NEW} → ${OLD} (real helm, real charts)`, () => {
  let a: ClusterAdapters;
  let repo: ChartRepo;
  let ports: ReturnType<HelmIstio['forUpgrade']>;
  const home = mkdtempSync(join(tmpdir(), 'iub-helm-downgrade-'));

  const before = () => [
    { name: 'ingress', namespace: GW, chart: `gateway-${NEW}`, status: 'deployed' },
    { name: 'istio-base', namespace: SYS, chart: `base-${NEW}`, status: 'deployed' },
    { name: `istiod-${FROM.revision}`, namespace: SYS, chart: `istiod-${NEW}`, status: 'deployed' },
  ];
  /** The revision each live pod of the gateway release runs (the injected proxy's, as the bot reads it). */
  const gatewayPodRevisions = async () => {
    const pods = await a.kube.core.listNamespacedPod({ namespace: GW, labelSelector: 'app=ingress' });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.annotations?.['istio.io/rev'] ?? p.metadata?.labels?.['istio.io/rev'] ?? '');
  };

  const crdThere = async (name: string) =>
    (await a.kube.kc
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name })
      .then(() => true)
      .catch(() => false)) === true;

  beforeAll(async () => {
    a = adapters();
    await resetMesh(NEW, [GW]);
    repo = await serveIstioCharts(await ensureIstioCharts([OLD, NEW]));
    await installHelmMesh(repo, { version: NEW, revision: FROM.revision, gatewayNs: GW, cpu: CPU });
    const helm = new Helm({
      bin: helmPath(),
      charts: { kind: 'repo', url: repo.url },
      target: { kubeconfig: kubeconfigPath() },
      home,
      timeoutMs: 180_000,
    });
    ports = new HelmIstio(helm, a.controlPlane, a.gateways).forUpgrade(
      { kind: 'helm', namespace: SYS, istiod: `istiod-${FROM.revision}` },
      FROM,
      TO,
    );
    expect(await releases()).toEqual(before());
  }, 900_000);

  afterAll(async () => {
    if (gate.run) await resetMesh(NEW, [GW]).catch((e: unknown) => console.warn(`reset: ${String(e)}`));
    await repo?.close();
    rmSync(home, { recursive: true, force: true });
    await releaseCluster(gate);
  }, 600_000);

  it(
    'the canary at the older version: istiod-<old> with the newer release’s values, verified, base and its CRDs kept; the gateway release moved down',
    LONG,
    async () => {
      await ports.installer.install(TO.version, TO.revision);
      await ports.installer.verify(TO.revision);
      expect(await releases()).toEqual(
        [
          { name: 'istio-base', namespace: SYS, chart: `base-${NEW}`, status: 'deployed' },
          { name: `istiod-${TO.revision}`, namespace: SYS, chart: `istiod-${OLD}`, status: 'deployed' },
          { name: `istiod-${FROM.revision}`, namespace: SYS, chart: `istiod-${NEW}`, status: 'deployed' },
          { name: 'ingress', namespace: GW, chart: `gateway-${NEW}`, status: 'deployed' },
        ].sort((x, y) => x.name.localeCompare(y.name)),
      );
      // a CRD only the newer base chart has is still there (the older chart would have deleted it)
      expect(await crdThere(NEWER_ONLY_CRD)).toBe(true);
      expect(await userValues(`istiod-${TO.revision}`)).toMatchObject({
        revision: TO.revision,
        pilot: { resources: { requests: { cpu: CPU } } },
      });
      const moved = await ports.gateways.moveGateways(TO.revision);
      expect(moved).toContainEqual({ kind: 'Deployment', namespace: GW, name: 'ingress' });
      expect((await releases()).find((r) => r.name === 'ingress')?.chart).toBe(`gateway-${OLD}`);
      expect(await gatewayPodRevisions()).toEqual([TO.revision]);
    },
  );

  it(
    'rolled back: the gateway release back at the newer version, the canary release gone, base as it was',
    LONG,
    async () => {
      await ports.gateways.moveGateways(FROM.revision);
      await ports.installer.uninstall(TO.version, TO.revision);
      expect(await releases()).toEqual(before());
      expect(await userValues('istio-base')).toMatchObject({ defaultRevision: FROM.revision });
      expect(await gatewayPodRevisions()).toEqual([FROM.revision]);
      await ports.installer.verify(FROM.revision);
    },
  );

  it(
    'downgraded to the end: default tag and defaultRevision on the older revision, the newer istiod release uninstalled',
    LONG,
    async () => {
      await ports.installer.install(TO.version, TO.revision);
      await ports.installer.verify(TO.revision);
      await ports.gateways.moveGateways(TO.revision);
      await ports.tagger.setTag('default', TO.revision);
      await ports.installer.uninstall(FROM.version, FROM.revision);
      expect(await releases()).toEqual([
        { name: 'ingress', namespace: GW, chart: `gateway-${OLD}`, status: 'deployed' },
        { name: 'istio-base', namespace: SYS, chart: `base-${NEW}`, status: 'deployed' },
        { name: `istiod-${TO.revision}`, namespace: SYS, chart: `istiod-${OLD}`, status: 'deployed' },
      ]);
      expect(await userValues('istio-base')).toMatchObject({ defaultRevision: TO.revision });
      expect((await a.inspector.tags()).find((t) => t.tag === 'default')?.revision).toBe(TO.revision);
      expect(await crdThere(NEWER_ONLY_CRD)).toBe(true);
      expect(await gatewayPodRevisions()).toEqual([TO.revision]);
    },
  );
});
