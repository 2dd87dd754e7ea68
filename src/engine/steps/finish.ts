/** Steps after the last wave: move the tags, grace period, check the old revision is unused, uninstall it. */
import type { Compensation } from '../../domain/upgrade/record.js';
import { StepFailure } from '../runtime.js';
import { NO_TAG, type StepHandler } from './context.js';
import { pushOnce } from './controlplane.js';
import { gatewayApiOnOld, recordGatewayApiUndo, tagScope, verifyGatewayApi } from './gateway-api.js';
import { podsNotOn } from './wave.js';
import { verifyWaypoints, waypointsOnOld } from './waypoints.js';

export const moveTags: StepHandler = async (ctx) => {
  const r = ctx.record;
  const tags = await ctx.ports.inspector.tags(ctx.signal);
  const wanted = new Set<string>(['default']);
  for (const t of tags) if (t.revision === r.from.revision && t.tag !== r.tags?.canary) wanted.add(t.tag);
  if (r.tags) wanted.add(r.tags.stable);
  const canary = r.tags?.canary;
  if (!r.compensations.some((c) => c.kind === 'restore_tag' && c.tag !== canary)) {
    // Gateway API gateways that follow the tags move with them: checked on rollback after the tags.
    await recordGatewayApiUndo(ctx, 'finish', tagScope);
    const undo: Compensation[] = [...wanted].map((tag) => ({
      kind: 'restore_tag',
      tag,
      revision: tags.find((t) => t.tag === tag)?.revision ?? NO_TAG,
    }));
    await ctx.checkpoint((rec) => {
      for (const c of undo) pushOnce(rec.compensations, c);
    });
  } else {
    // A re-run: the tags to move are the ones recorded before the first attempt.
    for (const c of r.compensations) if (c.kind === 'restore_tag' && c.tag !== canary) wanted.add(c.tag);
  }
  for (const tag of wanted) await ctx.ports.tagger.setTag(tag, r.to.revision, ctx.signal);
  const gatewayApi = await verifyGatewayApi(ctx, tagScope);
  const gw =
    gatewayApi.length > 0 ? `; Gateway API gateway(s) on ${r.to.revision}: ${gatewayApi.join(', ')}` : '';
  // An ambient mesh's waypoints follow the tags too (ADR 20): each on the new revision, rolled out.
  const waypoints = await verifyWaypoints(ctx);
  const wp = waypoints.length > 0 ? `; waypoint(s) on ${r.to.revision}: ${waypoints.join(', ')}` : '';
  return { detail: `${[...wanted].join(', ')} → ${r.to.revision}${gw}${wp}` };
};

export const gracePeriod: StepHandler = async () => ({ detail: 'grace period over' });

export const checkOldUnused: StepHandler = async (ctx) => {
  const from = ctx.record.from.revision;
  // Uninstalling the old revision deletes every gateway its install still owns.
  const owned = await ctx.ports.installedGateways.ownedBy(from, ctx.signal);
  if (owned.length > 0)
    throw new StepFailure(
      'verify_failed',
      `${owned.map((g) => `${g.namespace}/${g.name}`).join(', ')} still belong(s) to the install of ${from}: uninstalling ${from} would delete them while they serve traffic. Install them at ${ctx.record.to.revision} (e.g. with the canary's istioctl and the same profile) or move them to a gateway Deployment, then retry.`,
    );
  const gatewayApi = await gatewayApiOnOld(ctx);
  if (gatewayApi.length > 0)
    throw new StepFailure(
      'verify_failed',
      `Gateway API gateway(s) still on ${from}: ${gatewayApi.join(', ')}. Uninstalling ${from} would leave them without a control plane: point their istio.io/rev label (or their namespace's) at ${ctx.record.to.revision}, wait until istiod re-renders them, then retry.`,
    );
  const waypoints = await waypointsOnOld(ctx);
  if (waypoints.length > 0)
    throw new StepFailure(
      'verify_failed',
      `waypoint(s) still on ${from}: ${waypoints.join(', ')}. Uninstalling ${from} would leave them without a control plane: point the tag or label they follow at ${ctx.record.to.revision}, wait until istiod re-renders them, then retry.`,
    );
  const names = (await ctx.ports.inspector.namespaces(ctx.signal)).map((n) => n.name);
  const { wrong } = await podsNotOn(ctx, names, (rev) => rev !== from);
  if (wrong.length > 0)
    throw new StepFailure(
      'verify_failed',
      `${wrong.length} pod(s) still use the old revision ${from}: ${wrong
        .slice(0, 5)
        .map((p) => `${p.namespace}/${p.pod}`)
        .join(', ')}${wrong.length > 5 ? ', …' : ''}. Restart them (or roll back), then retry.`,
    );
  return { detail: `no pod uses ${from}` };
};

export const uninstallOld: StepHandler = async (ctx) => {
  const { from } = ctx.record;
  await ctx.ports.installer.uninstall(from.version, from.revision, ctx.signal);
  return { detail: `revision ${from.revision} uninstalled` };
};
