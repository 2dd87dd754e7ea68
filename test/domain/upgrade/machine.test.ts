// Table tests for the state machine: every transition and every refusal.
import { describe, expect, it } from 'vitest';
import { type MachineEvent, transition } from '../../../src/domain/upgrade/machine.js';
import { currentRun, nextPosition } from '../../../src/domain/upgrade/order.js';
import type { Step, UpgradeRecord, UpgradeState } from '../../../src/domain/upgrade/record.js';
import { AT, rec } from './fixtures.js';

const fresh = { nonce: 'n2', approvalTtlMs: 60_000 };
const LATER = new Date(Date.parse(AT) + 3_600_000).toISOString();
const by = { by: 'U9', channel: 'C9', at: AT };
const done = (step: Step | 'compensate', seq = 1): MachineEvent => ({
  type: 'step_done',
  step,
  seq,
  at: AT,
  ...fresh,
});
const awaiting = (over: Partial<UpgradeRecord> = {}) =>
  rec({
    state: 'awaiting_approval',
    step: 'await_wave_approval',
    currentWave: 1,
    approval: { step: 'await_wave_approval', wave: 1, nonce: 'n1', requestedAt: AT, expiresAt: LATER },
    ...over,
  });

describe('step order', () => {
  // [step, wave, waves, expected next]
  const cases: [Step, number | undefined, number, string][] = [
    ['plan', undefined, 2, 'precheck'],
    ['precheck', undefined, 2, 'install_control_plane'],
    ['install_control_plane', undefined, 2, 'verify_control_plane'],
    ['verify_control_plane', undefined, 2, 'gateways'],
    ['gateways', undefined, 2, 'await_wave_approval#1'],
    ['gateways', undefined, 0, 'await_finish_approval'],
    ['await_wave_approval', 1, 2, 'move_namespaces#1'],
    ['move_namespaces', 1, 2, 'restart_workloads#1'],
    ['restart_workloads', 1, 2, 'wait_rollouts#1'],
    ['wait_rollouts', 1, 2, 'verify_sidecars#1'],
    ['verify_sidecars', 1, 2, 'post_diff#1'],
    ['post_diff', 1, 2, 'await_wave_approval#2'],
    ['post_diff', 2, 2, 'await_finish_approval'],
    ['await_finish_approval', undefined, 2, 'move_tags'],
    ['move_tags', undefined, 2, 'grace_period'],
    ['grace_period', undefined, 2, 'check_old_unused'],
    ['check_old_unused', undefined, 2, 'uninstall_old'],
    ['uninstall_old', undefined, 2, 'done'],
  ];
  it.each(cases)('%s (wave %s of %s) → %s', (step, wave, waves, want) => {
    const p = nextPosition(wave === undefined ? { step } : { step, wave }, waves, false);
    expect(p && `${p.step}${p.wave ? `#${p.wave}` : ''}`).toBe(want);
  });
  it('a dry run stops after the plan; done has no next', () => {
    expect(nextPosition({ step: 'plan' }, 2, true)).toBeNull();
    expect(nextPosition({ step: 'done' }, 2, false)).toBeNull();
  });
});

describe('transitions', () => {
  it('a step done schedules the next step with a new seq', () => {
    const t = transition(rec({ step: 'precheck' }), done('precheck'));
    expect(t.ok && t.value.record).toMatchObject({ state: 'running', step: 'install_control_plane', seq: 2 });
    expect(t.ok && t.value.effects).toEqual([{ kind: 'run' }]);
    expect(t.ok && currentRun(t.value.record)).toEqual({
      id: 'up-7k3q',
      seq: 2,
      step: 'install_control_plane',
    });
  });
  it('the dry-run plan ends in planned', () => {
    const t = transition(rec({ dryRun: true }), done('plan'));
    expect(t.ok && t.value.record).toMatchObject({ state: 'planned', step: 'plan' });
  });
  it('gateways done opens the wave-1 approval with nonce, expiry and a notification', () => {
    const t = transition(rec({ step: 'gateways' }), done('gateways'));
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.record).toMatchObject({
      state: 'awaiting_approval',
      step: 'await_wave_approval',
      currentWave: 1,
      approval: { step: 'await_wave_approval', wave: 1, nonce: 'n2', expiresAt: '2026-01-01T00:01:00.000Z' },
    });
    expect(t.value.record.waves[0]!.status).toBe('awaiting_approval');
    expect(t.value.effects).toEqual([
      { kind: 'expire_at', nonce: 'n2', at: '2026-01-01T00:01:00.000Z' },
      { kind: 'notify', type: 'approval_requested', key: 'up-7k3q:approval:n2' },
    ]);
    expect(currentRun(t.value.record)).toBeNull(); // no job while a person decides
  });
  it('approve with the current nonce runs the wave', () => {
    const t = transition(awaiting(), { type: 'approve', nonce: 'n1', ...by });
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.record).toMatchObject({
      state: 'running',
      step: 'move_namespaces',
      currentWave: 1,
      seq: 2,
    });
    expect(t.value.record.approval).toBeUndefined();
    expect(t.value.record.waves[0]).toMatchObject({ status: 'running', approvedBy: 'U9' });
    expect(t.value.record.decisions).toEqual([
      { step: 'await_wave_approval', wave: 1, by: 'U9', at: AT, outcome: 'approved' },
    ]);
    expect(t.value.effects.map((e) => e.kind)).toEqual(['notify', 'run']);
  });
  it('post_diff of the last wave marks it done and asks to finish', () => {
    const t = transition(rec({ step: 'post_diff', currentWave: 2 }), done('post_diff'));
    expect(t.ok && t.value.record).toMatchObject({
      state: 'awaiting_approval',
      step: 'await_finish_approval',
    });
    expect(t.ok && t.value.record.waves[1]!.status).toBe('done');
  });
  it('uninstall_old done ends the upgrade and drops the compensations', () => {
    const t = transition(
      rec({ step: 'uninstall_old', compensations: [{ kind: 'uninstall_canary', revision: '1-24-2' }] }),
      done('uninstall_old'),
    );
    expect(t.ok && t.value.record).toMatchObject({ state: 'done', step: 'done', compensations: [] });
  });
  it('a step finishing while paused advances without running the next', () => {
    const t = transition(
      rec({ state: 'paused', step: 'wait_rollouts', currentWave: 1 }),
      done('wait_rollouts'),
    );
    expect(t.ok && t.value.record).toMatchObject({ state: 'paused', step: 'verify_sidecars', seq: 2 });
    expect(t.ok && t.value.effects).toEqual([]);
  });
  it('a failure stops with the cause', () => {
    const t = transition(rec({ step: 'move_namespaces', currentWave: 1 }), {
      type: 'step_failed',
      step: 'move_namespaces',
      seq: 1,
      at: AT,
      code: 'kube_api',
      cause: 'forbidden',
    });
    expect(t.ok && t.value.record).toMatchObject({
      state: 'stopped',
      seq: 2,
      stopped: { step: 'move_namespaces', code: 'kube_api', cause: 'forbidden', at: AT },
    });
    expect(t.ok && t.value.effects).toEqual([{ kind: 'notify', type: 'stopped', key: 'up-7k3q:stopped:1' }]);
  });
  it('expiry pauses and says why', () => {
    const t = transition(awaiting(), { type: 'expire', nonce: 'n1', at: AT });
    expect(t.ok && t.value.record).toMatchObject({
      state: 'paused',
      decisions: [{ outcome: 'expired', by: 'engine' }],
    });
    expect(t.ok && t.value.effects[0]).toMatchObject({
      type: 'state_changed',
      reason: expect.stringContaining('expired'),
    });
  });
  it('resume of a paused approval asks again; of a paused step runs it', () => {
    const a = transition(rec({ state: 'paused', step: 'await_wave_approval', currentWave: 1 }), {
      type: 'resume',
      ...by,
      ...fresh,
    });
    expect(a.ok && a.value.record).toMatchObject({
      state: 'awaiting_approval',
      approval: { nonce: 'n2', wave: 1 },
    });
    const b = transition(rec({ state: 'paused', step: 'verify_sidecars', currentWave: 1 }), {
      type: 'resume',
      ...by,
      ...fresh,
    });
    expect(b.ok && b.value.record).toMatchObject({ state: 'running', seq: 2 });
    expect(b.ok && b.value.effects.map((e) => e.kind)).toEqual(['run', 'notify']);
  });
  it('retry reruns the stopped step (or the stopped rollback)', () => {
    const stopped = {
      state: 'stopped' as const,
      step: 'verify_control_plane' as const,
      stopped: { step: 'verify_control_plane' as const, code: 'x', cause: 'y', at: AT },
    };
    const t = transition(rec(stopped), { type: 'retry', ...by });
    expect(t.ok && t.value.record).toMatchObject({ state: 'running', step: 'verify_control_plane', seq: 2 });
    expect(t.ok && t.value.record.stopped).toBeUndefined();
    const rb = { by: 'U9', reason: 'r', channel: 'C', at: AT, uninstallCanary: true };
    const u = transition(rec({ ...stopped, rollback: rb }), { type: 'retry', ...by });
    expect(u.ok && u.value.record.state).toBe('rolling_back');
  });
  it('rollback pushes into rolling_back, drops uninstall_canary when asked, and pops compensations in reverse', () => {
    const comps = [
      { kind: 'uninstall_canary' as const, revision: '1-24-2' },
      { kind: 'move_gateways_back' as const, revision: '1-23-1' },
      { kind: 'move_namespaces_back' as const, wave: 1, namespaces: ['a'], to: { revision: '1-23-1' } },
    ];
    const t = transition(awaiting({ compensations: comps }), {
      type: 'rollback',
      reason: 'why',
      uninstallCanary: false,
      ...by,
    });
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.record).toMatchObject({
      state: 'rolling_back',
      rollback: { by: 'U9', reason: 'why', uninstallCanary: false },
    });
    expect(t.value.record.compensations).toHaveLength(2);
    expect(t.value.record.decisions.at(-1)?.outcome).toBe('rolled_back');
    const seq = t.value.record.seq!;
    const p1 = transition(t.value.record, done('compensate', seq));
    if (!p1.ok) throw new Error(p1.error.message);
    expect(p1.value.record.compensations.map((c) => c.kind)).toEqual(['move_gateways_back']);
    expect(p1.value.record.waves[0]!.status).toBe('rolled_back');
    const p2 = transition(p1.value.record, done('compensate', seq + 1));
    expect(p2.ok && p2.value.record.state).toBe('rolled_back');
  });
  it('rollback with nothing to undo ends at once when no step runs, else after the step stopped; abort ends without undoing', () => {
    const rb = { type: 'rollback', reason: 'x', uninstallCanary: true, ...by } as const;
    const t = transition(awaiting(), rb);
    expect(t.ok && t.value.record.state).toBe('rolled_back');
    const running = transition(rec({ step: 'precheck' }), rb);
    expect(running.ok && running.value.record.state).toBe('rolling_back');
    expect(running.ok && currentRun(running.value.record)).toMatchObject({ step: 'compensate' });
    const fin = running.ok ? transition(running.value.record, done('compensate', 2)) : running;
    expect(fin.ok && fin.value.record.state).toBe('rolled_back');
    const a = transition(
      rec({ step: 'gateways', compensations: [{ kind: 'uninstall_canary', revision: 'r' }] }),
      { type: 'abort', ...by },
    );
    // A step may be running: aborting until the finish_abort run took over from it.
    expect(a.ok && a.value.record).toMatchObject({ state: 'aborting', seq: 2 });
    expect(a.ok && a.value.record.audit.at(-1)).toMatchObject({
      actor: 'U9',
      action: 'abort',
      channel: 'C9',
    });
  });
  it('pause from running and from awaiting approval', () => {
    expect(transition(rec({ step: 'precheck' }), { type: 'pause', ...by })).toMatchObject({
      ok: true,
      value: { record: { state: 'paused', seq: 1 } },
    });
    const t = transition(awaiting(), { type: 'pause', ...by });
    expect(t.ok && t.value.record).toMatchObject({ state: 'paused', decisions: [{ outcome: 'paused' }] });
    expect(t.ok && t.value.record.approval).toBeUndefined();
  });
});

