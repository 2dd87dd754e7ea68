/**
 * The node agents of an ambient mesh (ADR 20): their Helm releases upgraded and held at OnDelete,
 * then node waves (optional cordon, the agents' pods replaced on the wave's nodes, each node verified
 * on the target, uncordoned, the per-node version table posted), then the hold given back. Every
 * change is checkpointed first: the rollback (`rollback_agents`) before the held upgrade, the users'
 * update strategies (read by the port, never the bot's hold) before it too, the `uncordon` before a
 * cordon; and each is idempotent, so a re-run after a crash converges.
 */
import { nodeVersions } from '../../domain/upgrade/ambient/index.js';
import type { AmbientUpgrade, Compensation, UpgradeRecord } from '../../domain/upgrade/record.js';
import type { AmbientDataPlane } from '../ports.js';
import { StepFailure } from '../runtime.js';
import { type StepContext, type StepHandler, waveOf } from './context.js';
import { pushOnce } from './controlplane.js';
import { waveProgress } from './wave.js';

export function ambientOf(ctx: StepContext): { port: AmbientDataPlane; a: AmbientUpgrade } {
  const a = ctx.record.ambient;
  if (!a) throw new StepFailure('invalid_state', `${ctx.record.id} has no ambient data plane to move`);
  const port = ctx.ports.ambient;
  if (!port)
    throw new StepFailure(
      'ambient_unavailable',
      `${ctx.record.id} moves ztunnel and istio-cni, but this cluster has no ambient adapter`,
    );
  return { port, a };
}

const target = (a: AmbientUpgrade) => ({ namespace: a.namespace, releases: a.releases });
const releaseNames = (a: AmbientUpgrade) => a.releases.map((r) => r.release).join(', ');

/** The undo of the held upgrade: the releases rolled back to their revision before the target. */
export const rollbackAgentsUndo = (r: UpgradeRecord, a: AmbientUpgrade): Compensation => ({
  kind: 'rollback_agents',
  namespace: a.namespace,
  releases: a.releases,
  version: r.to.version,
});

export const upgradeAgents: StepHandler = async (ctx) => {
  const r = ctx.record;
  const { port, a } = ambientOf(ctx);
  // Checkpoint 1: the undo, before anything changes.
  if (!r.compensations.some((c) => c.kind === 'rollback_agents'))
    await ctx.checkpoint((rec) => pushOnce(rec.compensations, rollbackAgentsUndo(rec, a)));
  // Checkpoint 2: the users' update strategies, read (not the bot's hold: the port reads helm's
  // history) and saved before the held upgrade, then passed to it — a crash between the helm upgrade
  // and a save cannot make the hold look like the user's.
  let holds = a.holds;
  if (!holds) {
    const read = await port.readHolds(target(a), ctx.signal);
    const at = ctx.now();
    await ctx.checkpoint((rec) => {
      if (!rec.ambient) return;
      rec.ambient.holds ??= read;
      rec.ambient.upgradeStartedAt ??= at;
    });
    holds = read;
  }
  const got = await port.upgradeReleases(target(a), r.from, r.to, holds, ctx.signal);
  const nodes = r.waves.filter((w) => w.kind === 'nodes').flatMap((w) => w.nodes ?? []);
  return {
    detail: `${releaseNames(a)} at ${r.to.version}, held at OnDelete (${got.length} release(s)); no pod replaced yet, ${nodes.length} node(s) to move in node waves`,
  };
};

export const replaceNodes: StepHandler = async (ctx) => {
  const r = ctx.record;
  const { port } = ambientOf(ctx);
  const wave = waveOf(ctx);
  const nodes = wave.nodes ?? [];
  const cordon = wave.cordon ?? [];
  let cordoned: string[] = [];
  if (cordon.length > 0) {
    // The undo before the cordon, placed before the releases' rollback: a rollback rolls the agents
    // back while the nodes are still cordoned, then uncordons them.
    if (!r.compensations.some((c) => c.kind === 'uncordon' && c.wave === wave.index))
      await ctx.checkpoint((rec) => {
        const undo: Compensation = { kind: 'uncordon', wave: wave.index, nodes: cordon };
        const at = rec.compensations.findIndex((c) => c.kind === 'rollback_agents');
        rec.compensations.splice(at < 0 ? rec.compensations.length : at, 0, undo);
      });
    cordoned = await port.setCordon(cordon, true, ctx.signal);
  }
  const deleted = await port.replaceOnNodes(nodes, r.to.version, ctx.signal);
  return {
    detail: `${cordoned.length ? `cordoned ${cordoned.join(', ')}; ` : ''}${deleted.length} agent pod(s) replaced on ${nodes.join(', ')}`,
  };
};

