// Table tests for progressive mode and the choice of analysis (issue 13, ADR 15): which starts need no
// click, the machine scheduling them instead of an approval, a start moved to a change window, a
// person's decision cancelling it; `--analysis NAME|none` and `--auto` against the cluster's policy;
// the parser's flags.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/domain/command/index.js';
import { type AnalysisSpec, DEFAULT_ANALYSIS } from '../../../src/domain/upgrade/analysis.js';
import { type ClusterAnalysisPolicy, chooseAnalysis } from '../../../src/domain/upgrade/analysis-choice.js';
import { type MachineEvent, transition } from '../../../src/domain/upgrade/machine.js';
import { currentRun } from '../../../src/domain/upgrade/order.js';
import { autoStartReason, type ProgressiveSpec } from '../../../src/domain/upgrade/progressive.js';
import type { UpgradeRecord, WaveStatus } from '../../../src/domain/upgrade/record.js';
import { AT, rec } from './fixtures.js';

const SPEC: AnalysisSpec = { name: 'default', ...DEFAULT_ANALYSIS };
const STRICT: AnalysisSpec = { ...SPEC, name: 'strict', failureLimit: 0 };
const PROG: ProgressiveSpec = { bakeMs: 60_000, autoFirstWave: false, autoFinish: false, source: 'policy' };
const verdictOf = (v: 'passed' | 'failed' | 'inconclusive') => ({
  spec: 'default',
  verdict: v,
  reason: v,
  checks: 1,
  failedChecks: 0,
  startedAt: AT,
  finishedAt: AT,
  measurements: [],
  queries: 0,
});
function threeWaves(
  verdicts: ('passed' | 'failed' | 'inconclusive' | null)[],
  over: Partial<UpgradeRecord> = {},
) {
  return rec({
    analysis: SPEC,
    progressive: PROG,
    waves: verdicts.map((v, i) => ({
      index: i + 1,
      namespaces: [`ns${i + 1}`],
      status: (v ? 'done' : 'pending') as WaveStatus,
      ...(v ? { analysis: verdictOf(v) } : {}),
    })),
    ...over,
  });
}

describe('which starts need no click', () => {
  // [verdicts of waves 1..3, progressive overrides, position, expected reason or null]
  const cases: [
    string,
    (ReturnType<typeof verdictOf>['verdict'] | null)[],
    Partial<ProgressiveSpec>,
    string,
    string | null,
  ][] = [
    [
      'wave 2 after wave 1 passed',
      ['passed', null, null],
      {},
      'await_wave_approval#2',
      'progressive, wave 1 analysis passed',
    ],
    [
      'wave 3 after wave 2 passed',
      ['passed', 'passed', null],
      {},
      'await_wave_approval#3',
      'progressive, wave 2 analysis passed',
    ],
    ['not after a failed wave', ['failed', null, null], {}, 'await_wave_approval#2', null],
    ['not after an inconclusive wave', ['inconclusive', null, null], {}, 'await_wave_approval#2', null],
    ['not after a wave with no analysis kept', [null, null, null], {}, 'await_wave_approval#2', null],
    ['wave 1 needs an approval by default', [null, null, null], {}, 'await_wave_approval#1', null],
    [
      'wave 1 starts by itself with autoFirstWave',
      [null, null, null],
      { autoFirstWave: true },
      'await_wave_approval#1',
      'progressive, the control plane is ready',
    ],
    [
      'the finish needs an approval by default',
      ['passed', 'passed', 'passed'],
      {},
      'await_finish_approval',
      null,
    ],
    [
      'the finish with autoFinish after the last wave passed',
      ['passed', 'passed', 'passed'],
      { autoFinish: true },
      'await_finish_approval',
      'progressive, wave 3 analysis passed',
    ],
    [
      'not the finish after the last wave failed',
      ['passed', 'passed', 'failed'],
      { autoFinish: true },
      'await_finish_approval',
      null,
    ],
  ];
  it.each(cases)('%s', (_name, verdicts, over, pos, want) => {
    const [step, wave] = pos.split('#') as ['await_wave_approval' | 'await_finish_approval', string?];
    const r = threeWaves(verdicts, { progressive: { ...PROG, ...over } });
    expect(autoStartReason(r, { step, ...(wave ? { wave: Number(wave) } : {}) })).toBe(want);
  });
  it('never without progressive mode or without an analysis', () => {
    const r = threeWaves(['passed', null, null]);
    expect(
      autoStartReason({ ...r, progressive: undefined } as UpgradeRecord, {
        step: 'await_wave_approval',
        wave: 2,
      }),
    ).toBeNull();
    expect(
      autoStartReason({ ...r, analysis: undefined } as UpgradeRecord, {
        step: 'await_wave_approval',
        wave: 2,
      }),
    ).toBeNull();
  });
});

