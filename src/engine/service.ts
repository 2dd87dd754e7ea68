/**
 * UpgradeService: what the Slack layer calls. Each method writes the record (compare-and-set) and
 * enqueues at most one job; none waits on a step. `request` reads the mesh (control planes, tags,
 * namespaces: Kubernetes API reads only, no istioctl) to plan the waves and refuse bad requests —
 * through this process's MeshInspector, or, in a process without cluster access (ROLE=bot), through
 * a worker (src/engine/cluster-reads.ts), refused with `no_worker` when none answers in time.
 */
import { mayStartUpgrade } from '../domain/calendar.js';
import { approvalTiming } from '../domain/calendar-outlook.js';
import {
  type ControlAction,
  matches,
  mayApprove,
  mayControl,
  mayRequest,
  type Policy,
  rollbackNeedsReason,
  type Verdict,
  type Who,
} from '../domain/policy.js';
import { err, ok, type Result } from '../domain/result.js';
import { chooseAnalysis } from '../domain/upgrade/analysis-choice.js';
import { planGatewayApi } from '../domain/upgrade/gateway-api.js';
import type { MachineEvent } from '../domain/upgrade/machine.js';
import { newRecord } from '../domain/upgrade/new-record.js';
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
import { requestPath } from './request-path.js';
import { advance, applyEffects, isoNow, type Runtime } from './runtime.js';

const who = (a: Actor): Who => ({ user: a.user, channel: a.channel, groups: a.groups ?? [] });

