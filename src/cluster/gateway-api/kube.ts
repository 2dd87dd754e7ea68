/**
 * GatewayApiGateways over the Kubernetes API (port: src/engine/ports.ts, domain:
 * src/domain/upgrade/gateway-api.ts). Every request through KubeClient.request (own timeout,
 * transient faults retried, the step's AbortSignal).
 *
 * - list: Gateways istiod deploys as gateways — class `istio`, or any GatewayClass whose controllerName
 *   is istiod's (`istioGatewayClasses`; gateway.networking.k8s.io v1, then v1beta1; a cluster without
 *   the CRDs has none), their namespaces' `istio.io/rev` labels, and the Deployments istiod's gateway
 *   controller renders (label `gateway.istio.io/managed=istio.io-gateway-controller`), whose pod
 *   template annotation `istio.io/rev` names the revision that rendered them.
 * - setRevLabel: a merge patch of the Gateway's `istio.io/rev` label (istiod re-renders on a label
 *   change).
 * - verify: polls until istiod has rendered each Deployment with the revision, then waits for the
 *   rollout as `kubectl rollout status` would, then checks that every live pod carries the revision.
 */
import { CustomObjectsApi, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import {
  GATEWAY_CLASS,
  type GatewayApiGateway,
  gatewayKey,
  istioGatewayClasses,
} from '../../domain/upgrade/gateway-api.js';
import type { GatewayApiGateways } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { sleep } from '../cancel.js';
import { type KubeClient, mergePatch } from '../kube/client.js';
import { type Listed, listAll } from '../kube/paged.js';
import type { KubeRestarter } from '../kube/restart.js';

const GROUP = 'gateway.networking.k8s.io';
const REV = 'istio.io/rev';
export const MANAGED_SELECTOR = 'gateway.istio.io/managed=istio.io-gateway-controller';
const NAME_OVERRIDE = 'gateway.istio.io/name-override';

export interface GatewayClassObj {
  metadata?: { name?: string };
  spec?: { controllerName?: string };
}

export interface GatewayObj {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
  };
  spec?: { gatewayClassName?: string; addresses?: { type?: string; value?: string }[] };
}

/** The Gateways not being deleted, at the first Gateway API version the cluster serves (v1, then
 * v1beta1), with that version; null when neither is served (no CRDs). `purpose` is appended to the
 * request's description (`list Gateways (group/version, purpose)`). */
export async function liveGateways(
  client: KubeClient,
  custom: CustomObjectsApi,
  purpose: string,
  signal?: AbortSignal,
): Promise<{ version: string; gateways: GatewayObj[] } | null> {
  for (const version of ['v1', 'v1beta1']) {
    const items = await listAll(
      client,
      `list Gateways (${GROUP}/${version}${purpose ? `, ${purpose}` : ''})`,
      signal,
      (page, o) =>
        custom.listClusterCustomObject({ group: GROUP, version, plural: 'gateways', ...page }, o) as Promise<
          Listed<GatewayObj>
        >,
      true,
    );
    if (items === null) continue;
    return { version, gateways: items.filter((g) => !g.metadata?.deletionTimestamp) };
  }
  return null;
}

/** istiod's IsManaged: no address, or exactly one of type IPAddress (the default). Pure. */
export function isManaged(g: GatewayObj): boolean {
  const a = g.spec?.addresses ?? [];
  if (a.length === 0) return true;
  if (a.length > 1) return false;
  const t = a[0]?.type;
  return t === undefined || t === 'IPAddress';
}

/** The Deployment name istiod gives a Gateway: `<name>-<class>` or the name-override annotation. Pure. */
export const deploymentName = (g: GatewayObj): string =>
  g.metadata?.annotations?.[NAME_OVERRIDE] || `${g.metadata?.name ?? ''}-${g.spec?.gatewayClassName ?? ''}`;

/** The revision that rendered a gateway Deployment (pod template annotation `istio.io/rev`). Pure. */
export const renderedBy = (d: V1Deployment | undefined): string | null =>
  d?.spec?.template?.metadata?.annotations?.[REV] ?? null;

/** The read model of one Gateway (pure). */
export function toGateway(
  g: GatewayObj,
  nsRev: Map<string, string | null>,
  deployments: Map<string, V1Deployment>,
): GatewayApiGateway {
  const namespace = g.metadata?.namespace ?? '';
  const deployment = deploymentName(g);
  const className = g.spec?.gatewayClassName ?? GATEWAY_CLASS;
  return {
    namespace,
    name: g.metadata?.name ?? '',
    ...(className !== GATEWAY_CLASS ? { className } : {}),
    revLabel: g.metadata?.labels?.[REV] ?? null,
    namespaceRev: nsRev.get(namespace) ?? null,
    managed: isManaged(g),
    deployment,
    renderedBy: renderedBy(deployments.get(`${namespace}/${deployment}`)),
  };
}

export class KubeGatewayApiGateways implements GatewayApiGateways {
  private readonly custom: CustomObjectsApi;
  /** The served API version found by the last list (v1, else v1beta1). */
  private version = 'v1';

  constructor(
    private readonly client: KubeClient,
    private readonly restarter: KubeRestarter,
    private readonly o: { pollMs?: number; logger?: Logger | undefined } = {},
  ) {
    this.custom = client.kc.makeApiClient(CustomObjectsApi);
  }

