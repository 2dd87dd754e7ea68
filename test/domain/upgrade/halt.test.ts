// Table tests for the health gate in the state machine: the analyze_wave step's place in the order and
// the `halt` event (a failed or inconclusive analysis pauses or rolls back).
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS } from '../../../src/domain/upgrade/analysis.js';
import { type MachineEvent, transition } from '../../../src/domain/upgrade/machine.js';
import { currentRun, nextPosition } from '../../../src/domain/upgrade/order.js';
import type { Step, UpgradeRecord } from '../../../src/domain/upgrade/record.js';
import { AT, rec } from './fixtures.js';

const SPEC = { name: 'default', ...DEFAULT_ANALYSIS };
const fresh = { nonce: 'n2', approvalTtlMs: 60_000 };
const done = (step: Step, seq = 1): MachineEvent => ({ type: 'step_done', step, seq, at: AT, ...fresh });
const halt = (
  action: 'pause' | 'rollback',
  over: Partial<{ seq: number; step: Step }> = {},
): MachineEvent => ({
  type: 'halt',
  step: over.step ?? 'analyze_wave',
  seq: over.seq ?? 1,
  at: AT,
  action,
  reason: 'wave 1: request-success-rate of app-b 70 < 99',
});
const analyzing = (over: Partial<UpgradeRecord> = {}) =>
  rec({
    analysis: SPEC,
    step: 'analyze_wave',
    currentWave: 1,
    waves: [
      { index: 1, namespaces: ['a'], status: 'running' },
      { index: 2, namespaces: ['b'], status: 'pending' },
    ],
    compensations: [
      { kind: 'uninstall_canary', revision: '1-24-2' },
      { kind: 'move_namespaces_back', wave: 1, namespaces: ['a'], to: { revision: '1-23-1' } },
    ],
    ...over,
  });

describe('step order with a traffic analysis', () => {
  // [step, wave, analyzed, expected next]
  const cases: [Step, number, boolean, string][] = [
    ['verify_sidecars', 1, false, 'post_diff#1'],
    ['verify_sidecars', 1, true, 'analyze_wave#1'],
    ['analyze_wave', 1, true, 'post_diff#1'],
    ['analyze_wave', 2, true, 'post_diff#2'],
    ['post_diff', 1, true, 'await_wave_approval#2'],
    ['post_diff', 2, true, 'await_finish_approval'],
  ];
  it.each(cases)('%s (wave %s, analyzed %s) → %s', (step, wave, analyzed, want) => {
    const p = nextPosition({ step, wave }, 2, false, analyzed);
    expect(p && `${p.step}${p.wave ? `#${p.wave}` : ''}`).toBe(want);
  });
  it('the machine runs analyze_wave only for a record with an analysis', () => {
    const base = { step: 'verify_sidecars' as const, currentWave: 1 };
    const without = transition(rec(base), done('verify_sidecars'));
    const withIt = transition(rec({ ...base, analysis: SPEC }), done('verify_sidecars'));
    expect(without.ok && without.value.record.step).toBe('post_diff');
    expect(withIt.ok && withIt.value.record).toMatchObject({ step: 'analyze_wave', currentWave: 1, seq: 2 });
    expect(withIt.ok && currentRun(withIt.value.record)).toEqual({
      id: 'up-7k3q',
      seq: 2,
      step: 'analyze_wave',
      wave: 1,
    });
  });
});

describe('halt', () => {
  it('pause: the upgrade pauses at the analysis with the evidence, and resume runs it again', () => {
    const t = transition(analyzing(), halt('pause'));
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.record).toMatchObject({ state: 'paused', step: 'analyze_wave', currentWave: 1, seq: 2 });
    expect(t.value.record.waves[0]!.status).toBe('running');
    expect(t.value.record.compensations).toHaveLength(2);
    expect(t.value.effects).toEqual([
      {
        kind: 'notify',
        type: 'state_changed',
        key: 'up-7k3q:halt:1',
        by: 'engine',
        reason: 'wave 1: request-success-rate of app-b 70 < 99',
      },
    ]);
    expect(t.value.record.audit.at(-1)).toMatchObject({ actor: 'engine', action: 'paused' });
    const resumed = transition(t.value.record, { type: 'resume', by: 'U9', channel: 'C9', at: AT, ...fresh });
    expect(resumed.ok && resumed.value.record).toMatchObject({
      state: 'running',
      step: 'analyze_wave',
      seq: 3,
    });
    expect(resumed.ok && resumed.value.effects[0]).toEqual({ kind: 'run' });
  });

  it('rollback: the compensations start, asked for by the engine with the evidence as the reason', () => {
    const t = transition(analyzing(), halt('rollback'));
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.record).toMatchObject({
      state: 'rolling_back',
      seq: 2,
      rollback: {
        by: 'engine',
        reason: 'wave 1: request-success-rate of app-b 70 < 99',
        uninstallCanary: true,
      },
    });
    expect(t.value.record.waves[0]!.status).toBe('failed');
    expect(t.value.effects[0]).toEqual({ kind: 'run' });
    expect(currentRun(t.value.record)).toEqual({ id: 'up-7k3q', seq: 2, step: 'compensate' });
  });

  it('a person who paused during the analysis keeps it paused; a rollback still runs', () => {
    const p = transition(analyzing({ state: 'paused' }), halt('pause'));
    expect(p.ok && p.value.record).toMatchObject({ state: 'paused', seq: 2 });
    const rb = transition(analyzing({ state: 'paused' }), halt('rollback'));
    expect(rb.ok && rb.value.record.state).toBe('rolling_back');
  });

  // [why, record, event, refusal code]
  const refusals: [string, UpgradeRecord, MachineEvent, string][] = [
    ['stale seq', analyzing({ seq: 3 }), halt('pause'), 'stale_job'],
    ['another step', analyzing({ step: 'post_diff' }), halt('pause'), 'stale_job'],
    ['already rolling back', analyzing({ state: 'rolling_back' }), halt('rollback'), 'invalid_state'],
    ['stopped', analyzing({ state: 'stopped' }), halt('pause'), 'invalid_state'],
    ['aborting', analyzing({ state: 'aborting' }), halt('rollback'), 'invalid_state'],
    ['done', analyzing({ state: 'done' }), halt('pause'), 'invalid_state'],
  ];
  it.each(refusals)('refused when %s', (_why, r, e, code) => {
    const t = transition(r, e);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error.code).toBe(code);
  });
});
