// Pure part of the STAND-IN for istiod's gateway deployment controller (see
// gateway-controller-standin.ts): which revision claims a Gateway and what it renders for it.
// Read from istio/istio source at the two test versions:
// - claim: pkg/revisions/tag_watcher.go `IsMine` — the Gateway's `istio.io/rev` label, else its
//   namespace's; a revision's tags are the `istio.io/tag` labels of the MutatingWebhookConfigurations
//   (and, in 1.31, tag Services in the Istio namespace) labelled `istio.io/rev=<revision>`; no value
//   means the `default` tag, and from 1.31 also the revision `istiod-default-validator` names when no
//   other revision has the `default` tag;
// - render: manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml (Deployment,
//   Service, ServiceAccount) as pilot/pkg/config/kube/gateway(common)/deploymentcontroller.go applies
//   it: Server-Side Apply, field manager `istio.io/gateway-controller`, the Gateway's labels and
//   annotations copied, the pod template annotated `istio.io/rev: <revision>`;
// - waypoints: class `istio-waypoint` is the controller's `istio.io/mesh-controller` class
//   (`classInfos`: template `waypoint`, no name suffix, Service type ClusterIP, managed label
//   `istio.io-mesh-controller`, set on every object it applies), rendered from files/waypoint.yaml:
//   the Deployment named like the Gateway, its pods labelled `istio.io/dataplane-mode: none` and
//   running `proxy waypoint`. The same tag-watcher claim (deploymentcontroller.go Reconcile:
//   `tagWatcher.IsMine`) as class `istio`.
// Only the fields that matter on KWOK's fake pods are rendered (no probes, volumes or env).

export const FIELD_MANAGER = 'istio.io/gateway-controller';
export const MANAGED_LABEL = 'gateway.istio.io/managed';
export const MANAGED_VALUE = 'istio.io-gateway-controller';
export const WAYPOINT_CLASS = 'istio-waypoint';
/** The classes the controller deploys, as its `classInfos` describe them. */
export const CLASSES: Record<
  string,
  { template: 'kube-gateway' | 'waypoint'; managed: string; nameSuffix: boolean; serviceType: string }
> = {
  istio: { template: 'kube-gateway', managed: MANAGED_VALUE, nameSuffix: true, serviceType: 'LoadBalancer' },
  [WAYPOINT_CLASS]: {
    template: 'waypoint',
    managed: 'istio.io-mesh-controller',
    nameSuffix: false,
    serviceType: 'ClusterIP',
  },
};
const GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';
const CLASS_NAME = 'gateway.networking.k8s.io/gateway-class-name';
const OMIT = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'gateway.istio.io/name-override',
  'gateway.istio.io/service-account',
  'gateway.istio.io/controller-version',
];

export interface StandinGateway {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    gatewayClassName: string;
    addresses?: { type?: string; value?: string }[];
    listeners?: { name?: string; port: number; protocol: string }[];
  };
}

/** What a revision's istiod knows of the cluster (its tag watcher's caches). */
export interface ClaimView {
  /** Every tag MWC and (1.31) tag Service: `istio.io/tag` → `istio.io/rev`. */
  tags: { tag: string; revision: string; from: 'webhook' | 'service' }[];
  /** `istio.io/rev` of the ValidatingWebhookConfiguration `istiod-default-validator`, if any. */
  defaultValidator: string | null;
  /** Namespaces' `istio.io/rev` labels (absent namespace: undefined). */
  namespaceRev: Map<string, string | null>;
}

/** The minor version of an Istio version string (`1.25.3`, `1.31-dev`). */
export const minorOf = (version: string): number => Number(/^\d+\.(\d+)/.exec(version)?.[1] ?? '0');

/** tag_watcher IsMine of `revision` (an istiod of `version`) for `gw`. */
export function isMine(gw: StandinGateway, revision: string, version: string, v: ClaimView): boolean {
  const modern = minorOf(version) >= 31;
  let selected = gw.metadata.labels?.['istio.io/rev'];
  if (selected === undefined) {
    if (!v.namespaceRev.has(gw.metadata.namespace)) return true;
    selected = v.namespaceRev.get(gw.metadata.namespace) ?? '';
  }
  const mine = new Set([revision]);
  for (const t of v.tags) if (t.revision === revision && (t.from === 'webhook' || modern)) mine.add(t.tag);
  if (mine.has(selected)) return true;
  if (selected !== '') return false;
  if (mine.has('default')) return true;
  if (!modern) return false;
  const otherDefault = v.tags.some((t) => t.tag === 'default' && t.from === 'webhook');
  return v.defaultValidator === revision && !otherDefault;
}

