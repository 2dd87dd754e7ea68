/**
 * Gateway API gateways in the steps (ADR 17; domain: src/domain/upgrade/gateway-api.ts). The steps
 * call these at four points, each a no-op on a cluster without such gateways:
 * - `gateways` step: Gateways labelled with the old revision are relabelled with the new one (the undo
 *   recorded first), then verified;
 * - `move_namespaces` / `verify_sidecars` of a wave: gateways that follow the wave's namespaces (or the
 *   canary tag) move by themselves; their undo check is recorded before, they are verified after;
 * - `move_tags`: gateways that follow a tag or `default` move by themselves; the same;
 * - `check_old_unused`: no gateway may still be claimed or rendered by the old revision.
 * Every read is live (what istiod sees now), so a re-run after a crash decides the same way.
 */
import {
  type GatewayApiGateway,
  gatewayKey,
  type MeshRevisions,
  servingRevision,
} from '../../domain/upgrade/gateway-api.js';
import type { Compensation } from '../../domain/upgrade/record.js';
import { StepFailure } from '../runtime.js';
import { type StepContext, same } from './context.js';

type Verify = Extract<Compensation, { kind: 'verify_gateway_api' }>;
type LabelsBack = Extract<Compensation, { kind: 'gateway_api_labels_back' }>;

async function live(
  ctx: StepContext,
): Promise<{ gateways: GatewayApiGateway[]; mesh: MeshRevisions } | null> {
  const port = ctx.ports.gatewayApi;
  if (!port) return null;
  const gateways = (await port.list(ctx.signal)).filter((g) => g.managed);
  if (gateways.length === 0) return { gateways, mesh: { controlPlanes: [], tags: [] } };
  const [controlPlanes, tags] = await Promise.all([
    ctx.ports.inspector.controlPlanes(ctx.signal),
    ctx.ports.inspector.tags(ctx.signal),
  ]);
  return { gateways, mesh: { controlPlanes, tags } };
}

const ref = (key: string) => {
  const [namespace = '', name = ''] = key.split('/');
  return { namespace, name };
};

const isRevisionLabel = (g: GatewayApiGateway, mesh: MeshRevisions) =>
  g.revLabel !== null && g.revLabel !== '' && !mesh.tags.some((t) => t.tag === g.revLabel);

async function pushFirst(ctx: StepContext, c: Compensation): Promise<void> {
  if (ctx.record.compensations.some((x) => same(x, c))) return;
  await ctx.checkpoint((r) => {
    if (!r.compensations.some((x) => same(x, c))) r.compensations.push(c);
  });
}

/** `gateways` step: relabel the Gateways labelled `istio.io/rev=<old revision>`, then verify them. */
export async function relabelGatewayApi(ctx: StepContext): Promise<string[]> {
  const { from, to } = ctx.record;
  const port = ctx.ports.gatewayApi;
  let undo = ctx.record.compensations.find((c): c is LabelsBack => c.kind === 'gateway_api_labels_back');
  if (!port) return [];
  if (!undo) {
    const l = await live(ctx);
    const labelled = (l?.gateways ?? []).filter(
      (g) => l && isRevisionLabel(g, l.mesh) && g.revLabel === from.revision,
    );
    if (labelled.length === 0) return [];
    undo = {
      kind: 'gateway_api_labels_back',
      revision: from.revision,
      gateways: labelled.map((g) => ({ gateway: gatewayKey(g), label: g.revLabel })),
    };
    await pushFirst(ctx, undo);
  }
  for (const g of undo.gateways) await port.setRevLabel(ref(g.gateway), to.revision, ctx.signal);
  const keys = undo.gateways.map((g) => g.gateway);
  await port.verify(keys.map(ref), to.revision, { timeoutMs: ctx.waveTimeoutMs, signal: ctx.signal });
  return keys;
}

/** Before a change that moves gateways by themselves (tags, a wave's namespaces): the undo's check. */
export async function recordGatewayApiUndo(
  ctx: StepContext,
  phase: string,
  moves: (g: GatewayApiGateway, mesh: MeshRevisions) => boolean,
): Promise<void> {
  if (ctx.record.compensations.some((c) => c.kind === 'verify_gateway_api' && c.phase === phase)) return;
  const l = await live(ctx);
  if (!l) return;
  const from = ctx.record.from.revision;
  const keys = l.gateways
    .filter((g) => servingRevision(g, l.mesh) === from && moves(g, l.mesh))
    .map(gatewayKey);
  if (keys.length === 0) return;
  await pushFirst(ctx, {
    kind: 'verify_gateway_api',
    revision: from,
    phase,
    gateways: keys,
  } satisfies Verify);
}

