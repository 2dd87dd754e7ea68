/** Steps before the waves: plan, precheck, install and verify the canary control plane, gateways. */
import type { Compensation } from '../../domain/upgrade/record.js';
import { StepFailure } from '../runtime.js';
import { type StepHandler, same } from './context.js';

const pushOnce = (list: Compensation[], c: Compensation) => {
  if (!list.some((x) => same(x, c))) list.push(c);
};

export const plan: StepHandler = async (ctx) => {
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
  return { detail: `${findings.length} finding(s), no errors` };
};

export const installControlPlane: StepHandler = async (ctx) => {
  const { to } = ctx.record;
  // Checkpoint before the side effect: the undo is known before anything is installed.
  await ctx.checkpoint((r) => pushOnce(r.compensations, { kind: 'uninstall_canary', revision: to.revision }));
  await ctx.ports.installer.install(to.version, to.revision, ctx.signal);
  return { detail: `istiod ${to.version} installed as revision ${to.revision}` };
};

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
  return { detail: `${moved.length} gateway(s) on ${to.revision}` };
};

export { pushOnce };