/** istiod's IsManaged: no address, or one IPAddress. */
export function isManaged(gw: StandinGateway): boolean {
  const a = gw.spec.addresses ?? [];
  if (a.length === 0) return true;
  if (a.length > 1) return false;
  return a[0]?.type === undefined || a[0]?.type === 'IPAddress';
}

const omit = (m: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !OMIT.includes(k)));

const classOf = (gw: StandinGateway) => CLASSES[gw.spec.gatewayClassName] ?? CLASSES.istio!;

/** `getDefaultName`: `<name>-<class>`, or the bare name for classes without a suffix (waypoints). */
export const deploymentNameOf = (gw: StandinGateway): string =>
  gw.metadata.annotations?.['gateway.istio.io/name-override'] ||
  (classOf(gw).nameSuffix ? `${gw.metadata.name}-${gw.spec.gatewayClassName}` : gw.metadata.name);

/** The objects the revision's istiod applies for `gw`, in the order it applies them. */
export function render(gw: StandinGateway, revision: string, version: string, proxyImage: string) {
  const { name, namespace, uid } = gw.metadata;
  const cls = classOf(gw);
  const waypoint = cls.template === 'waypoint';
  const managedLabel = { [MANAGED_LABEL]: cls.managed };
  const modern = minorOf(version) >= 31;
  const deployment = deploymentNameOf(gw);
  const sa = gw.metadata.annotations?.['gateway.istio.io/service-account'] || deployment;
  const infraLabels = { ...(gw.metadata.labels ?? {}) };
  const infraAnnotations = omit(gw.metadata.annotations);
  const owner = {
    apiVersion: `gateway.networking.k8s.io/${modern ? 'v1' : 'v1beta1'}`,
    kind: 'Gateway',
    name,
    uid,
  };
  const gwLabels = {
    [GATEWAY_NAME]: name,
    ...(modern ? { [CLASS_NAME]: gw.spec.gatewayClassName } : {}),
  };
  const ports = [
    { name: 'status-port', port: 15021, protocol: 'TCP', appProtocol: 'tcp' },
    ...[...new Map((gw.spec.listeners ?? []).map((l) => [l.port, l])).values()].map((l, i) => ({
      name: (l.name ?? `${l.protocol.toLowerCase()}-${i}`).replace(/\./g, '-').slice(0, 63),
      port: l.port,
      protocol: 'TCP',
      appProtocol: l.protocol.toLowerCase(),
    })),
  ];
  const serviceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: sa,
      namespace,
      annotations: infraAnnotations,
      labels: { ...infraLabels, [GATEWAY_NAME]: name, ...managedLabel },
      ownerReferences: [owner],
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: deployment,
      namespace,
      annotations: waypoint
        ? { 'networking.istio.io/traffic-distribution': 'PreferClose', ...infraAnnotations }
        : infraAnnotations,
      labels: { ...infraLabels, ...gwLabels, ...managedLabel },
      ownerReferences: [owner],
    },
    spec: {
      ports,
      selector: { [GATEWAY_NAME]: name },
      type: gw.metadata.annotations?.['networking.istio.io/service-type'] ?? cls.serviceType,
    },
  };
  const deploymentObj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deployment,
      namespace,
      annotations: infraAnnotations,
      labels: { ...infraLabels, ...gwLabels, ...managedLabel },
      ownerReferences: [owner],
    },
    spec: {
      selector: { matchLabels: { [GATEWAY_NAME]: name } },
      template: {
        metadata: {
          annotations: {
            ...infraAnnotations,
            'istio.io/rev': revision || 'default',
            'prometheus.io/path': '/stats/prometheus',
            'prometheus.io/port': '15020',
            'prometheus.io/scrape': 'true',
          },
          labels: {
            'sidecar.istio.io/inject': 'false',
            ...(waypoint ? { 'istio.io/dataplane-mode': 'none' } : {}),
            'service.istio.io/canonical-name': deployment,
            'service.istio.io/canonical-revision': 'latest',
            ...infraLabels,
            ...gwLabels,
            ...managedLabel,
          },
        },
        spec: {
          ...(waypoint
            ? {}
            : {
                securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
              }),
          serviceAccountName: sa,
          containers: [
            {
              name: 'istio-proxy',
              image: proxyImage,
              args: [
                'proxy',
                waypoint ? 'waypoint' : 'router',
                '--domain',
                '$(POD_NAMESPACE).svc.cluster.local',
              ],
              ports: [
                { containerPort: 15020, name: 'metrics', protocol: 'TCP' },
                { containerPort: 15021, name: 'status-port', protocol: 'TCP' },
                { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  };
  return { serviceAccount, service, deployment: deploymentObj };
}
