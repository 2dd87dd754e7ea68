/** Wave steps: move the namespaces, restart their workloads, wait, verify, post the proxy-status diff. */
import type { NamespaceTarget } from '../../domain/upgrade/record.js';
import type { NamespaceInfo, RevisionTag, RolloutProgress, WorkloadRef } from '../ports.js';
import { StepFailure } from '../runtime.js';
import { captureBaseline, carryBaseline, loadBaseline } from './baseline.js';
import { NO_TAG, type StepContext, type StepHandler, waveOf } from './context.js';
import { pushOnce } from './controlplane.js';
import { diffTexts, mergedSummary } from './diff.js';
import { gatewayApiWorkloads, recordGatewayApiUndo, verifyGatewayApi, waveScope } from './gateway-api.js';

export { baselineKey } from './baseline.js';

/** Where a namespace points now, as a target the mover can restore. */
export function currentTarget(ns: NamespaceInfo | undefined, tags: RevisionTag[]): NamespaceTarget | null {
  if (!ns) return null;
  if (ns.injection === 'enabled') return { injection: 'enabled' };
  if (ns.rev === null) return null;
  return tags.some((t) => t.tag === ns.rev) ? { tag: ns.rev } : { revision: ns.rev };
}

export function targetFor(ctx: StepContext): NamespaceTarget {
  const r = ctx.record;
  return r.strategy === 'tags' && r.tags ? { tag: r.tags.canary } : { revision: r.to.revision };
}

export const moveNamespaces: StepHandler = async (ctx) => {
  const r = ctx.record;
  const wave = waveOf(ctx);
  // Baseline for the diff, taken once before anything in this wave changes.
  await captureBaseline(ctx, wave.index);
  // Checkpoint the undo (grouped by where each namespace pointed) before relabelling anything.
  if (!r.compensations.some((c) => c.kind === 'move_namespaces_back' && c.wave === wave.index)) {
    // Gateway API gateways that follow these namespaces move with them: checked on rollback after.
    await recordGatewayApiUndo(ctx, `wave ${wave.index}`, waveScope(ctx, wave.namespaces));
    const [all, tags] = await Promise.all([
      ctx.ports.inspector.namespaces(ctx.signal),
      ctx.ports.inspector.tags(ctx.signal),
    ]);
    const groups = new Map<string, { to: NamespaceTarget; namespaces: string[] }>();
    for (const name of wave.namespaces) {
      const to = currentTarget(
        all.find((n) => n.name === name),
        tags,
      ) ?? { revision: r.from.revision };
      const k = JSON.stringify(to);
      const g = groups.get(k) ?? { to, namespaces: [] };
      g.namespaces.push(name);
      groups.set(k, g);
    }
    // tags strategy: the canary tag is pointed at the new revision below; remember where it pointed
    // (or that it did not exist) so a rollback re-points or removes it (uninstall leaves tags behind).
    const canary = r.strategy === 'tags' && r.tags ? r.tags.canary : null;
    const hasCanaryUndo = r.compensations.some((c) => c.kind === 'restore_tag' && c.tag === canary);
    await ctx.checkpoint((rec) => {
      if (canary && !hasCanaryUndo)
        pushOnce(rec.compensations, {
          kind: 'restore_tag',
          tag: canary,
          revision: tags.find((t) => t.tag === canary)?.revision ?? NO_TAG,
        });
      for (const g of groups.values())
        pushOnce(rec.compensations, { kind: 'move_namespaces_back', wave: wave.index, ...g });
    });
  }
  if (r.strategy === 'tags' && r.tags)
    await ctx.ports.tagger.setTag(r.tags.canary, r.to.revision, ctx.signal);
  const target = targetFor(ctx);
  // eight at a time (each one fenced): 50 namespaces one by one cost seconds of a wave
  const queue = [...wave.namespaces];
  await Promise.all(
    Array.from({ length: Math.min(8, queue.length) }, async () => {
      for (let ns = queue.shift(); ns !== undefined; ns = queue.shift())
        await ctx.ports.mover.point(ns, target, ctx.signal).catch((e: unknown) => {
          queue.length = 0; // the first failure stops the others: no relabel after the step failed
          throw e;
        });
    }),
  );
  const to =
    'revision' in target
      ? `revision ${target.revision}`
      : 'tag' in target
        ? `tag ${target.tag}`
        : 'istio-injection=enabled';
  return { detail: `${wave.namespaces.join(', ')} → ${to}` };
};

