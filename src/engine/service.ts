/**
 * UpgradeService: what the Slack layer calls. Each method writes the record (compare-and-set) and
 * enqueues at most one job; none waits on a step. `request` reads the mesh (control planes, tags,
 * namespaces: Kubernetes API reads only, no istioctl) to plan the waves and refuse bad requests —
 * through this process's MeshInspector, or, in a process without cluster access (ROLE=bot), through
 * a worker (src/engine/cluster-reads.ts), refused with `no_worker` when none answers in time.
 */
import { err, type Result } from '../domain/result.js';
import type { MachineEvent } from '../domain/upgrade/machine.js';
import { type PlanOptions, planUpgrade } from '../domain/upgrade/plan.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import {
  type Actor,
  type Decide,
  PLAN_REFUSED,
  type RollbackRequest,
  type UpgradeRequest,
  type UpgradeService,
} from './api.js';
import { advance, applyEffects, isoNow, type Runtime } from './runtime.js';

export function createService(rt: Runtime, planOptions: PlanOptions = {}): UpgradeService {
  const by = (actor: Actor) => ({ by: actor.user, channel: actor.channel, at: isoNow(rt) });
  const control = (id: string, e: MachineEvent) => advance(rt, id, e);

  /** A refused request has no record to audit to: it goes to the refusal log (and the process log). */
  async function request(req: UpgradeRequest): Promise<Result<UpgradeRecord>> {
    const res = await plan(req);
    if (res.ok) return res;
    const { command, requester } = req;
    const what = `${command.version} on ${command.cluster ?? rt.clusters.defaultName()}`;
    const reason = `${res.error.code}: ${what}: ${res.error.message}`;
    rt.logger.warn(
      { audit: true, user: requester.user, channel: requester.channel, reason },
      'request refused',
    );
    await rt.store
      .appendRefusal({
        at: isoNow(rt),
        user: requester.user,
        channel: requester.channel,
        action: PLAN_REFUSED,
        reason,
      })
      .catch((e) => rt.logger.error({ err: e }, 'could not write the refusal to the refusal log'));
    return res;
  }

  async function plan(req: UpgradeRequest): Promise<Result<UpgradeRecord>> {
    const { command, requester } = req;
    const cluster = command.cluster ?? rt.clusters.defaultName();
    if (!rt.clusters.names().includes(cluster))
      return err({
        code: 'unknown_cluster',
        message: `There is no cluster named "${cluster}".`,
        hint: `Known clusters: ${rt.clusters.names().join(', ')}.`,
      });
    const busy = await rt.store.activeFor(cluster);
    if (busy)
      return err({
        code: 'cluster_busy',
        message: `Cluster ${cluster} already has an upgrade in progress: ${busy}.`,
        hint: `Follow it with \`/istio status ${busy}\`; a new upgrade can start when it is done, rolled back or aborted.`,
      });
    const mesh = await rt.reads.mesh(cluster);
    if (!mesh.ok) return mesh;
    const plan = planUpgrade(command, mesh.value, cluster, planOptions);
    if (!plan.ok) return plan;
    const at = isoNow(rt);
    for (let i = 0; i < 20; i++) {
      const rec: UpgradeRecord = {
        id: rt.ids.upgradeId(),
        cluster,
        from: plan.value.from,
        to: plan.value.to,
        move: plan.value.move,
        strategy: plan.value.strategy,
        ...(plan.value.tags ? { tags: plan.value.tags } : {}),
        waves: plan.value.waves.map((namespaces, j) => ({ index: j + 1, namespaces, status: 'pending' })),
        dryRun: command.dryRun,
        requester: requester.user,
        channel: requester.channel,
        state: 'running',
        step: 'plan',
        decisions: [],
        compensations: [],
        messages: {},
        audit: [
          {
            at,
            actor: requester.user,
            channel: requester.channel,
            action: 'requested',
            detail: `${plan.value.from.version} → ${plan.value.to.version} (${command.strategy}${command.dryRun ? ', dry run' : ''})`,
          },
        ],
        createdAt: at,
        updatedAt: at,
        rev: 1,
        seq: 1,
      };
      const created = await rt.store.create(rec);
      if (created.ok) {
        await applyEffects(rt, created.value, [{ kind: 'run' }]).catch((e) =>
          rt.logger.error({ err: e, upgradeId: rec.id }, 'plan job not added; the reconciler will add it'),
        );
        return created;
      }
      if (created.error.code !== 'id_taken') return created;
    }
    return err({ code: 'id_taken', message: 'Could not find a free upgrade id; try again.' });
  }

  return {
    request,
    approve: (d: Decide) => control(d.id, { type: 'approve', nonce: d.nonce, ...by(d.actor) }),
    rollback: (r: RollbackRequest) =>
      control(r.id, {
        type: 'rollback',
        reason: r.reason,
        uninstallCanary: r.uninstallCanary ?? true,
        ...by(r.actor),
      }),
    pause: (id, actor) => control(id, { type: 'pause', ...by(actor) }),
    resume: (id, actor) =>
      control(id, { type: 'resume', nonce: rt.ids.nonce(), approvalTtlMs: rt.approvalTtlMs, ...by(actor) }),
    abort: (id, actor) => control(id, { type: 'abort', ...by(actor) }),
    retry: (id, actor) => control(id, { type: 'retry', ...by(actor) }),
    async auditRefusal(id, actor, action, reason) {
      const at = isoNow(rt);
      await rt.store.appendRefusal({
        at,
        user: actor.user,
        channel: actor.channel,
        action,
        reason,
        ...(id ? { upgradeId: id } : {}),
      });
      if (!id) return;
      await rt.store.appendAudit(id, {
        at,
        actor: actor.user,
        channel: actor.channel,
        action: 'refused',
        detail: `${action}: ${reason}`,
      });
    },
    refusals: (limit = 20) => rt.store.refusals(limit),
    get: (id) => rt.store.get(id),
    list: (filter) => rt.store.list(filter),
  };
}