export function createService(rt: Runtime, policy: Policy, planOptions: PlanOptions = {}): UpgradeService {
  const by = (actor: Actor) => ({ by: actor.user, channel: actor.channel, at: isoNow(rt) });

  /** The one audit path of a refusal: the refusal log, the upgrade's audit (bounded), the process log. */
  async function writeRefusal(
    id: string | undefined,
    actor: Actor,
    action: string,
    reason: string,
    cluster?: string,
  ) {
    rt.logger.warn(
      { audit: true, upgradeId: id, cluster, user: actor.user, channel: actor.channel, action, reason },
      'request refused',
    );
    await auditRefusal(id, actor, action, reason, cluster).catch((e) =>
      rt.logger.error({ err: e, upgradeId: id }, 'could not write the refusal to the audit log'),
    );
  }

  async function auditRefusal(
    id: string | undefined,
    actor: Actor,
    action: string,
    reason: string,
    cluster?: string,
  ) {
    const at = isoNow(rt);
    const where = cluster ?? (id ? (await rt.store.get(id))?.cluster : undefined);
    await rt.store.appendRefusal({
      at,
      user: actor.user,
      channel: actor.channel,
      action,
      reason,
      ...(id ? { upgradeId: id } : {}),
      ...(where ? { cluster: where } : {}),
    });
    if (!id) return;
    await rt.store.appendAudit(id, {
      at,
      actor: actor.user,
      channel: actor.channel,
      action: 'refused',
      detail: `${action}: ${reason}`,
    });
  }

  /** Policy check against the current record, then the state machine; either refusal is audited. */
  async function decide(
    id: string,
    actor: Actor,
    action: ControlAction | 'approve',
    check: (r: UpgradeRecord) => Verdict,
    event: (r: UpgradeRecord) => MachineEvent,
  ): Promise<Result<UpgradeRecord>> {
    const what = `${action} ${id}`;
    const r = await rt.store.get(id);
    if (!r) return err({ code: 'upgrade_not_found', message: `There is no upgrade ${id}.` });
    const v = check(r);
    if (!v.allowed) {
      await writeRefusal(id, actor, what, `${v.code}: ${v.reason}`, r.cluster);
      return err({ code: v.code, message: v.reason });
    }
    const res = await advance(rt, id, event(r));
    if (!res.ok) await writeRefusal(id, actor, what, `${res.error.code}: ${res.error.message}`, r.cluster);
    return res;
  }

  const control = (id: string, actor: Actor, action: ControlAction, e: MachineEvent) =>
    decide(
      id,
      actor,
      action,
      (r) => mayControl(policy, who(actor), r, action),
      () => e,
    );

  async function approve(d: Decide): Promise<Result<UpgradeRecord>> {
    let startAt: string | undefined;
    const res = await decide(
      d.id,
      d.actor,
      'approve',
      (r) => {
        const v = mayApprove(policy, who(d.actor), r);
        if (!v.allowed) return v;
        // a wave or the finish moves the mesh: only inside the cluster's change windows, never in a
        // freeze — or, asked for, scheduled at the next window's opening
        const t = approvalTiming(policy.clusters[r.cluster], r.cluster, rt.clock.now(), d.startAt);
        startAt = t.startAt;
        return t.verdict;
      },
      () => ({ type: 'approve', nonce: d.nonce, ...by(d.actor), ...(startAt ? { startAt } : {}) }),
    );
    // Clicked after its expiry, before the expiry job ran (workers down or busy): expire it now.
    if (!res.ok && res.error.code === 'approval_expired')
      await advance(rt, d.id, { type: 'expire', nonce: d.nonce, at: isoNow(rt) });
    return res;
  }

  async function unlock(cluster: string, actor: Actor): Promise<Result<{ holder: string | null }>> {
    const action = `unlock ${cluster}`;
    const refuse = async (code: string, message: string, hint?: string) => {
      await writeRefusal(undefined, actor, action, `${code}: ${message}`, cluster);
      return err(hint ? { code, message, hint } : { code, message });
    };
    if (!matches(policy.operators, who(actor)))
      return refuse('not_operator', 'Only operators may unlock a cluster (policy `operators`).');
    if (!rt.clusters.names().includes(cluster))
      return refuse('unknown_cluster', `There is no cluster named "${cluster}".`);
    const res = await rt.store.unlock(cluster);
    if (res.status === 'running')
      return refuse(
        'step_running',
        `A step of ${res.holder} is running on ${cluster}; the lock is in use.`,
        `Abort or roll back ${res.holder} instead.`,
      );
    if (res.status === 'active')
      return refuse(
        'upgrade_active',
        `${cluster} is locked by ${res.holder}, which is still ${(await rt.store.get(res.holder ?? ''))?.state ?? 'active'}.`,
        `\`/istio abort ${res.holder}\` or \`/istio rollback ${res.holder} <reason>\` frees it.`,
      );
    const holder = res.holder ?? null;
    if (res.status === 'unlocked') {
      rt.logger.warn(
        { audit: true, user: actor.user, channel: actor.channel, cluster, holder },
        'cluster unlocked',
      );
      await rt.store.appendClusterAudit({
        at: isoNow(rt),
        user: actor.user,
        channel: actor.channel,
        action: 'unlock',
        detail: `${cluster}: freed the lock of ${holder}, whose record is gone or finished`,
      });
    }
    return ok({ holder });
  }

  /** A refused request has no record to audit to: it goes to the refusal log (and the process log). */
  async function request(req: UpgradeRequest): Promise<Result<UpgradeRecord>> {
    const res = await plan(req);
    if (res.ok) return res;
    const { command, requester } = req;
    const what = `${command.version} on ${command.cluster ?? rt.clusters.defaultName()}`;
    await writeRefusal(
      undefined,
      requester,
      PLAN_REFUSED,
      `${res.error.code}: ${what}: ${res.error.message}`,
    );
    return res;
  }

  async function busyError(cluster: string, busy: string) {
    const holder = await rt.store.get(busy);
    if (holder?.state === 'aborting')
      return err({
        code: 'cluster_busy',
        message: `Cluster ${cluster} is still held by ${busy}, which is being aborted: it waits for its running step to stop.`,
        hint: 'Ask again in a few seconds; the cluster is free as soon as that step has stopped.',
      });
    if (!holder)
      return err({
        code: 'cluster_busy',
        message: `Cluster ${cluster} is locked by ${busy}, whose record is gone.`,
        hint: `An operator can free it with \`/istio unlock ${cluster}\`.`,
      });
    return err({
      code: 'cluster_busy',
      message: `Cluster ${cluster} already has an upgrade in progress: ${busy}.`,
      hint: `Follow it with \`/istio status ${busy}\`; a new upgrade can start when it is done, rolled back or aborted.`,
    });
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
    const may = mayRequest(policy, who(requester), cluster);
    if (!may.allowed) return err({ code: may.code, message: may.reason });
    const open = mayStartUpgrade(policy.clusters[cluster], cluster, rt.clock.now(), command.dryRun);
    if (!open.allowed) return err({ code: open.code, message: open.reason });
    // The traffic analysis and mode it runs with (`--analysis`, `--auto`): refused before anything is read.
    const choice = chooseAnalysis(policy.clusters[cluster], cluster, command.analysis, command.auto);
    if (!choice.ok) return choice;
    const busy = await rt.store.activeFor(cluster);
    if (busy) return busyError(cluster, busy);
    const mesh = await rt.reads.mesh(cluster);
    if (!mesh.ok) return mesh;
    // The istioctl or Helm path, an ambient mesh's node waves, or the refusal (request-path.ts).
    const path = requestPath(
      mesh.value,
      planUpgrade(command, mesh.value, cluster, planOptions),
      command,
      planOptions.ambient,
    );
    if (!path.ok) return path;
    const { plan, installation, ambient } = path.value;
    // Gateway API gateways: when each moves; one that never would is refused (ADR 17).
    const gatewayApi = planGatewayApi(mesh.value.gatewayApi ?? [], mesh.value, {
      ...plan,
      strategy: command.strategy,
    });
    if (!gatewayApi.ok) return gatewayApi;
    const at = isoNow(rt);
    for (let i = 0; i < 20; i++) {
      const rec = newRecord({
        id: rt.ids.upgradeId(),
        cluster,
        at,
        command,
        requester,
        plan,
        choice: choice.value,
        gatewayApi: gatewayApi.value,
        installation,
        ...(ambient ? { ambient } : {}),
      });
      const created = await rt.store.create(rec);
      if (created.ok) {
        await applyEffects(rt, created.value, [{ kind: 'run' }]).catch((e) =>
          rt.logger.error({ err: e, upgradeId: rec.id }, 'plan job not added; the reconciler will add it'),
        );
        return created;
      }
      if (created.error.code === 'cluster_busy')
        return busyError(cluster, (await rt.store.activeFor(cluster)) ?? '?');
      if (created.error.code !== 'id_taken') return created;
    }
    return err({ code: 'id_taken', message: 'Could not find a free upgrade id; try again.' });
  }

  return {
    request,
    approve,
    rollback: (r: RollbackRequest) =>
      decide(
        r.id,
        r.actor,
        'rollback',
        (rec) => {
          const v = mayControl(policy, who(r.actor), rec, 'rollback');
          return v.allowed ? rollbackNeedsReason(policy, r.actor.channel, r.reason) : v;
        },
        () => ({
          type: 'rollback',
          reason: r.reason,
          uninstallCanary: r.uninstallCanary ?? true,
          ...by(r.actor),
        }),
      ),
    pause: (id, actor) => control(id, actor, 'pause', { type: 'pause', ...by(actor) }),
    resume: (id, actor) =>
      control(id, actor, 'resume', {
        type: 'resume',
        nonce: rt.ids.nonce(),
        approvalTtlMs: rt.approvalTtlMs,
        ...by(actor),
      }),
    abort: (id, actor) => control(id, actor, 'abort', { type: 'abort', ...by(actor) }),
    retry: (id, actor) => control(id, actor, 'retry', { type: 'retry', ...by(actor) }),
    unlock,
    auditRefusal,
    refusals: (limit = 20) => rt.store.refusals(limit),
    get: (id) => rt.store.get(id),
    list: (filter) => rt.store.list(filter),
  };
}
