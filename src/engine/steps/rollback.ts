/** One compensation per job, the last one first (a saga run in reverse). */
import type { NamespaceTarget } from '../../domain/upgrade/record.js';
import type { PodSidecar, WorkloadRef } from '../ports.js';
import { StepFailure } from '../runtime.js';
import { NO_TAG, type StepHandler } from './context.js';
import { labelsBack, verifyBack } from './gateway-api.js';
import { undoAgents } from './nodes.js';
import { podsNotOn, restartStamp, waitFor } from './wave.js';

const key = (w: WorkloadRef) => `${w.kind}/${w.namespace}/${w.name}`;

/** The workloads owning `pods`, once each, leaving out those already restarted. */
function onCanary(pods: PodSidecar[], done: Set<string>): WorkloadRef[] {
  const out = new Map<string, WorkloadRef>();
  for (const p of pods) {
    if (!p.workload) continue;
    const { kind, namespace, name } = p.workload;
    const k = key(p.workload);
    if (!done.has(k)) out.set(k, { kind, namespace, name });
  }
  return [...out.values()];
}

const targetText = (t: NamespaceTarget) =>
  'revision' in t ? `revision ${t.revision}` : 'tag' in t ? `tag ${t.tag}` : 'istio-injection=enabled';

export const compensate: StepHandler = async (ctx) => {
  const r = ctx.record;
  const idx = r.compensations.length - 1;
  const c = r.compensations[idx];
  if (!c) return { detail: 'nothing to undo' };
  switch (c.kind) {
    case 'move_namespaces_back': {
      for (const ns of c.namespaces) await ctx.ports.mover.point(ns, c.to, ctx.signal);
      const stamp = c.restartedAt ?? restartStamp(r.id, c.wave, 'rollback');
      if (!c.restartedAt)
        await ctx.checkpoint((x) => {
          const cc = x.compensations[idx];
          if (cc?.kind === 'move_namespaces_back') cc.restartedAt ??= stamp;
        });
      // Only workloads whose pods run the canary are restarted: during an incident, nothing else is
      // touched. A pod that was still starting when the wave was cut joins in the next round.
      const canary = r.to.revision;
      const restarted = new Set<string>();
      let wrong: Awaited<ReturnType<typeof podsNotOn>>['wrong'] = [];
      for (let round = 0; round < 3; round++) {
        ({ wrong } = await podsNotOn(ctx, c.namespaces, (rev) => rev !== canary));
        const refs = onCanary(wrong, restarted);
        if (wrong.length === 0 || (refs.length === 0 && round > 0)) break;
        const live = new Set(
          (await ctx.ports.inspector.workloads(c.namespaces, ctx.signal))
            .filter((w) => !w.paused)
            .map((w) => key(w)),
        );
        const list = refs.filter((w) => live.has(key(w)));
        await ctx.ports.restarter.restart(list, stamp, ctx.signal);
        for (const w of list) restarted.add(key(w));
        await waitFor(ctx, c.namespaces, c.wave, `${r.id}:rollback-progress:w${c.wave}`);
      }
      if (wrong.length > 0)
        throw new StepFailure(
          'verify_failed',
          `${wrong.length} pod(s) of wave ${c.wave} are still on ${canary}: ${wrong
            .slice(0, 5)
            .map((p) => `${p.namespace}/${p.pod}`)
            .join(', ')}`,
        );
      return {
        detail: `wave ${c.wave} (${c.namespaces.join(', ')}) back on ${targetText(c.to)}; ${restarted.size} workload(s) on ${canary} restarted`,
      };
    }
    case 'move_gateways_back': {
      const moved = await ctx.ports.gateways.moveGateways(c.revision, ctx.signal);
      return { detail: `${moved.length} gateway(s) back on ${c.revision}` };
    }
    case 'uninstall_canary':
      await ctx.ports.installer.uninstall(r.to.version, c.revision, ctx.signal);
      return { detail: `canary revision ${c.revision} uninstalled` };
    case 'restore_gateways': {
      const snapshot = await ctx.store.getBlob(c.blob);
      if (snapshot === null)
        throw new StepFailure(
          'verify_failed',
          `the snapshot of ${c.gateways.join(', ')} taken before the install is gone: reinstall them at ${c.revision} before the canary is uninstalled, then retry`,
        );
      const back = await ctx.ports.installedGateways.restore(snapshot, ctx.signal);
      return {
        detail: `${back.length} gateway(s) reinstalled at ${c.revision} (${back.map((g) => `${g.namespace}/${g.name}`).join(', ')})`,
      };
    }
    case 'restore_tags': {
      const done: string[] = [];
      for (const t of await ctx.ports.inspector.tags(ctx.signal)) {
        if (t.revision !== c.revision) continue;
        const was = c.before.find((b) => b.tag === t.tag);
        if (was) await ctx.ports.tagger.setTag(t.tag, was.revision, ctx.signal);
        else await ctx.ports.tagger.removeTag(t.tag, ctx.signal);
        done.push(`${t.tag} → ${was ? was.revision : '(removed)'}`);
      }
      return { detail: done.length ? `tags restored: ${done.join(', ')}` : `no tag points at ${c.revision}` };
    }
    case 'gateway_api_labels_back':
      return { detail: await labelsBack(ctx, c) };
    case 'verify_gateway_api':
      return { detail: await verifyBack(ctx, c) };
    case 'rollback_agents':
    case 'uncordon':
      return { detail: await undoAgents(ctx, c) };
    case 'restore_tag':
      if (c.revision === NO_TAG) await ctx.ports.tagger.removeTag(c.tag, ctx.signal);
      else await ctx.ports.tagger.setTag(c.tag, c.revision, ctx.signal);
      return { detail: `tag ${c.tag} → ${c.revision || '(removed)'}` };
  }
};
