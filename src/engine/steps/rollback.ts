/** One compensation per job, the last one first (a saga run in reverse). */
import { StepFailure } from '../runtime.js';
import { NO_TAG, type StepHandler } from './context.js';
import { podsNotOn, waitFor } from './wave.js';

export const compensate: StepHandler = async (ctx) => {
  const r = ctx.record;
  const idx = r.compensations.length - 1;
  const c = r.compensations[idx];
  if (!c) return { detail: 'nothing to undo' };
  switch (c.kind) {
    case 'move_namespaces_back': {
      for (const ns of c.namespaces) await ctx.ports.mover.point(ns, c.to);
      let stamp = c.restartedAt;
      if (!stamp) {
        const now = ctx.now();
        const rec = await ctx.checkpoint((x) => {
          const cc = x.compensations[idx];
          if (cc?.kind === 'move_namespaces_back') cc.restartedAt ??= now;
        });
        const cc = rec.compensations[idx];
        stamp = cc?.kind === 'move_namespaces_back' ? cc.restartedAt : now;
      }
      const list = (await ctx.ports.inspector.workloads(c.namespaces))
        .filter((w) => !w.paused)
        .map(({ kind, namespace, name }) => ({ kind, namespace, name }));
      await ctx.ports.restarter.restart(list, stamp ?? ctx.now());
      await waitFor(ctx, c.namespaces, c.wave, `${r.id}:rollback-progress:w${c.wave}`);
      const canary = r.to.revision;
      const { wrong } = await podsNotOn(ctx, c.namespaces, (rev) => rev !== canary);
      if (wrong.length > 0)
        throw new StepFailure(
          'verify_failed',
          `${wrong.length} pod(s) of wave ${c.wave} are still on ${canary}: ${wrong
            .slice(0, 5)
            .map((p) => `${p.namespace}/${p.pod}`)
            .join(', ')}`,
        );
      return { detail: `wave ${c.wave} (${c.namespaces.join(', ')}) back on ${JSON.stringify(c.to)}` };
    }
    case 'move_gateways_back': {
      const moved = await ctx.ports.gateways.moveGateways(c.revision);
      return { detail: `${moved.length} gateway(s) back on ${c.revision}` };
    }
    case 'uninstall_canary':
      await ctx.ports.installer.uninstall(r.to.version, c.revision);
      return { detail: `canary revision ${c.revision} uninstalled` };
    case 'restore_tag':
      if (c.revision === NO_TAG) await ctx.ports.tagger.removeTag(c.tag);
      else await ctx.ports.tagger.setTag(c.tag, c.revision);
      return { detail: `tag ${c.tag} → ${c.revision || '(removed)'}` };
  }
};
