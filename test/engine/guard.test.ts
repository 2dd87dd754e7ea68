// The engine is the guard for every entry point: the policy (four eyes, roles, channels), the approval's
// expiry by the time, one audit path for every refusal, bounded records, retention, unlock.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Policy } from '../../src/domain/policy.js';
import { AUDIT_KEPT, type UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Actor } from '../../src/engine/api.js';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  approveUntilEnd,
  REDIS,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
const REQUESTER: Actor = { user: 'U0REQ', channel: 'C0OPS' };
const APPROVER: Actor = { user: 'U0APP', channel: 'C0OPS' };
const IN_GROUP: Actor = { user: 'U0GRP', channel: 'C0OPS', groups: ['S0APPROVERS'] };
const STRANGER: Actor = { user: 'U0NOBODY', channel: 'C0OPS' };
const OPERATOR: Actor = { user: 'U0OPS', channel: 'C0OPS' };
const POLICY: Policy = {
  requesters: [REQUESTER.user],
  approvers: [REQUESTER.user, APPROVER.user, 'S0APPROVERS'],
  operators: [OPERATOR.user],
  clusters: { prod: { channels: ['C0OPS'] } },
  incidentChannels: ['C0INCIDENT'],
  incidentResponders: [],
  fourEyes: true,
};

let engine: Engine | undefined;
const redis = new Redis(REDIS);
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function setup(tag: string, extra: Parameters<typeof testEngine>[3] = {}) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix);
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), {
    policy: POLICY,
    ...extra,
  });
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: REQUESTER });
  if (!req.ok) throw new Error(req.error.message);
  const e = engine;
  const until = (p: (r: UpgradeRecord) => boolean) =>
    waitUntil(async () => {
      const r = await e.service.get(req.value.id);
      return r && p(r) ? r : null;
    });
  return { prefix, cluster, id: req.value.id, service: e.service, until };
}

describe('the policy, enforced by the engine for any caller', () => {
  it('four eyes and roles: the requester and a stranger are refused, an approver (or one of the group) is accepted; each refusal is audited once', async () => {
    const { id, service, until } = await setup('4eyes');
    const w = await until((r) => r.state === 'awaiting_approval');
    const nonce = w.approval!.nonce;
    expect(await service.approve({ id, nonce, actor: REQUESTER })).toMatchObject({
      ok: false,
      error: { code: 'four_eyes' },
    });
    expect(await service.approve({ id, nonce, actor: STRANGER })).toMatchObject({
      ok: false,
      error: { code: 'not_approver' },
    });
    expect(await service.approve({ id, nonce, actor: { ...APPROVER, channel: 'C0OTHER' } })).toMatchObject({
      ok: false,
      error: { code: 'channel_not_allowed' },
    });
    expect(await service.abort(id, STRANGER)).toMatchObject({ ok: false, error: { code: 'not_operator' } });
    const ok = await service.approve({ id, nonce, actor: IN_GROUP });
    expect(ok.ok && ok.value.waves[0]?.approvedBy).toBe(IN_GROUP.user);
    const r = (await service.get(id))!;
    const refused = r.audit.filter((a) => a.action === 'refused');
    expect(refused.map((a) => [a.actor, a.detail?.split(':')[1]?.trim()])).toEqual([
      [REQUESTER.user, 'four_eyes'],
      [STRANGER.user, 'not_approver'],
      [APPROVER.user, 'channel_not_allowed'],
      [STRANGER.user, 'not_operator'],
    ]);
    const log = await service.refusals(10);
    expect(log.filter((x) => x.upgradeId === id)).toHaveLength(4);
  });

  it('a request from someone who is not a requester is refused and written to the refusal log', async () => {
    const { service } = await setup('req');
    const res = await service.request({ command: { ...cmd, version: '1.24.3' }, requester: STRANGER });
    expect(res).toMatchObject({ ok: false, error: { code: 'not_requester' } });
    expect((await service.refusals(5))[0]).toMatchObject({
      user: STRANGER.user,
      reason: expect.stringContaining('not_requester'),
    });
  });

  it('an incident rollback needs a responder or operator and a reason', async () => {
    const { id, service, until } = await setup('inc');
    await until((r) => r.state === 'awaiting_approval');
    const incident = (user: string): Actor => ({ user, channel: 'C0INCIDENT' });
    expect(await service.rollback({ id, actor: incident(STRANGER.user), reason: 'INC-1' })).toMatchObject({
      ok: false,
      error: { code: 'not_responder' },
    });
    expect(await service.rollback({ id, actor: incident(OPERATOR.user), reason: ' ' })).toMatchObject({
      ok: false,
      error: { code: 'reason_required' },
    });
    const ok = await service.rollback({ id, actor: incident(OPERATOR.user), reason: "INC-1 can't reach db" });
    expect(ok.ok && ok.value.rollback?.reason).toBe("INC-1 can't reach db");
  });
});

