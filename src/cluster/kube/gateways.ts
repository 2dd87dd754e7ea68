/**
 * Gateways installed as injected Deployments (Helm gateway chart, `inject.istio.io/templates: gateway`)
 * are moved in place: their pod template's `istio.io/rev` label is set to the revision, which rolls
 * them (a rolling update keeps the Service and its LoadBalancer IP); moving back is the same call with
 * the old revision. Gateways of the istioctl default profile are upgraded by the install itself.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { GatewayMover, WorkloadRef } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { KubeClient } from './client.js';
import type { KubeMeshInspector } from './inspector.js';
import type { KubeRestarter } from './restart.js';
import { patchWorkload } from './workloads.js';

export interface GatewayOptions {
  /** Namespaces to look in; default: every namespace. */
  namespaces?: string[] | undefined;
  timeoutMs?: number;
  logger?: Logger | undefined;
}

/** An injected gateway Deployment (pure). */
export function isInjectedGateway(d: V1Deployment): boolean {
  const ann = d.spec?.template?.metadata?.annotations ?? {};
  const templates = ann['inject.istio.io/templates'] ?? '';
  return templates
    .split(',')
    .map((s) => s.trim())
    .includes('gateway');
}

export class KubeGatewayMover implements GatewayMover {
  constructor(
    private readonly client: KubeClient,
    private readonly restarter: KubeRestarter,
    private readonly inspector: KubeMeshInspector,
    private readonly o: GatewayOptions = {},
  ) {}

  async find(signal?: AbortSignal): Promise<{ ref: WorkloadRef; rev: string | null }[]> {
    const lists = this.o.namespaces
      ? await Promise.all(
          this.o.namespaces.map((ns) =>
            this.client.request(
              `list Deployments in ${ns}`,
              (o) => this.client.apps.listNamespacedDeployment({ namespace: ns }, o),
              { signal },
            ),
          ),
        )
      : [
          await this.client.request(
            'list Deployments',
            (o) => this.client.apps.listDeploymentForAllNamespaces({}, o),
            { signal },
          ),
        ];
    return lists
      .flatMap((l) => l.items)
      .filter(isInjectedGateway)
      .map((d) => ({
        ref: {
          kind: 'Deployment' as const,
          namespace: d.metadata?.namespace ?? '',
          name: d.metadata?.name ?? '',
        },
        rev: d.spec?.template?.metadata?.labels?.['istio.io/rev'] ?? null,
      }));
  }

  async moveGateways(revision: string, signal?: AbortSignal): Promise<WorkloadRef[]> {
    const gws = await this.find(signal);
    for (const g of gws) {
      if (g.rev === revision) continue;
      await patchWorkload(
        this.client,
        g.ref,
        { spec: { template: { metadata: { labels: { 'istio.io/rev': revision } } } } },
        signal,
      );
    }
    const refs = gws.map((g) => g.ref);
    if (refs.length === 0) return refs;
    await this.restarter.waitForRollouts(refs, {
      timeoutMs: this.o.timeoutMs ?? 600_000,
      ...(signal ? { signal } : {}),
    });
    const namespaces = [...new Set(refs.map((r) => r.namespace))];
    const pods = (await this.inspector.sidecars(namespaces, signal)).filter((p) =>
      refs.some((r) => r.namespace === p.namespace && p.workload?.name === r.name),
    );
    const wrong = pods.filter((p) => p.revision !== revision);
    if (wrong.length > 0) {
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `gateway pods not on ${revision}: ${wrong.map((p) => `${p.namespace}/${p.pod} (${p.revision ?? 'no sidecar'})`).join(', ')}. A namespace label (istio.io/rev or istio-injection) takes precedence over the pod's label: point the gateway's namespace at the revision instead.`,
        { wrong },
      );
    }
    this.o.logger?.info({ revision, gateways: refs.length }, 'gateways moved');
    return refs;
  }
}
