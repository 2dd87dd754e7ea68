// STAND-IN for istiod's sidecar injector (pkg/kube/inject), used only by the e2e cluster.
// No istiod runs here (KWOK pods are fake), so this computes the JSON patch istiod would return
// for a pod: an `istio-proxy` container (or native sidecar) with the proxy image of the revision's
// version, the `istio-init` init container, and the annotations/labels the bot relies on.
// It is deliberately small: it is faithful to the contract the bot reads (image tag, the
// `sidecar.istio.io/status` annotation with `revision`, `istio.io/rev` annotation), not to
// every field of the real injection template.

export interface PodLike {
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string }[];
  };
  spec?: {
    hostNetwork?: boolean;
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    volumes?: { name: string }[];
  };
}

/** What the injector ConfigMap (`istio-sidecar-injector[-<rev>]`, key `values`) says. */
export interface InjectorValues {
  hub: string;
  tag: string;
  proxyImage: string;
  variant: string;
}

export interface JsonPatchOp {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';

// Volumes istiod's `sidecar` template adds (names as in manifests/charts/istio-control/.../injection-template.yaml).
const SIDECAR_VOLUMES = [
  'workload-socket',
  'credential-socket',
  'workload-certs',
  'istio-envoy',
  'istio-data',
  'istio-podinfo',
  'istio-token',
  'istiod-ca-cert',
];

/** Parses the `values` JSON of an injector ConfigMap into what the image needs. */
export function parseInjectorValues(valuesJson: string): InjectorValues {
  const v = JSON.parse(valuesJson) as {
    global?: { hub?: string; tag?: unknown; variant?: string; proxy?: { image?: string } };
  };
  const g = v.global ?? {};
  return {
    hub: g.hub ?? 'docker.io/istio',
    tag: String(g.tag ?? ''),
    proxyImage: g.proxy?.image ?? 'proxyv2',
    variant: g.variant ?? '',
  };
}

/** `{{ hub }}/{{ proxy.image }}:{{ tag }}[-variant]`, or the full image if proxy.image has a `/`. */
export function proxyImageFor(values: InjectorValues): string {
  if (values.proxyImage.includes('/')) return values.proxyImage;
  const suffix = values.variant ? `-${values.variant}` : '';
  return `${values.hub}/${values.proxyImage}:${values.tag}${suffix}`;
}

/** istiod's injectRequired, reduced to what applies to a webhook-selected pod. */
export function injectionSkipReason(pod: PodLike, namespace: string): string | undefined {
  if (pod.spec?.hostNetwork) return 'hostNetwork';
  if (['kube-system', 'kube-public'].includes(namespace)) return 'ignored namespace';
  const inject =
    pod.metadata?.annotations?.['sidecar.istio.io/inject'] ??
    pod.metadata?.labels?.['sidecar.istio.io/inject'];
  if (inject !== undefined && ['false', 'n', 'no', 'off'].includes(inject.toLowerCase()))
    return 'disabled by pod';
  if (pod.metadata?.annotations?.[STATUS_ANNOTATION]) return 'already injected';
  const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
  if (names.includes('istio-proxy')) return 'already has istio-proxy';
  return undefined;
}

/** Kubernetes 1.33+ on every node (or the pod's node) means native sidecars under `auto` (Istio 1.27+). */
export function nativeSidecarAuto(istioMinor: number, nodeKubeletVersions: string[]): boolean {
  if (istioMinor < 27) return false; // ENABLE_NATIVE_SIDECARS defaulted to false before "auto"
  return nodeKubeletVersions.every((v) => {
    const m = /^v?(\d+)\.(\d+)/.exec(v);
    return m !== null && Number(m[2]) >= 33;
  });
}

function escapeKey(k: string): string {
  return k.replaceAll('~', '~0').replaceAll('/', '~1');
}

function canonicalName(pod: PodLike): string {
  const l = pod.metadata?.labels ?? {};
  const fromLabels = l['service.istio.io/canonical-name'] ?? l['app.kubernetes.io/name'] ?? l.app;
  if (fromLabels) return fromLabels;
  const owner = pod.metadata?.ownerReferences?.[0];
  if (owner?.kind === 'ReplicaSet' && owner.name) return owner.name.replace(/-[a-z0-9]+$/, '');
  return pod.metadata?.name ?? pod.metadata?.generateName?.replace(/-$/, '') ?? 'unknown';
}

/** The JSON patch istiod would return for this pod (the parts the bot can observe). */
export function injectionPatch(
  pod: PodLike,
  opts: { revision: string; image: string; native: boolean },
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const appContainers = spec.containers ?? [];
  const initNames = opts.native ? ['istio-init', 'istio-proxy'] : ['istio-init'];
  const status = {
    initContainers: initNames,
    containers: opts.native ? null : ['istio-proxy'],
    volumes: SIDECAR_VOLUMES,
    imagePullSecrets: null,
    revision: opts.revision,
  };
  const annotations: Record<string, string> = {
    'istio.io/rev': opts.revision,
    'kubectl.kubernetes.io/default-container': appContainers[0]?.name ?? 'istio-proxy',
    'kubectl.kubernetes.io/default-logs-container': appContainers[0]?.name ?? 'istio-proxy',
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/port': '15020',
    'prometheus.io/scrape': 'true',
    [STATUS_ANNOTATION]: JSON.stringify(status),
  };
  const labels: Record<string, string> = {
    'security.istio.io/tlsMode': 'istio',
    'service.istio.io/canonical-name': canonicalName(pod),
    'service.istio.io/canonical-revision':
      meta.labels?.version ?? meta.labels?.['app.kubernetes.io/version'] ?? 'latest',
  };
  addMap(ops, '/metadata/annotations', meta.annotations, annotations);
  addMap(ops, '/metadata/labels', meta.labels, labels);

  const proxy = proxyContainer(opts.image, opts.native);
  const init = initContainer(opts.image);
  const inits = opts.native ? [init, proxy] : [init];
  if (spec.initContainers === undefined) ops.push({ op: 'add', path: '/spec/initContainers', value: inits });
  else for (const c of inits) ops.push({ op: 'add', path: '/spec/initContainers/-', value: c });
  if (!opts.native) ops.push({ op: 'add', path: '/spec/containers/-', value: proxy });

  const volumes = SIDECAR_VOLUMES.map(volume);
  if (spec.volumes === undefined) ops.push({ op: 'add', path: '/spec/volumes', value: volumes });
  else for (const v of volumes) ops.push({ op: 'add', path: '/spec/volumes/-', value: v });
  return ops;
}

function addMap(
  ops: JsonPatchOp[],
  path: string,
  existing: Record<string, string> | undefined,
  add: Record<string, string>,
): void {
  if (existing === undefined) {
    ops.push({ op: 'add', path, value: add });
    return;
  }
  for (const [k, v] of Object.entries(add)) {
    ops.push({ op: k in existing ? 'replace' : 'add', path: `${path}/${escapeKey(k)}`, value: v });
  }
}

const PROXY_MOUNTS = SIDECAR_VOLUMES.map((name) => ({ name, mountPath: `/var/run/istio-standin/${name}` }));

function proxyContainer(image: string, native: boolean): Record<string, unknown> {
  return {
    name: 'istio-proxy',
    image,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
    ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    volumeMounts: PROXY_MOUNTS,
    ...(native ? { restartPolicy: 'Always' } : {}),
  };
}

function initContainer(image: string): Record<string, unknown> {
  return {
    name: 'istio-init',
    image,
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*'],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  };
}

function volume(name: string): Record<string, unknown> {
  return { name, emptyDir: {} };
}