describe('an approval clicked after it expired', () => {
  it('is refused by the time even when the expiry job has not run, and the upgrade pauses', async () => {
    let now = Date.now();
    const clock = { now: () => now };
    const { id, service, until } = await setup('late', { clock, approvalTtlMs: 3_600_000 });
    const w = await until((r) => r.state === 'awaiting_approval');
    now += 2 * 3_600_000; // the expiry job is still an hour away in real time
    const res = await service.approve({ id, nonce: w.approval!.nonce, actor: APPROVER });
    expect(res).toMatchObject({ ok: false, error: { code: 'approval_expired' } });
    const r = (await service.get(id))!;
    expect(r.state).toBe('paused');
    expect(r.decisions.at(-1)).toMatchObject({ outcome: 'expired', by: 'engine' });
    expect(r.waves[0]?.approvedBy).toBeUndefined();
  });
});

describe('bounded records', () => {
  it('300 refusals of one person are counted on one entry; the audit never exceeds its cap', async () => {
    const { id, service, until } = await setup('bound');
    await until((r) => r.state === 'awaiting_approval');
    const before = JSON.stringify(await service.get(id)).length;
    for (let i = 0; i < 300; i++) await service.pause(id, { user: `U0X${i}`, channel: 'C0OPS' });
    for (let i = 0; i < 300; i++) await service.approve({ id, nonce: 'stale', actor: APPROVER });
    const r = (await service.get(id))!;
    expect(r.audit.length).toBeLessThanOrEqual(AUDIT_KEPT);
    expect(r.auditDropped).toBeGreaterThan(0);
    const stale = r.audit.filter((a) => a.actor === APPROVER.user && a.action === 'refused');
    expect(stale).toHaveLength(1);
    expect(stale[0]?.times).toBe(300);
    expect(JSON.stringify(r).length).toBeLessThan(before + 60_000);
  }, 60_000);

  it('a finished record expires after RECORD_RETENTION, and list drops it', async () => {
    const { prefix, id, service } = await setup('ttl', {
      recordRetentionMs: 60_000,
      policy: { ...POLICY, fourEyes: false },
    });
    const end = await approveUntilEnd(service, id, { actor: APPROVER });
    expect(end.state).toBe('done');
    const ttl = await redis.pttl(`${prefix}:up:${id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect((await service.list()).map((r) => r.id)).toContain(id);
    await redis.del(`${prefix}:up:${id}`); // as the expiry does
    expect((await service.list()).map((r) => r.id)).not.toContain(id);
    expect(await redis.zscore(`${prefix}:ups`, id)).toBeNull();
  }, 30_000);
});

describe('/istio unlock', () => {
  it('frees a lock whose record is gone (operators only), and is refused while the upgrade is active', async () => {
    const { prefix, id, service, until } = await setup('unlock');
    await until((r) => r.state === 'awaiting_approval');
    expect(await service.unlock('prod', OPERATOR)).toMatchObject({
      ok: false,
      error: { code: 'upgrade_active' },
    });
    await redis.del(`${prefix}:up:${id}`); // the record is lost
    const busy = await service.request({ command: { ...cmd, version: '1.24.3' }, requester: REQUESTER });
    expect(busy.ok ? '' : `${busy.error.message} ${busy.error.hint}`).toMatch(
      /record is gone.*\/istio unlock prod/,
    );
    expect(await service.unlock('prod', STRANGER)).toMatchObject({
      ok: false,
      error: { code: 'not_operator' },
    });
    expect(await service.unlock('prod', OPERATOR)).toMatchObject({ ok: true, value: { holder: id } });
    const again = await service.request({ command: { ...cmd, version: '1.24.3' }, requester: REQUESTER });
    expect(again.ok).toBe(true);
  });

  it('is refused while a step runs', async () => {
    const prefix = uniquePrefix('unlock2');
    const cluster = await seededCluster('prod', prefix);
    await cluster.setDelay('installer.install', 60_000);
    engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), { policy: POLICY });
    await engine.startWorker();
    const req = await engine.service.request({ command: cmd, requester: REQUESTER });
    if (!req.ok) throw new Error(req.error.message);
    await waitUntil(async () => (await cluster.calls()).some((c) => c.method === 'installer.install'));
    await redis.del(`${prefix}:up:${req.value.id}`);
    expect(await engine.service.unlock('prod', OPERATOR)).toMatchObject({
      ok: false,
      error: { code: 'step_running' },
    });
  });
});