const fresh = { nonce: 'n2', approvalTtlMs: 60_000 };
const postDiffDone: MachineEvent = { type: 'step_done', step: 'post_diff', seq: 1, at: AT, ...fresh };
const afterWave1 = (v: 'passed' | 'failed') =>
  threeWaves([v, null, null], { step: 'post_diff', currentWave: 1 });

describe('the machine schedules the start instead of an approval', () => {
  it('wave 1 passed: wave 2 runs by itself after the bake time, announced, no approval opened', () => {
    const t = transition(afterWave1('passed'), postDiffDone);
    if (!t.ok) throw new Error(t.error.message);
    const r = t.value.record;
    expect(r).toMatchObject({ state: 'running', step: 'await_wave_approval', currentWave: 2, seq: 2 });
    expect(r.approval).toBeUndefined();
    expect(r.autoStart).toEqual({
      step: 'await_wave_approval',
      wave: 2,
      at: '2026-01-01T00:01:00.000Z',
      reason: 'progressive, wave 1 analysis passed',
    });
    expect(t.value.effects.map((e) => (e.kind === 'notify' ? e.type : e.kind))).toEqual([
      'run',
      'auto_start',
    ]);
    expect(currentRun(r)).toEqual({ id: r.id, seq: 2, step: 'await_wave_approval', wave: 2 });
  });
  it('wave 1 failed (resumed past it): a person approves wave 2', () => {
    const t = transition(afterWave1('failed'), postDiffDone);
    expect(t.ok && t.value.record).toMatchObject({ state: 'awaiting_approval', approval: { wave: 2 } });
    expect(t.ok && t.value.record.autoStart).toBeUndefined();
  });
  it('the scheduled start done: approved by the engine for its reason, the wave runs', () => {
    const t1 = transition(afterWave1('passed'), postDiffDone);
    if (!t1.ok) throw new Error(t1.error.message);
    const t2 = transition(t1.value.record, {
      type: 'step_done',
      step: 'await_wave_approval',
      seq: 2,
      at: '2026-01-01T00:01:00.000Z',
      ...fresh,
    });
    if (!t2.ok) throw new Error(t2.error.message);
    const r = t2.value.record;
    expect(r).toMatchObject({ state: 'running', step: 'move_namespaces', currentWave: 2 });
    expect(r.autoStart).toBeUndefined();
    expect(r.waves[1]).toMatchObject({ status: 'running', approvedBy: 'engine' });
    expect(r.decisions.at(-1)).toMatchObject({ wave: 2, by: 'engine', outcome: 'approved' });
    expect(r.audit.find((a) => a.action === 'approved')?.detail).toBe(
      'wave 2 without approval (progressive, wave 1 analysis passed)',
    );
  });
  it('outside the change window the start moves to the opening: a new run, announced again', () => {
    const t1 = transition(afterWave1('passed'), postDiffDone);
    if (!t1.ok) throw new Error(t1.error.message);
    const until = '2026-01-05T08:00:00.000Z';
    const t2 = transition(t1.value.record, {
      type: 'defer',
      step: 'await_wave_approval',
      seq: 2,
      at: AT,
      until,
      reason: 'outside its change windows',
    });
    if (!t2.ok) throw new Error(t2.error.message);
    expect(t2.value.record).toMatchObject({
      seq: 3,
      autoStart: { at: until, deferred: 'outside its change windows' },
    });
    expect(t2.value.effects.map((e) => (e.kind === 'notify' ? e.type : e.kind))).toEqual([
      'run',
      'auto_start',
    ]);
    // the old run is stale now
    expect(
      transition(t2.value.record, {
        type: 'defer',
        step: 'await_wave_approval',
        seq: 2,
        at: AT,
        until,
        reason: 'x',
      }).ok,
    ).toBe(false);
  });
  it.each(['pause', 'abort', 'rollback'] as const)('%s cancels the scheduled start', (type) => {
    const t1 = transition(afterWave1('passed'), postDiffDone);
    if (!t1.ok) throw new Error(t1.error.message);
    const by = { by: 'U2', channel: 'C1', at: AT };
    const e: MachineEvent =
      type === 'rollback' ? { type, reason: 'x', uninstallCanary: true, ...by } : { type, ...by };
    const t2 = transition(t1.value.record, e);
    if (!t2.ok) throw new Error(t2.error.message);
    expect(t2.value.record.autoStart).toBeUndefined();
    const run = currentRun(t2.value.record);
    expect(run?.step === 'await_wave_approval').toBe(false);
  });
  it('resume after a pause asks a person', () => {
    const t1 = transition(afterWave1('passed'), postDiffDone);
    if (!t1.ok) throw new Error(t1.error.message);
    const by = { by: 'U2', channel: 'C1', at: AT };
    const p = transition(t1.value.record, { type: 'pause', ...by });
    if (!p.ok) throw new Error(p.error.message);
    const r = transition(p.value.record, { type: 'resume', ...by, ...fresh });
    expect(r.ok && r.value.record).toMatchObject({ state: 'awaiting_approval', approval: { wave: 2 } });
  });
});