describe('refusals', () => {
  const all: UpgradeState[] = [
    'running',
    'awaiting_approval',
    'paused',
    'stopped',
    'rolling_back',
    'aborting',
    'rolled_back',
    'aborted',
    'done',
    'planned',
  ];
  const allowed: Record<string, UpgradeState[]> = {
    pause: ['running', 'awaiting_approval'],
    resume: ['paused'],
    retry: ['stopped'],
    abort: ['running', 'awaiting_approval', 'paused', 'stopped', 'rolling_back'],
    rollback: ['running', 'awaiting_approval', 'paused', 'stopped'],
    approve: ['awaiting_approval'],
  };
  const ev = (type: string): MachineEvent =>
    type === 'approve'
      ? { type: 'approve', nonce: 'n1', ...by }
      : type === 'rollback'
        ? { type: 'rollback', reason: 'r', uninstallCanary: true, ...by }
        : type === 'resume'
          ? { type: 'resume', ...by, ...fresh }
          : ({ type, ...by } as MachineEvent);
  const cases = Object.entries(allowed).flatMap(([type, ok]) =>
    all.map((s) => [type, s, ok.includes(s)] as const),
  );
  it.each(cases)('%s in %s → accepted: %s', (type, state, accepted) => {
    const r = state === 'awaiting_approval' ? awaiting() : rec({ state, step: 'gateways' });
    const t = transition(r, ev(type));
    expect(t.ok).toBe(accepted);
    if (!t.ok) expect(t.error.code).toMatch(/^(invalid_state|step_not_pending)$/);
  });
  it('approve with a stale nonce names the current step and the last decision', () => {
    const r = awaiting({
      decisions: [{ step: 'await_wave_approval', wave: 1, by: 'U7', at: AT, outcome: 'approved' }],
      approval: { step: 'await_wave_approval', wave: 2, nonce: 'n3', requestedAt: AT, expiresAt: AT },
    });
    const t = transition(r, { type: 'approve', nonce: 'n1', ...by });
    expect(t.ok ? null : t.error).toMatchObject({
      code: 'step_not_pending',
      message: expect.stringContaining('wave 2. It was already approved by U7'),
    });
  });
  it('rollback is refused once the old control plane is being removed, or when already rolling back', () => {
    expect(transition(rec({ step: 'uninstall_old' }), ev('rollback'))).toMatchObject({
      ok: false,
      error: { code: 'invalid_state' },
    });
    const rb = { by: 'U', reason: 'r', channel: 'C', at: AT, uninstallCanary: true };
    expect(transition(rec({ state: 'stopped', rollback: rb }), ev('rollback'))).toMatchObject({
      ok: false,
      error: { hint: expect.stringContaining('retry') },
    });
  });
  it('results from stale runs are refused', () => {
    expect(transition(rec({ step: 'precheck', seq: 3 }), done('precheck', 2))).toMatchObject({
      ok: false,
      error: { code: 'stale_job' },
    });
    expect(transition(rec({ step: 'gateways' }), done('precheck'))).toMatchObject({
      ok: false,
      error: { code: 'stale_job' },
    });
    expect(transition(rec({ state: 'aborted', step: 'precheck' }), done('precheck'))).toMatchObject({
      ok: false,
      error: { code: 'invalid_state' },
    });
    expect(
      transition(rec({ step: 'precheck', seq: 3 }), {
        type: 'step_failed',
        step: 'precheck',
        seq: 2,
        at: AT,
        code: 'c',
        cause: 'c',
      }),
    ).toMatchObject({ ok: false });
    expect(transition(awaiting(), { type: 'expire', nonce: 'old', at: AT })).toMatchObject({
      ok: false,
      error: { code: 'step_not_pending' },
    });
  });
});

