/** Steps before the waves: plan, precheck, install and verify the canary control plane, gateways. */
import type { Compensation } from '../../domain/upgrade/record.js';
import { StepFailure } from '../runtime.js';
import { type StepHandler, same } from './context.js';
import { relabelGatewayApi } from './gateway-api.js';

const pushOnce = (list: Compensation[], c: Compensation) => {
  if (!list.some((x) => same(x, c))) list.push(c);
};

export const gatewaySnapshotKey = (id: string) => `gateways:${id}:before-install`;
const names = (refs: { namespace: string; name: string }[]) => refs.map((g) => `${g.namespace}/${g.name}`);

export const plan: StepHandler = async (ctx) => {
  // Gateways the old revision's install owns: the canary install upgrades them in place; the plan says so.
  if (!ctx.record.gateways) {
    const inPlace = names(await ctx.ports.installedGateways.ownedBy(ctx.record.from.revision, ctx.signal));
    await ctx.checkpoint((r) => {
      r.gateways = { inPlace };
    });
  }
  await ctx.notify({ type: 'planned', key: `${ctx.record.id}:planned`, record: ctx.record });
  const w = ctx.record.waves.map((x) => x.namespaces.join(',')).join(' | ');
  return { detail: `${ctx.record.waves.length} waves: ${w}` };
};

export const precheck: StepHandler = async (ctx) => {
  const findings = await ctx.ports.installer.precheck(ctx.record.to.version, ctx.signal);
  const errors = findings.filter((f) => f.level === 'Error');
  for (const [i, f] of findings.filter((x) => x.level === 'Warning').entries()) {
    await ctx.notify({
      type: 'warning',
      key: `${ctx.record.id}:precheck:${i}`,
      record: ctx.record,
      message: `precheck ${f.code}: ${f.message}`,
    });
  }
  if (errors.length > 0)
    throw new StepFailure(
      'precheck_failed',
      `istioctl x precheck found ${errors.length} error(s): ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
    );
  // An ambient mesh: the target's ztunnel and istio-cni charts must be holdable at OnDelete (ADR 20),
  // checked here, before the canary is installed, not when the node agents' turn comes.
  const a = ctx.record.ambient;
  if (a && ctx.ports.ambient)
    await ctx.ports.ambient
      .checkHoldable({ namespace: a.namespace, releases: a.releases }, ctx.record.to.version, ctx.signal)
      .catch((e: unknown) => {
        throw new StepFailure('precheck_failed', e instanceof Error ? e.message : String(e));
      });
  return { detail: `${findings.length} finding(s), no errors${a ? '; the node agents can be held' : ''}` };
};

export const installControlPlane: StepHandler = async (ctx) => {
  const { id, from, to } = ctx.record;
  // Checkpoint before the side effect: the undo is known before anything is installed. Undone in
  // reverse: the old install's gateways are put back and the tags restored before the canary goes.
  if (!ctx.record.compensations.some((c) => c.kind === 'uninstall_canary')) {
    // One read of the old install's gateways: the snapshot names them too.
    const [snapshot, before] = await Promise.all([
      ctx.ports.installedGateways.snapshot(from.revision, ctx.signal),
      ctx.ports.inspector.tags(ctx.signal),
    ]);
    const owned = snapshot.gateways;
    if (owned.length > 0)
      await ctx.store.putBlob(gatewaySnapshotKey(id), snapshot.data, false, SNAPSHOT_TTL_MS);
    await ctx.checkpoint((r) => {
      pushOnce(r.compensations, { kind: 'uninstall_canary', revision: to.revision });
      pushOnce(r.compensations, { kind: 'restore_tags', revision: to.revision, before });
      if (owned.length > 0)
        pushOnce(r.compensations, {
          kind: 'restore_gateways',
          revision: from.revision,
          blob: gatewaySnapshotKey(id),
          gateways: names(owned),
        });
    });
  }
  await ctx.ports.installer.install(to.version, to.revision, ctx.signal);
  return { detail: `istiod ${to.version} installed as revision ${to.revision}` };
};

/** The gateway snapshot must outlive the longest upgrade that can still be rolled back. */
const SNAPSHOT_TTL_MS = 365 * 86_400_000;

export const verifyControlPlane: StepHandler = async (ctx) => {
  await ctx.ports.installer.verify(ctx.record.to.revision, ctx.signal);
  return { detail: `revision ${ctx.record.to.revision} is ready` };
};

export const gateways: StepHandler = async (ctx) => {
  const { from, to } = ctx.record;
  await ctx.checkpoint((r) =>
    pushOnce(r.compensations, { kind: 'move_gateways_back', revision: from.revision }),
  );
  const moved = await ctx.ports.gateways.moveGateways(to.revision, ctx.signal);
  // The old install's gateways were upgraded in place by the canary install: they count too.
  const inPlace = await ctx.ports.installedGateways.ownedBy(to.revision, ctx.signal);
  // Gateway API gateways labelled with the old revision: relabelled, rendered by the canary (ADR 17).
  const gatewayApi = await relabelGatewayApi(ctx);
  const parts = [
    moved.length > 0 ? `moved: ${names(moved).join(', ')}` : '',
    inPlace.length > 0 ? `upgraded in place by the install: ${names(inPlace).join(', ')}` : '',
    gatewayApi.length > 0 ? `Gateway API, relabelled: ${gatewayApi.join(', ')}` : '',
  ].filter(Boolean);
  return {
    detail: `${moved.length + inPlace.length + gatewayApi.length} gateway(s) on ${to.revision}${parts.length ? ` (${parts.join('; ')})` : ''}`,
  };
};

export { pushOnce };
