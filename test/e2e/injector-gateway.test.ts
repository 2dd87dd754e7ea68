// The injector STAND-IN on pods of the Helm gateway chart (manifests/charts/gateway): istiod's
// `gateway` template (istio-discovery/files/gateway-injection-template.yaml) and AutoImage handling
// (pkg/kube/inject/webhook.go). No cluster needed; the e2e scenarios run it on the real apiserver.
import { describe, expect, it } from 'vitest';
import {
  injectionPatch,
  injectionTemplates,
  type JsonPatchOp,
  mergeContainer,
  type PodLike,
} from '../support/injector-standin-mutate.js';

const IMAGE = 'docker.io/istio/proxyv2:1.31-dev';

function applyPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    let cur = out as Record<string, unknown> | unknown[];
    for (const p of parts.slice(0, -1)) cur = (cur as Record<string, unknown>)[p] as Record<string, unknown>;
    const last = parts[parts.length - 1]!;
    if (Array.isArray(cur)) {
      if (last === '-' && op.op === 'add') cur.push(op.value);
      else if (op.op === 'replace' && Number(last) < cur.length) cur[Number(last)] = op.value;
      else throw new Error(`bad array op ${JSON.stringify(op)}`);
    } else {
      if (op.op === 'replace' && !(last in cur)) throw new Error(`replace of a missing ${op.path}`);
      cur[last] = op.value;
    }
  }
  return out as T;
}

/** A pod as the Helm gateway chart's Deployment template makes it (values.yaml defaults). */
const helmGatewayPod = (): PodLike => ({
  metadata: {
    generateName: 'istio-ingress-7c9d8b6f5-',
    labels: {
      'sidecar.istio.io/inject': 'true',
      'istio.io/rev': '1-31-dev',
      app: 'istio-ingress',
      istio: 'ingress',
      'app.kubernetes.io/name': 'istio-ingress',
    },
    annotations: {
      'prometheus.io/port': '15020',
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/stats/prometheus',
      'inject.istio.io/templates': 'gateway',
      'sidecar.istio.io/inject': 'true',
    },
  },
  spec: {
    containers: [
      {
        name: 'istio-proxy',
        image: 'auto',
        securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
        ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
        env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: 'net1' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      },
    ],
  },
});

describe('injector stand-in: the gateway template', () => {
  it('reads the templates a pod asks for (default sidecar) and refuses an unknown one, as istiod', () => {
    expect(injectionTemplates({ metadata: {} })).toEqual(['sidecar']);
    expect(injectionTemplates(helmGatewayPod())).toEqual(['gateway']);
    expect(() =>
      injectionTemplates({ metadata: { annotations: { 'inject.istio.io/templates': 'grpc-agent' } } }),
    ).toThrow('requested template "grpc-agent" not found');
  });

  it('replaces image: auto with the revision’s proxy image, keeps the pod’s own fields, adds no init container', () => {
    const pod = helmGatewayPod();
    const out = applyPatch(pod, injectionPatch(pod, { revision: '1-31-dev', image: IMAGE, native: true }));
    const spec = out.spec!;
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers).toHaveLength(1);
    const proxy = spec.containers![0]! as Record<string, unknown>;
    expect(proxy.name).toBe('istio-proxy');
    expect(proxy.image).toBe(IMAGE);
    expect(proxy.restartPolicy).toBeUndefined(); // a regular container, never a native sidecar
    expect((proxy.args as string[]).slice(0, 2)).toEqual(['proxy', 'router']);
    expect(proxy.securityContext).toEqual({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect((proxy.env as { name: string; value?: string }[]).map((e) => e.name)).toEqual([
      'POD_NAME',
      'POD_NAMESPACE',
      'ISTIO_META_REQUESTED_NETWORK_VIEW',
    ]);
    expect(proxy.ports).toEqual([{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }]);
    const ann = out.metadata!.annotations!;
    expect(JSON.parse(ann['sidecar.istio.io/status']!)).toEqual({
      initContainers: null,
      containers: ['istio-proxy'],
      volumes: [
        'workload-socket',
        'credential-socket',
        'workload-certs',
        'istio-envoy',
        'istio-data',
        'istio-podinfo',
        'istio-token',
        'istiod-ca-cert',
      ],
      imagePullSecrets: null,
      revision: '1-31-dev',
    });
    expect(ann['istio.io/rev']).toBe('1-31-dev');
    // no app container: no default-container annotations; no tlsMode label (gateway template)
    expect(ann['kubectl.kubernetes.io/default-container']).toBeUndefined();
    expect(out.metadata!.labels!['security.istio.io/tlsMode']).toBeUndefined();
    expect(out.metadata!.labels!['service.istio.io/canonical-name']).toBe('istio-ingress');
  });

  it('a sidecar-template pod still gets istio-init and a sidecar (native on 1.33 nodes)', () => {
    const pod: PodLike = {
      metadata: { name: 'web-0', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app' }] },
    };
    const out = applyPatch(pod, injectionPatch(pod, { revision: 'r', image: IMAGE, native: true }));
    expect(out.spec!.initContainers!.map((c) => c.name)).toEqual(['istio-init', 'istio-proxy']);
    expect(out.metadata!.labels!['security.istio.io/tlsMode']).toBe('istio');
  });

  it('a pod’s own istio-proxy with a pinned image keeps it (only auto is replaced)', () => {
    const own = { name: 'istio-proxy', image: 'registry.example/proxyv2:pinned' };
    expect(mergeContainer({ name: 'istio-proxy', image: IMAGE, args: ['proxy'] }, own)).toEqual({
      name: 'istio-proxy',
      image: 'registry.example/proxyv2:pinned',
      args: ['proxy'],
    });
    expect(
      mergeContainer({ name: 'istio-proxy', image: IMAGE }, { name: 'istio-proxy', image: 'auto' }).image,
    ).toBe(IMAGE);
  });
});