describe('abort waits for the running step', () => {
  // [state before, state after, a finish_abort run scheduled]
  const cases: [UpgradeState, UpgradeState, boolean][] = [
    ['running', 'aborting', true],
    ['paused', 'aborting', true],
    ['rolling_back', 'aborting', true],
    ['awaiting_approval', 'aborted', false],
    ['stopped', 'aborted', false],
  ];
  it.each(cases)('abort in %s → %s (run scheduled: %s)', (state, after, runs) => {
    const r = state === 'awaiting_approval' ? awaiting() : rec({ state, step: 'restart_workloads' });
    const t = transition(r, { type: 'abort', ...by });
    expect(t.ok && t.value.record.state).toBe(after);
    expect(t.ok && t.value.effects.some((e) => e.kind === 'run')).toBe(runs);
    if (t.ok && after === 'aborting')
      expect(currentRun(t.value.record)).toMatchObject({ step: 'finish_abort', seq: (r.seq ?? 0) + 1 });
  });
  it('aborting ends aborted only by the finish_abort run of the current seq', () => {
    const a = transition(rec({ step: 'restart_workloads', seq: 4 }), { type: 'abort', ...by });
    if (!a.ok) throw new Error('abort refused');
    const stale = transition(a.value.record, { ...done('restart_workloads', 4) });
    expect(stale).toMatchObject({ ok: false, error: { code: 'stale_job' } });
    const fin = transition(a.value.record, {
      type: 'step_done',
      step: 'finish_abort',
      seq: 5,
      at: AT,
      ...fresh,
    });
    expect(fin.ok && fin.value.record.state).toBe('aborted');
    expect(fin.ok && currentRun(fin.value.record)).toBeNull();
  });
  it('every request on an aborting upgrade is refused, saying it waits for the running step', () => {
    const r = rec({ state: 'aborting', step: 'install_control_plane' });
    for (const type of ['pause', 'resume', 'retry', 'abort', 'rollback']) {
      const t = transition(r, { type, reason: 'x', uninstallCanary: true, ...by, ...fresh } as MachineEvent);
      expect(t.ok ? null : t.error.message).toMatch(/waits for its running step to stop/);
    }
  });
});

describe('approval expiry is decided by the time, not by the expiry job', () => {
  it('approve at or after expiresAt is refused with approval_expired; before it is accepted', () => {
    const r = awaiting();
    const late = transition(r, { type: 'approve', nonce: 'n1', ...by, at: LATER });
    expect(late).toMatchObject({ ok: false, error: { code: 'approval_expired' } });
    expect(late.ok ? '' : late.error.hint).toContain('/istio resume');
    const early = transition(r, { type: 'approve', nonce: 'n1', ...by });
    expect(early.ok && early.value.record.state).toBe('running');
  });
});