export const verifyNodes: StepHandler = async (ctx) => {
  const r = ctx.record;
  const { port } = ambientOf(ctx);
  const wave = waveOf(ctx);
  const nodes = wave.nodes ?? [];
  const key = `${r.id}:progress:w${wave.index}`;
  // News at most a dozen times a wave (each further tenth of the nodes verified).
  await port.verifyNodes(nodes, r.to.version, {
    timeoutMs: ctx.waveTimeoutMs,
    signal: ctx.signal,
    onProgress: waveProgress(ctx, wave.index, key),
  });
  // Verified: the nodes this wave cordoned are uncordoned (only the bot's), then the undo goes.
  let uncordoned: string[] = [];
  if ((wave.cordon ?? []).length > 0) {
    uncordoned = await port.setCordon(wave.cordon ?? [], false, ctx.signal);
    await ctx.checkpoint((rec) => {
      rec.compensations = rec.compensations.filter((c) => !(c.kind === 'uncordon' && c.wave === wave.index));
    });
  }
  // The per-node table where sidecar waves get the proxy-status diff: every node, so the rest shows too.
  const view = await port.inspect(ctx.signal);
  const rows = nodeVersions(
    view.nodes.map((n) => n.name).filter((n) => view.pods.some((p) => p.node === n)),
    view.pods,
  );
  await ctx.checkpoint((rec) => {
    const w = rec.waves[wave.index - 1];
    if (w) {
      w.nodeVersions = rows;
      w.progress = { total: nodes.length, restarted: nodes.length, ready: nodes.length };
    }
  });
  await ctx.notify({
    type: 'node_versions',
    key: `${r.id}:nodes:w${wave.index}`,
    record: r,
    wave: wave.index,
    rows,
  });
  const at = rows.filter((x) => x.ztunnel === r.to.version).length;
  return {
    detail: `${nodes.join(', ')}: ztunnel and istio-cni on ${r.to.version}${uncordoned.length ? `; uncordoned ${uncordoned.join(', ')}` : ''} (${at} of ${rows.length} nodes on ${r.to.version})`,
  };
};

export const releaseHold: StepHandler = async (ctx) => {
  const r = ctx.record;
  const { port, a } = ambientOf(ctx);
  const holds = a.holds ?? (await port.readHolds(target(a), ctx.signal));
  await port.releaseHold(a.namespace, holds, r.to.version, ctx.signal);
  return {
    detail: `${releaseNames(a)}: update strategy given back (${holds.map((h) => `${h.release}: ${h.userStrategy ? JSON.stringify(h.userStrategy) : "the chart's default"}`).join('; ')})`,
  };
};

/** The two undos of the node agents (src/engine/steps/rollback.ts runs them). */
export async function undoAgents(
  ctx: StepContext,
  c: Extract<Compensation, { kind: 'rollback_agents' | 'uncordon' }>,
): Promise<string> {
  const port = ctx.ports.ambient;
  if (!port)
    throw new StepFailure('ambient_unavailable', `this cluster has no ambient adapter to undo ${c.kind}`);
  if (c.kind === 'uncordon') {
    const back = await port.setCordon(c.nodes, false, ctx.signal);
    return back.length
      ? `uncordoned ${back.join(', ')}`
      : `none of ${c.nodes.join(', ')} was cordoned by the bot`;
  }
  await port.rollbackReleases({ namespace: c.namespace, releases: c.releases }, c.version, ctx.signal);
  return `${c.releases.map((x) => x.release).join(', ')} rolled back to their revision before ${c.version}`;
}
