// STAND-IN for istiod's sidecar injector (pkg/kube/inject), used only by the e2e cluster.
// No istiod runs here (KWOK pods are fake), so this computes the JSON patch istiod would return
// for a pod: an `istio-proxy` container (or native sidecar) with the proxy image of the revision's
// version, the `istio-init` init container, and the annotations/labels the bot relies on.
// It is deliberately small: it is faithful to the contract the bot reads (image tag, the
// `sidecar.istio.io/status` annotation with `revision`, `istio.io/rev` annotation), not to
// every field of the real injection template.
// Templates (annotation `inject.istio.io/templates`, default `sidecar`), as istiod's
// manifests/charts/istio-control/istio-discovery/files/*.yaml and pkg/kube/inject/webhook.go:
// - `sidecar`: istio-init + istio-proxy (`proxy sidecar`), label security.istio.io/tlsMode;
// - `gateway` (Helm gateway chart pods): NO init container, istio-proxy (`proxy router`) as a regular
//   container, no tlsMode label. A container the pod already has named istio-proxy is merged over
//   the template's, and its `image: auto` is replaced by the revision's proxy image (AutoImage).

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
    containers?: { name: string; image?: string; [field: string]: unknown }[];
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
  return undefined;
}

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
/** istiod's AutoImage: a container image the injector replaces with the proxy image. */
export const AUTO_IMAGE = 'auto';

/** The injection templates a pod asks for; istiod's selectTemplates (default `sidecar`). */
export function injectionTemplates(pod: PodLike): string[] {
  const a = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  if (a === undefined) return ['sidecar'];
  const names = a.split(',').map((t) => t.trim());
  for (const t of names) {
    // istiod: `requested template "x" not found; have sidecar, gateway, ...` (the webhook errors)
    if (!['sidecar', 'gateway'].includes(t)) throw new Error(`requested template "${t}" not found`);
  }
  return names;
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
  const templates = injectionTemplates(pod);
  const gateway = templates.includes('gateway') && !templates.includes('sidecar');
  const existing = (spec.containers ?? []).findIndex((c) => c.name === 'istio-proxy');
  // the gateway template and a pod's own istio-proxy keep the proxy a regular container
  const native = opts.native && !gateway && existing < 0;
  const appContainers = (spec.containers ?? []).filter((c) => c.name !== 'istio-proxy');
  const initNames = gateway ? null : native ? ['istio-init', 'istio-proxy'] : ['istio-init'];
  const status = {
    initContainers: initNames,
    containers: native ? null : ['istio-proxy'],
    volumes: SIDECAR_VOLUMES,
    imagePullSecrets: null,
    revision: opts.revision,
  };
  const annotations: Record<string, string> = {
    'istio.io/rev': opts.revision,
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/port': '15020',
    'prometheus.io/scrape': 'true',
    [STATUS_ANNOTATION]: JSON.stringify(status),
  };
  // the sidecar template always names a default container; the gateway one only an app container
  const first = appContainers[0]?.name ?? (gateway ? undefined : 'istio-proxy');
  if (first !== undefined) {
    annotations['kubectl.kubernetes.io/default-container'] = first;
    annotations['kubectl.kubernetes.io/default-logs-container'] = first;
  }
  const labels: Record<string, string> = {
    ...(gateway ? {} : { 'security.istio.io/tlsMode': 'istio' }),
    'service.istio.io/canonical-name': canonicalName(pod),
    'service.istio.io/canonical-revision':
      meta.labels?.version ?? meta.labels?.['app.kubernetes.io/version'] ?? 'latest',
  };
  addMap(ops, '/metadata/annotations', meta.annotations, annotations);
  addMap(ops, '/metadata/labels', meta.labels, labels);

  const template = proxyContainer(opts.image, native, gateway ? 'router' : 'sidecar');
  const proxy = existing < 0 ? template : mergeContainer(template, spec.containers![existing]!);
  const inits = gateway ? [] : native ? [initContainer(opts.image), proxy] : [initContainer(opts.image)];
  if (inits.length > 0 && spec.initContainers === undefined)
    ops.push({ op: 'add', path: '/spec/initContainers', value: inits });
  else for (const c of inits) ops.push({ op: 'add', path: '/spec/initContainers/-', value: c });
  if (existing >= 0) ops.push({ op: 'replace', path: `/spec/containers/${existing}`, value: proxy });
  else if (!native) ops.push({ op: 'add', path: '/spec/containers/-', value: proxy });

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

/**
 * The pod's own container over the template's (istiod: applyContainer, a strategic merge): its
 * fields win, lists of named items merge by name, and `image: auto` (or none) takes the template's.
 */
export function mergeContainer(
  template: Record<string, unknown>,
  own: { name: string; image?: string; [field: string]: unknown },
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...template };
  for (const [k, v] of Object.entries(own)) {
    const base = template[k];
    if (k === 'image') out[k] = v === AUTO_IMAGE || v === '' ? template.image : v;
    else if (Array.isArray(v) && Array.isArray(base) && ['env', 'ports', 'volumeMounts'].includes(k)) {
      const key = (x: { name?: string; containerPort?: number }) => x.name ?? String(x.containerPort);
      const mine = new Set(v.map(key));
      out[k] = [...base.filter((x) => !mine.has(key(x))), ...v];
    } else out[k] = v;
  }
  return out;
}

function proxyContainer(image: string, native: boolean, mode: 'sidecar' | 'router'): Record<string, unknown> {
  return {
    name: 'istio-proxy',
    image,
    args: ['proxy', mode, '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
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