/** After such a change: every gateway in scope that istiod's new revision now claims is on it. */
export async function verifyGatewayApi(
  ctx: StepContext,
  inScope: (g: GatewayApiGateway, mesh: MeshRevisions) => boolean,
): Promise<string[]> {
  const l = await live(ctx);
  if (!l || !ctx.ports.gatewayApi) return [];
  const to = ctx.record.to.revision;
  const keys = l.gateways
    .filter((g) => servingRevision(g, l.mesh) === to && inScope(g, l.mesh))
    .map(gatewayKey);
  await ctx.ports.gatewayApi.verify(keys.map(ref), to, { timeoutMs: ctx.waveTimeoutMs, signal: ctx.signal });
  return keys;
}

/** Gateways a wave moves: in its namespaces following them, or (tags strategy) the canary tag. */
export function waveScope(ctx: StepContext, namespaces: string[]) {
  const canary = ctx.record.strategy === 'tags' ? ctx.record.tags?.canary : undefined;
  return (g: GatewayApiGateway) =>
    (namespaces.includes(g.namespace) && (g.revLabel === null || g.revLabel === '')) ||
    (canary !== undefined && g.revLabel === canary);
}

/** Gateways the finish's tags move: every one that follows a tag (its label, its namespace's) or default. */
export const tagScope = (g: GatewayApiGateway, mesh: MeshRevisions) => !isRevisionLabel(g, mesh);

/** The Deployments istiod renders for Gateway API gateways (`Deployment/<ns>/<name>`): the bot
 * neither restarts them nor judges them by their pods in the sidecar checks — istiod moves them when
 * their claim changes, and the Gateway API checks verify them. */
export async function gatewayApiWorkloads(ctx: StepContext): Promise<Set<string>> {
  const port = ctx.ports.gatewayApi;
  if (!port) return new Set();
  const gateways = (await port.list(ctx.signal)).filter((g) => g.managed);
  return new Set(gateways.map((g) => `Deployment/${g.namespace}/${g.deployment}`));
}

/** `check_old_unused`: gateways still claimed or rendered by the old revision. */
export async function gatewayApiOnOld(ctx: StepContext): Promise<string[]> {
  const l = await live(ctx);
  if (!l) return [];
  const from = ctx.record.from.revision;
  return l.gateways
    .filter((g) => servingRevision(g, l.mesh) === from || g.renderedBy === from)
    .map((g) => `${gatewayKey(g)} (Deployment ${g.deployment} on ${g.renderedBy ?? 'none'})`);
}

/** Rollback of `gateway_api_labels_back`: the labels as they were, then verified on the old revision.
 * A label someone else changed since is not overwritten: the rollback stops and says so. */
export async function labelsBack(ctx: StepContext, c: LabelsBack): Promise<string> {
  const port = ctx.ports.gatewayApi;
  if (!port)
    throw new StepFailure('verify_failed', 'this cluster has no Gateway API adapter to undo labels with');
  const now = new Map((await port.list(ctx.signal)).map((g) => [gatewayKey(g), g]));
  const to = ctx.record.to.revision;
  const changed = c.gateways.filter((g) => {
    const cur = now.get(g.gateway);
    return cur && cur.revLabel !== g.label && cur.revLabel !== to;
  });
  if (changed.length > 0)
    throw new StepFailure(
      'verify_failed',
      `the istio.io/rev label of ${changed.map((g) => `${g.gateway} (now ${now.get(g.gateway)?.revLabel ?? 'none'})`).join(', ')} was changed by someone else since the bot set it to ${to}: the rollback does not overwrite it. Set it back to ${c.revision} yourself (or leave it as wanted), then retry.`,
    );
  const present = c.gateways.filter((g) => now.has(g.gateway));
  for (const g of present)
    if (now.get(g.gateway)?.revLabel !== g.label) await port.setRevLabel(ref(g.gateway), g.label, ctx.signal);
  await port.verify(
    present.map((g) => ref(g.gateway)),
    c.revision,
    { timeoutMs: ctx.waveTimeoutMs, signal: ctx.signal },
  );
  return `${present.length} Gateway API gateway(s) relabelled back and rendered by ${c.revision}${present.length < c.gateways.length ? ` (${c.gateways.length - present.length} gone)` : ''}`;
}

/** Rollback of `verify_gateway_api`: the gateways that still exist are rendered by the old revision again. */
export async function verifyBack(ctx: StepContext, c: Verify): Promise<string> {
  const port = ctx.ports.gatewayApi;
  if (!port) throw new StepFailure('verify_failed', 'this cluster has no Gateway API adapter to verify with');
  const now = new Set((await port.list(ctx.signal)).map(gatewayKey));
  const present = c.gateways.filter((g) => now.has(g));
  await port.verify(present.map(ref), c.revision, { timeoutMs: ctx.waveTimeoutMs, signal: ctx.signal });
  return `${present.length} Gateway API gateway(s) of ${c.phase} back on ${c.revision}`;
}