  async list(signal?: AbortSignal): Promise<GatewayApiGateway[]> {
    const gateways = await this.gateways(signal);
    if (gateways.length === 0) return [];
    const [namespaces, deployments] = await Promise.all([
      listAll(this.client, 'list Namespaces', signal, (page, o) =>
        this.client.core.listNamespace({ ...page }, o),
      ),
      this.deployments(signal),
    ]);
    const nsRev = new Map(namespaces.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[REV] ?? null]));
    return gateways.map((g) => toGateway(g, nsRev, deployments));
  }

  async setRevLabel(
    gateway: { namespace: string; name: string },
    value: string | null,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const { namespace, name } = gateway;
    const body = { metadata: { labels: { [REV]: value } } };
    const done = await this.client.requestOrNull(
      `label Gateway ${namespace}/${name} ${REV}=${value ?? '(none)'}`,
      (o) =>
        this.custom.patchNamespacedCustomObject(
          { group: GROUP, version: this.version, namespace, plural: 'gateways', name, body },
          mergePatch(o),
        ),
      { signal },
    );
    this.o.logger?.info(
      { gateway: `${namespace}/${name}`, [REV]: value, found: done !== null },
      'gateway relabelled',
    );
    return done !== null;
  }

  async verify(
    gateways: { namespace: string; name: string }[],
    revision: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void> {
    if (gateways.length === 0) return;
    const wanted = new Set(gateways.map(gatewayKey));
    const deadline = Date.now() + opts.timeoutMs;
    let last: GatewayApiGateway[] = [];
    // istiod renders asynchronously (it reacts to the label or tag change): poll its result.
    for (;;) {
      last = (await this.list(opts.signal)).filter((g) => wanted.has(gatewayKey(g)));
      const pending = last.filter((g) => g.renderedBy !== revision);
      const missing = [...wanted].filter((k) => !last.some((g) => gatewayKey(g) === k));
      if (pending.length === 0 && missing.length === 0) break;
      if (Date.now() >= deadline)
        throw new CodedError(
          ErrorCode.VerifyFailed,
          `Gateway API gateway(s) not rendered by istiod ${revision} within ${Math.round(opts.timeoutMs / 1000)} s: ${[
            ...pending.map(
              (g) =>
                `${gatewayKey(g)} (Deployment ${g.deployment} ${g.renderedBy ? `on ${g.renderedBy}` : 'not found'})`,
            ),
            ...missing.map((k) => `${k} (Gateway gone)`),
          ].join(
            ', ',
          )}. Check that istiod ${revision} runs and that the Gateway's or its namespace's istio.io/rev label (or the default tag) points at it.`,
          { pending: pending.map(gatewayKey), missing },
        );
      await sleep(this.o.pollMs ?? 1000, opts.signal);
    }
    const refs = last.map((g) => ({
      kind: 'Deployment' as const,
      namespace: g.namespace,
      name: g.deployment,
    }));
    await this.restarter.waitForRollouts(refs, {
      timeoutMs: Math.max(1000, deadline - Date.now()),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const wrong: string[] = [];
    for (const g of last) {
      for (const p of await this.pods(g, opts.signal)) {
        const rev = p.metadata?.annotations?.[REV] ?? null;
        if (rev !== revision)
          wrong.push(`${g.namespace}/${p.metadata?.name ?? '?'} (${rev ?? 'no revision'})`);
      }
    }
    if (wrong.length > 0)
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `Gateway API gateway pod(s) not on ${revision} after the rollout: ${wrong.slice(0, 10).join(', ')}`,
        { wrong },
      );
    this.o.logger?.info({ revision, gateways: [...wanted] }, 'Gateway API gateways verified');
  }

  /** Live pods of a gateway's Deployment (not terminating, not ended). */
  private async pods(g: GatewayApiGateway, signal?: AbortSignal): Promise<V1Pod[]> {
    const d = await this.client.requestOrNull(
      `read Deployment ${g.namespace}/${g.deployment}`,
      (o) => this.client.apps.readNamespacedDeployment({ name: g.deployment, namespace: g.namespace }, o),
      { signal },
    );
    const match = d?.spec?.selector?.matchLabels ?? {};
    const selector = Object.entries(match)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (!d || selector === '') return [];
    const pods = await listAll(
      this.client,
      `list pods of ${g.namespace}/${g.deployment}`,
      signal,
      (page, o) =>
        this.client.core.listNamespacedPod({ namespace: g.namespace, labelSelector: selector, ...page }, o),
    );
    return pods.filter(
      (p) =>
        !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
  }

  /** Gateways istiod deploys as gateways (class istio or with its controller name), not being deleted;
   * none when no Gateway API version is served. */
  private async gateways(signal?: AbortSignal): Promise<GatewayObj[]> {
    const served = await liveGateways(this.client, this.custom, '', signal);
    if (served === null) return [];
    this.version = served.version;
    if (served.gateways.length === 0) return [];
    const classes = await this.classes(served.version, signal);
    return served.gateways.filter((g) => classes.has(g.spec?.gatewayClassName ?? ''));
  }

  /** The classes istiod deploys gateways for, from the cluster's GatewayClasses. */
  private async classes(version: string, signal?: AbortSignal): Promise<Set<string>> {
    const items = await listAll(
      this.client,
      `list GatewayClasses (${GROUP}/${version})`,
      signal,
      (page, o) =>
        this.custom.listClusterCustomObject(
          { group: GROUP, version, plural: 'gatewayclasses', ...page },
          o,
        ) as Promise<Listed<GatewayClassObj>>,
      true,
    );
    return istioGatewayClasses(
      (items ?? []).map((c) => ({
        name: c.metadata?.name ?? '',
        controllerName: c.spec?.controllerName ?? '',
      })),
    );
  }

  private async deployments(signal?: AbortSignal): Promise<Map<string, V1Deployment>> {
    const items = await listAll(this.client, 'list gateway Deployments', signal, (page, o) =>
      this.client.apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED_SELECTOR, ...page }, o),
    );
    return new Map(items.map((d) => [`${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`, d]));
  }
}