describe('chooseAnalysis', () => {
  const cluster: ClusterAnalysisPolicy = { analysis: SPEC, analyses: { strict: STRICT } };
  // [name, policy, --analysis, --auto, expected spec name | refusal code, progressive source]
  const cases: [
    string,
    ClusterAnalysisPolicy | undefined,
    string | undefined,
    boolean,
    string,
    string | null,
  ][] = [
    ['the default', cluster, undefined, false, 'default', null],
    ['a named one', cluster, 'strict', false, 'strict', null],
    ['the default by its name', cluster, 'default', false, 'default', null],
    ['an unknown name', cluster, 'lax', false, 'unknown_analysis', null],
    ['none, not allowed', cluster, 'none', false, 'analysis_required', null],
    ['none, allowed', { ...cluster, analysisOptional: true }, 'none', false, '-', null],
    ['none where there is none', {}, 'none', false, '-', null],
    ['none where only named ones exist', { analyses: { strict: STRICT } }, 'none', false, '-', null],
    ['no default, only named ones', { analyses: { strict: STRICT } }, undefined, false, '-', null],
    ['a cluster without analyses', undefined, undefined, false, '-', null],
    ['--auto', cluster, undefined, true, 'default', 'command'],
    ['--auto with none', { ...cluster, analysisOptional: true }, 'none', true, 'auto_needs_analysis', null],
    ['--auto without an analysis', {}, undefined, true, 'auto_needs_analysis', null],
    [
      'the policy turns it on',
      { ...cluster, progressive: { bakeMs: 5_000, autoFirstWave: false, autoFinish: true } },
      'strict',
      false,
      'strict',
      'policy',
    ],
  ];
  it.each(cases)('%s', (_n, policy, name, auto, want, source) => {
    const res = chooseAnalysis(policy, 'prod', name, auto);
    if (!res.ok) return expect(res.error.code).toBe(want);
    expect(res.value.analysis?.name ?? '-').toBe(want);
    expect(res.value.progressive?.source ?? null).toBe(source);
  });
  it('an unknown name is refused with the names there are', () => {
    const res = chooseAnalysis({ ...cluster, analysisOptional: true }, 'prod', 'lax');
    expect(!res.ok && `${res.error.message} ${res.error.hint}`).toBe(
      'Cluster prod has no traffic analysis named "lax". Its analyses: default, strict, or none.',
    );
  });
  it('--auto without a policy bake time bakes 10 minutes; the policy’s wins', () => {
    const a = chooseAnalysis(cluster, 'prod', undefined, true);
    expect(a.ok && a.value.progressive).toEqual({
      bakeMs: 600_000,
      autoFirstWave: false,
      autoFinish: false,
      source: 'command',
    });
  });
});

describe('upgrade --analysis and --auto', () => {
  it.each([
    ['upgrade 1.26.3 --analysis strict --auto', { analysis: 'strict', auto: true }],
    ['upgrade 1.26.3 --analysis=none', { analysis: 'none' }],
  ])('%s', (text, want) => {
    const r = parseCommand(text);
    expect(r.ok && r.value).toMatchObject({ kind: 'upgrade', ...want });
  });
  it('a name that cannot be one is refused with how to write it', () => {
    const r = parseCommand('upgrade 1.26.3 --analysis Strict!');
    expect(!r.ok && r.error).toMatchObject({ code: 'invalid_value' });
    expect(!r.ok && r.error.message).toContain('lower-case letters, digits');
  });
});
