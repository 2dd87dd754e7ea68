// STAND-IN for istiod's gateway deployment controller, for the e2e cluster only (KWOK pods are fake:
// no istiod runs). Every running istiod revision (Deployment `app=istiod` in istio-system, ready)
// claims the Gateways of class `istio` (or of a GatewayClass with istiod's controller name) and the
// waypoints (class `istio-waypoint`) its tag watcher would (gateway-controller-standin-render.ts, read
// from source) and Server-Side-Applies their ServiceAccount, Service and Deployment with the
// field manager istiod uses, the pod template annotated `istio.io/rev: <revision>` and the proxy
// image of that revision's injector values (as `istio-sidecar-injector-<rev>` holds them). Polls the
// cluster every 500 ms as istiod's informers would notice a change; a cluster without the Gateway API
// CRDs has nothing to do. Runs in the injector stand-in's daemon (injector-standin-main.ts).
import * as k8s from '@kubernetes/client-node';
import {
  CLASSES,
  type ClaimView,
  deploymentNameOf,
  FIELD_MANAGER,
  isManaged,
  isMine,
  MANAGED_LABEL,
  render,
  type StandinGateway,
} from './gateway-controller-standin-render.js';
import { parseInjectorValues, proxyImageFor } from './injector-standin-mutate.js';

const ISTIO_NS = 'istio-system';
const GROUP = 'gateway.networking.k8s.io';
const APPLY = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

interface Revision {
  revision: string;
  version: string;
  image: string;
}

export class GatewayControllerStandin {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly admission: k8s.AdmissionregistrationV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly log: (msg: string) => void;
  applied = 0;

