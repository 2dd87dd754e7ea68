// STAND-IN for Gateway API gateways and istiod's gateway deployment controller on the engine's
// stand-in cluster (cluster-standin.ts): Gateways of class istio kept in memory, each rendered at
// once by the revision whose istiod claims it now (the same IsMine rule as the domain's
// servingRevision, over the stand-in's tags, control planes and namespace labels). verify answers as
// the real adapter does: verify_failed naming the gateways not rendered by the revision.
import { type GatewayApiGateway, gatewayKey, servingRevision } from '../../src/domain/upgrade/gateway-api.js';
import type { GatewayApiGateways } from '../../src/engine/ports.js';
import { CodedError, ErrorCode } from '../../src/errors.js';
import type { ClusterStandin } from './cluster-standin.js';

export interface StandinGatewayApiGateway {
  namespace: string;
  name: string;
  revLabel: string | null;
}

export class GatewayApiStandin implements GatewayApiGateways {
  readonly gateways = new Map<string, StandinGatewayApiGateway>();
  /** Every setRevLabel call, in order. */
  readonly relabels: { gateway: string; value: string | null }[] = [];

  constructor(
    private readonly cluster: ClusterStandin,
    gateways: StandinGatewayApiGateway[],
  ) {
    for (const g of gateways) this.gateways.set(gatewayKey(g), { ...g });
  }

  async list(): Promise<GatewayApiGateway[]> {
    const s = await this.cluster.state();
    const mesh = { controlPlanes: s.controlPlanes, tags: s.tags };
    return [...this.gateways.values()].map((g) => {
      const read: GatewayApiGateway = {
        ...g,
        namespaceRev: s.namespaces.find((n) => n.name === g.namespace)?.rev ?? null,
        managed: true,
        deployment: `${g.name}-istio`,
        renderedBy: null,
      };
      return { ...read, renderedBy: servingRevision(read, mesh) };
    });
  }

  async setRevLabel(g: { namespace: string; name: string }, value: string | null): Promise<boolean> {
    const cur = this.gateways.get(gatewayKey(g));
    if (!cur) return false;
    cur.revLabel = value;
    this.relabels.push({ gateway: gatewayKey(g), value });
    return true;
  }

  async verify(gws: { namespace: string; name: string }[], revision: string): Promise<void> {
    const now = await this.list();
    const wrong = gws.filter(
      (g) => now.find((x) => gatewayKey(x) === gatewayKey(g))?.renderedBy !== revision,
    );
    if (wrong.length > 0)
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `Gateway API gateway(s) not rendered by istiod ${revision}: ${wrong.map(gatewayKey).join(', ')}`,
      );
  }

  async renderedBy(key: string): Promise<string | null> {
    return (await this.list()).find((g) => gatewayKey(g) === key)?.renderedBy ?? null;
  }
}
