// "Start at the next window" (issue 15), on real Redis with a clock set to a chosen instant: outside
// the change windows an approval is refused with the next opening, or — asked for — recorded and
// scheduled for that opening (a delayed step run, durable across a restart); abort and rollback cancel
// it; a freeze that begins before then holds it with the freeze's reason.
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
// Monday 7 Dec 2026: the window opens at 09:02 in Berlin (08:02Z); the clock starts 8 s before
const OPENS = '2026-12-07T08:02:00.000Z';
const WINDOWS: Calendar['windows'] = [{ days: [1], from: '09:02', to: '10:00', timeZone: 'Europe/Berlin' }];
const policy = (extra: Partial<Policy['clusters'][string]> = {}): Policy => ({
  requesters: [REQUESTER.user],
  approvers: [APPROVER.user],
  operators: [],
  clusters: { prod: { channels: ['C0OPS'], windows: WINDOWS, ...extra } },
  incidentChannels: [],
  incidentResponders: [],
  fourEyes: true,
});

let engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close();
  engines = [];
});

async function start(p: Policy) {
  const prefix = uniquePrefix('window-start');
  const registry = standinRegistry([await seededCluster('prod', prefix)]);
  const t0 = Date.now();
  const clock = { now: () => Date.parse('2026-12-07T08:01:52Z') + (Date.now() - t0) };
  const make = async (pp = p) => {
    const e = testEngine(prefix, registry, new RecordingNotifier(), { policy: pp, clock });
    engines.push(e);
    await e.startWorker();
    return e;
  };
  const engine = await make();
  const req = await engine.service.request({ command: cmd, requester: REQUESTER });
  if (!req.ok) throw new Error(req.error.message);
  const id = req.value.id;
  const waiting = await until(engine, id, (r) => r.state === 'awaiting_approval');
  return { engine, make, id, nonce: waiting.approval!.nonce, clock };
}

const until = (e: Engine, id: string, ok: (r: UpgradeRecord) => boolean, ms = 20_000) =>
  waitUntil(
    async () => {
      const r = await e.service.get(id);
      return r && ok(r) ? r : null;
    },
    ms,
    50,
  );

describe('start at the next window', () => {
  it('refused outside the window; asked, the approval is recorded and wave 1 starts when the window opens', async () => {
    const { engine, id, nonce, clock } = await start(policy());
    const refused = await engine.service.approve({ id, nonce, actor: APPROVER });
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_change_window' } });
    expect(!refused.ok && refused.error.message).toContain(`(${OPENS})`);
    // a button drawn for another time (the policy changed since): refused with the new time
    const stale = await engine.service.approve({
      id,
      nonce,
      actor: APPROVER,
      startAt: '2026-12-14T08:02:00Z',
    });
    expect(stale).toMatchObject({ ok: false, error: { code: 'window_changed' } });
    expect((await engine.service.get(id))!.state).toBe('awaiting_approval');

    const asked = await engine.service.approve({ id, nonce, actor: APPROVER, startAt: OPENS });
    if (!asked.ok) return expect.fail(asked.error.message);
    expect(asked.value).toMatchObject({
      state: 'running',
      step: 'await_wave_approval',
      autoStart: { step: 'await_wave_approval', wave: 1, at: OPENS, approvedBy: APPROVER.user },
    });
    expect(asked.value.decisions.at(-1)).toMatchObject({ wave: 1, by: APPROVER.user, startAt: OPENS });
    expect(asked.value.waves[0]!.startedAt).toBeUndefined();
    const started = await until(engine, id, (r) => !!r.waves[0]!.startedAt);
    expect(Date.parse(started.waves[0]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(OPENS));
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse(OPENS));
    // one decision, the approver's: the engine only started it
    expect(started.decisions.filter((d) => d.outcome === 'approved').map((d) => d.by)).toEqual([
      APPROVER.user,
    ]);
    expect(
      started.audit.some((a) => a.action === 'started' && /wave 1 at its change window/.test(a.detail ?? '')),
    ).toBe(true);
  }, 40_000);

  it('survives a restart of every process: the delayed start is in Redis', async () => {
    const { engine, make, id, nonce } = await start(policy());
    expect((await engine.service.approve({ id, nonce, actor: APPROVER, startAt: OPENS })).ok).toBe(true);
    await engine.close();
    engines = engines.filter((e) => e !== engine);
    const again = await make();
    const started = await until(again, id, (r) => !!r.waves[0]!.startedAt);
    expect(Date.parse(started.waves[0]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(OPENS));
  }, 40_000);

  it.each(['abort', 'rollback'] as const)(
    '%s before the window cancels the scheduled start',
    async (how) => {
      const { engine, id, nonce, clock } = await start(policy());
      expect((await engine.service.approve({ id, nonce, actor: APPROVER, startAt: OPENS })).ok).toBe(true);
      const res =
        how === 'abort'
          ? await engine.service.abort(id, REQUESTER)
          : await engine.service.rollback({ id, actor: REQUESTER, reason: 'not this week' });
      expect(res.ok).toBe(true);
      const end = await until(engine, id, (r) => r.state === (how === 'abort' ? 'aborted' : 'rolled_back'));
      expect(end.autoStart).toBeUndefined();
      // past the opening, nothing started
      await waitUntil(async () => clock.now() > Date.parse(OPENS) + 1500, 20_000);
      const r = (await engine.service.get(id))!;
      expect(r.waves[0]!.startedAt).toBeUndefined();
      expect(r.audit.some((a) => a.action === 'started')).toBe(false);
    },
    40_000,
  );

  it('a freeze that begins before the window holds the start with its reason: deferred to the freeze’s end', async () => {
    const { engine, make, id, nonce } = await start(policy());
    expect((await engine.service.approve({ id, nonce, actor: APPROVER, startAt: OPENS })).ok).toBe(true);
    // the policy gains a freeze (a restart with the new policy) from just before the opening
    await engine.close();
    engines = engines.filter((e) => e !== engine);
    const freeze = {
      from: '2026-12-07T08:01:58Z',
      to: '2026-12-07T08:30:00Z',
      reason: 'incident INC-9 freeze',
    };
    const again = await make(policy({ freezes: [freeze] }));
    const held = await until(again, id, (r) => !!r.autoStart?.deferred);
    expect(held.autoStart).toMatchObject({ at: '2026-12-07T08:30:00.000Z', approvedBy: APPROVER.user });
    expect(held.autoStart?.deferred).toContain('incident INC-9 freeze');
    expect(held.waves[0]!.startedAt).toBeUndefined();
  }, 40_000);
});