  constructor(o: { kubeconfigPath: string; log?: (msg: string) => void; intervalMs?: number }) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(o.kubeconfigPath);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.log = o.log ?? (() => {});
    this.intervalMs = o.intervalMs ?? 500;
  }

  private readonly intervalMs: number;

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.reconcileOnce()
          .catch((e: unknown) => this.log(`gateway controller: ${String(e)}`))
          .finally(tick);
      }, this.intervalMs);
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass over every Gateway; returns how many Deployments were (re)rendered. */
  async reconcileOnce(): Promise<number> {
    const gateways = await this.gateways();
    if (gateways.length === 0) return 0;
    const [revisions, view] = await Promise.all([this.revisions(), this.claimView()]);
    let n = 0;
    for (const gw of gateways) {
      if (!isManaged(gw)) continue;
      // Every istiod that claims it applies it (two would fight, as istio#54280 shows).
      for (const r of revisions) {
        if (!isMine(gw, r.revision, r.version, view)) continue;
        if (await this.apply(gw, r)) n++;
      }
    }
    return n;
  }

  private async apply(gw: StandinGateway, r: Revision): Promise<boolean> {
    const { namespace } = gw.metadata;
    const objs = render(gw, r.revision, r.version, r.image);
    const name = deploymentNameOf(gw);
    const cur = await this.apps.readNamespacedDeployment({ name, namespace }).catch(() => null);
    if (cur && cur.metadata?.labels?.[MANAGED_LABEL] === undefined) return false; // canManage: not ours
    const want = objs.deployment;
    if (cur && sameRender(cur, want)) return false;
    const opts = { fieldManager: FIELD_MANAGER, force: true };
    await this.core.patchNamespacedServiceAccount(
      { name: objs.serviceAccount.metadata.name, namespace, body: objs.serviceAccount, ...opts },
      APPLY,
    );
    await this.core.patchNamespacedService({ name, namespace, body: objs.service, ...opts }, APPLY);
    await this.apps.patchNamespacedDeployment({ name, namespace, body: want, ...opts }, APPLY);
    this.applied++;
    this.log(
      `gateway ${namespace}/${gw.metadata.name}: Deployment ${name} rendered by ${r.revision} (${r.image})`,
    );
    return true;
  }

  private async gateways(): Promise<StandinGateway[]> {
    try {
      const l = (await this.custom.listClusterCustomObject({
        group: GROUP,
        version: 'v1',
        plural: 'gateways',
      })) as {
        items: (StandinGateway & { metadata: { deletionTimestamp?: string } })[];
      };
      const live = l.items.filter((g) => !g.metadata.deletionTimestamp);
      if (live.every((g) => g.spec.gatewayClassName in CLASSES)) return live;
      // a custom class: istiod looks it up as a GatewayClass and deploys it by its controllerName;
      // istiod's gateway controller renders it like class istio (deploymentcontroller.go Reconcile)
      const custom = await this.istioGatewayClasses();
      return live.filter((g) => g.spec.gatewayClassName in CLASSES || custom.has(g.spec.gatewayClassName));
    } catch (e) {
      if ((e as { code?: number }).code === 404) return []; // no Gateway API CRDs
      throw e;
    }
  }

  /** GatewayClasses whose controllerName is istiod's gateway controller. */
  private async istioGatewayClasses(): Promise<Set<string>> {
    const l = (await this.custom.listClusterCustomObject({
      group: GROUP,
      version: 'v1',
      plural: 'gatewayclasses',
    })) as { items: { metadata: { name: string }; spec: { controllerName?: string } }[] };
    return new Set(
      l.items
        .filter((c) => c.spec.controllerName === 'istio.io/gateway-controller')
        .map((c) => c.metadata.name),
    );
  }

  /** Running istiods: revision, version and proxy image from their injector values. */
  private async revisions(): Promise<Revision[]> {
    const ds = await this.apps.listNamespacedDeployment({ namespace: ISTIO_NS, labelSelector: 'app=istiod' });
    const out: Revision[] = [];
    for (const d of ds.items) {
      if (d.metadata?.deletionTimestamp || (d.status?.readyReplicas ?? 0) < 1) continue;
      const revision = d.metadata?.labels?.['istio.io/rev'] || 'default';
      const cm = revision === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`;
      const values = await this.core
        .readNamespacedConfigMap({ name: cm, namespace: ISTIO_NS })
        .then((c) => c.data?.values)
        .catch(() => undefined);
      if (!values) continue;
      const v = parseInjectorValues(values);
      out.push({ revision, version: v.tag, image: proxyImageFor(v) });
    }
    return out.sort((a, b) => a.revision.localeCompare(b.revision));
  }

  private async claimView(): Promise<ClaimView> {
    const [mwcs, vwcs, services, namespaces] = await Promise.all([
      this.admission.listMutatingWebhookConfiguration({ labelSelector: 'istio.io/tag' }),
      this.admission.listValidatingWebhookConfiguration({
        fieldSelector: 'metadata.name=istiod-default-validator',
      }),
      this.core.listNamespacedService({ namespace: ISTIO_NS, labelSelector: 'istio.io/tag' }),
      this.core.listNamespace(),
    ]);
    const tagOf = (o: { metadata?: k8s.V1ObjectMeta }, from: 'webhook' | 'service') => ({
      tag: o.metadata?.labels?.['istio.io/tag'] ?? '',
      revision: o.metadata?.labels?.['istio.io/rev'] ?? '',
      from,
    });
    return {
      tags: [
        ...mwcs.items.map((m) => tagOf(m, 'webhook')),
        ...services.items.map((s) => tagOf(s, 'service')),
      ],
      defaultValidator: vwcs.items[0]?.metadata?.labels?.['istio.io/rev'] ?? null,
      namespaceRev: new Map(
        namespaces.items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.['istio.io/rev'] ?? null]),
      ),
    };
  }
}

/** The Deployment already carries what this render would write (labels, annotations, image). */
function sameRender(cur: k8s.V1Deployment, want: ReturnType<typeof render>['deployment']): boolean {
  const has = (got: Record<string, string> | undefined, w: Record<string, string>) =>
    Object.entries(w).every(([k, v]) => got?.[k] === v);
  const t = cur.spec?.template;
  return (
    cur.metadata?.labels?.['istio.io/rev'] ===
      (want.metadata.labels as Record<string, string>)['istio.io/rev'] &&
    has(cur.metadata?.labels, want.metadata.labels) &&
    has(t?.metadata?.annotations, want.spec.template.metadata.annotations) &&
    has(t?.metadata?.labels, want.spec.template.metadata.labels) &&
    t?.spec?.containers.find((c) => c.name === 'istio-proxy')?.image ===
      want.spec.template.spec.containers[0]?.image
  );
}