async function restartable(ctx: StepContext, namespaces: string[], warnKey: string): Promise<WorkloadRef[]> {
  // istiod re-renders a Gateway API gateway when its namespace moves: a restart would roll it twice
  const [listed, gatewayApi] = await Promise.all([
    ctx.ports.inspector.workloads(namespaces, ctx.signal),
    gatewayApiWorkloads(ctx),
  ]);
  const all = listed.filter((w) => !gatewayApi.has(`${w.kind}/${w.namespace}/${w.name}`));
  const skipped = all.filter((w) => w.paused);
  const onDelete = all.filter((w) => w.onDelete);
  if (skipped.length > 0 || onDelete.length > 0)
    await ctx.notify({
      type: 'warning',
      key: warnKey,
      record: ctx.record,
      message: [
        skipped.length
          ? `paused, not restarted: ${skipped.map((w) => `${w.kind}/${w.namespace}/${w.name}`).join(', ')}`
          : '',
        onDelete.length
          ? `OnDelete update strategy, delete their pods to move them: ${onDelete.map((w) => `${w.kind}/${w.namespace}/${w.name}`).join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  return all.filter((w) => !w.paused).map(({ kind, namespace, name }) => ({ kind, namespace, name }));
}

/**
 * The `kubectl.kubernetes.io/restartedAt` stamp of a wave: derived from the upgrade id and the wave
 * (and the direction), never from a clock, so a re-run after a crash, a retry or a Redis that lost its
 * last writes applies the same value and starts no second rollout (ADR 10). A stamp stored by an
 * older version of the bot is kept.
 */
export function restartStamp(
  id: string,
  wave: number,
  direction: 'forward' | 'rollback' = 'forward',
): string {
  return `${id}/wave-${wave}${direction === 'rollback' ? '/rollback' : ''}`;
}

export const restartWorkloads: StepHandler = async (ctx) => {
  const wave = waveOf(ctx);
  const stamp = wave.restartedAt ?? restartStamp(ctx.record.id, wave.index);
  if (!wave.restartedAt)
    await ctx.checkpoint((r) => {
      r.waves[wave.index - 1]!.restartedAt ??= stamp;
    });
  const list = await restartable(ctx, wave.namespaces, `${ctx.record.id}:skipped:w${wave.index}`);
  await ctx.ports.restarter.restart(list, stamp, ctx.signal);
  await ctx.checkpoint((r) => {
    r.waves[wave.index - 1]!.progress = { total: list.length, restarted: list.length, ready: 0 };
  });
  return { detail: `${list.length} workload(s) restarted (restartedAt ${stamp})` };
};

/** Which tenth of the wave is ready (0–10). */
const tenth = (p: RolloutProgress) => (p.total === 0 ? 10 : Math.floor((p.ready * 10) / p.total));

/** A wave's progress callback: news only when another tenth of the wave is ready (and at the start
 * and the end), so a wave costs at most a dozen Slack updates however many workloads or nodes it has
 * and however long it runs. Shared by the namespace waves and the ambient node waves. */
export function waveProgress(ctx: StepContext, wave: number, key: string): (p: RolloutProgress) => void {
  let last: RolloutProgress | null = null;
  return (p) => {
    if (last && last.total === p.total && tenth(last) === tenth(p) && p.ready !== p.total) return;
    if (last && last.ready === p.ready && last.total === p.total) return;
    last = p;
    void ctx.notify({ type: 'wave_progress', key, record: ctx.record, wave, progress: p });
  };
}

export async function waitFor(ctx: StepContext, namespaces: string[], wave: number, key: string) {
  const list = (await ctx.ports.inspector.workloads(namespaces, ctx.signal))
    .filter((w) => !w.paused)
    .map(({ kind, namespace, name }) => ({ kind, namespace, name }));
  await ctx.ports.restarter.waitForRollouts(list, {
    timeoutMs: ctx.waveTimeoutMs,
    signal: ctx.signal,
    onProgress: waveProgress(ctx, wave, key),
  });
  return { list };
}

export const waitRollouts: StepHandler = async (ctx) => {
  const wave = waveOf(ctx);
  const { list } = await waitFor(
    ctx,
    wave.namespaces,
    wave.index,
    `${ctx.record.id}:progress:w${wave.index}`,
  );
  await ctx.checkpoint((r) => {
    r.waves[wave.index - 1]!.progress = { total: list.length, restarted: list.length, ready: list.length };
  });
  return { detail: `${list.length} rollout(s) complete` };
};

export async function podsNotOn(ctx: StepContext, namespaces: string[], ok: (rev: string) => boolean) {
  const [all, gatewayApi] = await Promise.all([
    ctx.ports.inspector.sidecars(namespaces, ctx.signal),
    gatewayApiWorkloads(ctx),
  ]);
  // Pods of Gateway API gateways are istiod's to move (after a label change, not a restart): the
  // Gateway API checks wait for them (ADR 17), these checks leave them out.
  const pods = all.filter(
    (p) => !(p.workload && gatewayApi.has(`${p.workload.kind}/${p.workload.namespace}/${p.workload.name}`)),
  );
  return { pods, wrong: pods.filter((p) => p.revision !== null && !ok(p.revision)) };
}

export const verifySidecars: StepHandler = async (ctx) => {
  const wave = waveOf(ctx);
  const to = ctx.record.to.revision;
  const { pods, wrong } = await podsNotOn(ctx, wave.namespaces, (rev) => rev === to);
  if (wrong.length > 0)
    throw new StepFailure(
      'verify_failed',
      `${wrong.length} pod(s) in wave ${wave.index} are not on ${to}: ${wrong
        .slice(0, 5)
        .map((p) => `${p.namespace}/${p.pod} (${p.revision})`)
        .join(', ')}${wrong.length > 5 ? ', …' : ''}`,
    );
  const gatewayApi = await verifyGatewayApi(ctx, waveScope(ctx, wave.namespaces));
  const gw = gatewayApi.length > 0 ? `; Gateway API gateway(s) on ${to}: ${gatewayApi.join(', ')}` : '';
  return { detail: `${pods.filter((p) => p.revision).length} sidecar(s) on ${to}${gw}` };
};

export const postDiff: StepHandler = async (ctx) => {
  const r = ctx.record;
  const wave = waveOf(ctx);
  const before = await loadBaseline(ctx, wave.index);
  const after = mergedSummary(
    await ctx.ports.proxyStatus.capture([r.from.revision, r.to.revision], ctx.signal),
    'after',
  );
  const { summary, diff, problems } = diffTexts(before, after);
  await ctx.checkpoint((rec) => {
    rec.waves[wave.index - 1]!.diff = summary;
  });
  await carryBaseline(ctx, wave.index, after);
  for (const [i, p] of problems.entries())
    await ctx.notify({ type: 'warning', key: `${r.id}:ps-parse:w${wave.index}:${i}`, record: r, message: p });
  if (summary.notSynced > 0)
    await ctx.notify({
      type: 'warning',
      key: `${r.id}:not-synced:w${wave.index}`,
      record: r,
      message: `${summary.notSynced} proxy(ies) not SYNCED after wave ${wave.index}`,
    });
  await ctx.notify({
    type: 'wave_diff',
    key: `${r.id}:diff:w${wave.index}`,
    record: r,
    wave: wave.index,
    diff,
  });
  return {
    detail: `moved ${summary.moved}, unchanged ${summary.unchanged}, not synced ${summary.notSynced}`,
  };
};
