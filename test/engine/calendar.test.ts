// Change windows and freezes, enforced by the engine for every caller (issue 15): a new upgrade is
// refused during a freeze, a wave approval outside the windows; a rollback never is; every refusal
// is audited once. The clock starts at a chosen instant and runs on.
import { afterEach, describe, expect, it } from 'vitest';
import type { Calendar } from '../../src/domain/calendar.js';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Policy } from '../../src/domain/policy.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Actor } from '../../src/engine/api.js';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
const REQUESTER: Actor = { user: 'U0REQ', channel: 'C0OPS' };
const APPROVER: Actor = { user: 'U0APP', channel: 'C0OPS' };
const OPERATOR: Actor = { user: 'U0OPS', channel: 'C0OPS' };
const policy = (prod: Partial<Policy['clusters'][string]>): Policy => ({
  requesters: [REQUESTER.user],
  approvers: [APPROVER.user],
  operators: [OPERATOR.user],
  clusters: { prod: { channels: ['C0OPS'], ...prod } },
  incidentChannels: [],
  incidentResponders: [],
  fourEyes: true,
});
const WINDOWS: Calendar = {
  windows: [{ days: [1, 2, 3, 4], from: '09:00', to: '16:00', timeZone: 'Europe/Berlin' }],
};
const FREEZE: Calendar = {
  freezes: [
    { from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T06:00:00+01:00', reason: 'year-end freeze' },
  ],
};

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function start(tag: string, p: Policy, startAt: string) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix);
  const t0 = Date.now();
  const clock = { now: () => Date.parse(startAt) + (Date.now() - t0) };
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier(), { policy: p, clock });
  await engine.startWorker();
  return engine.service;
}

describe('change windows and freezes, enforced by the engine', () => {
  it('outside a window a wave approval is refused with the next window’s start, audited once; a rollback is not blocked', async () => {
    // Friday 11:00 in Berlin: the windows are Mon–Thu 09:00–16:00
    const service = await start('window', policy(WINDOWS), '2026-12-04T10:00:00Z');
    const req = await service.request({ command: cmd, requester: REQUESTER });
    if (!req.ok) return expect.fail(req.error.message);
    const id = req.value.id;
    const w = (await waitUntil(async () => {
      const r = await service.get(id);
      return r?.state === 'awaiting_approval' ? r : null;
    })) as UpgradeRecord;
    const refused = await service.approve({ id, nonce: w.approval!.nonce, actor: APPROVER });
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_change_window' } });
    expect(!refused.ok && refused.error.message).toMatch(
      /outside its change windows \(Mon–Thu 09:00–16:00 Europe\/Berlin\): approve from .*\(2026-12-07T08:00:00\.000Z\)/,
    );
    const r = (await service.get(id))!;
    expect(r.waves[0]!.status).toBe('awaiting_approval');
    expect(r.audit.filter((a) => a.action === 'refused').map((a) => a.detail)).toEqual([
      expect.stringContaining('approve'),
    ]);
    expect((await service.refusals(10)).filter((x) => x.upgradeId === id)).toHaveLength(1);
    const back = await service.rollback({ id, actor: OPERATOR, reason: 'not today' });
    expect(back.ok).toBe(true);
  });

  it('during a freeze a new upgrade is refused with the freeze’s reason and end (refusal log once); a dry run is planned', async () => {
    const service = await start('freeze', policy(FREEZE), '2026-12-21T10:00:00Z');
    const res = await service.request({ command: cmd, requester: REQUESTER });
    expect(res).toMatchObject({ ok: false, error: { code: 'change_freeze' } });
    expect(!res.ok && res.error.message).toMatch(
      /prod is in a change freeze until .*\(2027-01-04T05:00:00\.000Z\): year-end freeze/,
    );
    const log = await service.refusals(10);
    expect(log.filter((x) => x.reason.includes('change_freeze'))).toHaveLength(1);
    const dry = await service.request({ command: { ...cmd, dryRun: true }, requester: REQUESTER });
    expect(dry.ok).toBe(true);
  });

  it('inside a window the approval goes through', async () => {
    // Thursday 11:00 in Berlin
    const service = await start('inside', policy({ ...WINDOWS, ...FREEZE }), '2026-12-03T10:00:00Z');
    const req = await service.request({ command: cmd, requester: REQUESTER });
    if (!req.ok) return expect.fail(req.error.message);
    const w = (await waitUntil(async () => {
      const r = await service.get(req.value.id);
      return r?.state === 'awaiting_approval' ? r : null;
    })) as UpgradeRecord;
    const ok = await service.approve({ id: req.value.id, nonce: w.approval!.nonce, actor: APPROVER });
    expect(ok.ok && ok.value.waves[0]?.approvedBy).toBe(APPROVER.user);
  });
});
