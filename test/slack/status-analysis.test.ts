// `/istio status ID` shows the analysis of every wave (verdict, short reason), the control-plane
// gate's rows of wave 1, the spec and mode, and a start progressive mode scheduled; `--wave N` the
// wave's whole table.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ANALYSIS,
  type Measurement,
  type WaveAnalysisResult,
} from '../../src/domain/upgrade/analysis.js';
import { stepLabel } from '../../src/slack/blocks/labels.js';
import { statusMessage, waveMessages } from '../../src/slack/blocks/status.js';
import { statusAnalysisLines } from '../../src/slack/blocks/status-analysis.js';
import { record } from '../support/slack-fixtures.js';

const m = (
  target: string,
  metric: string,
  unit: Measurement['unit'],
  baseline: number | null,
  value: number | null,
  verdict: Measurement['verdict'],
): Measurement => ({
  target,
  metric,
  unit,
  baseline,
  value,
  limit: '≤ 1 × 0 + 0 = 0',
  verdict,
});
const res = (
  verdict: WaveAnalysisResult['verdict'],
  reason: string,
  measurements: Measurement[],
): WaveAnalysisResult => ({
  spec: 'strict',
  verdict,
  reason,
  checks: 5,
  failedChecks: verdict === 'failed' ? 1 : 0,
  startedAt: '2026-11-22T02:00:00.000Z',
  finishedAt: '2026-11-22T02:05:00.000Z',
  measurements,
  queries: 40,
});
const wave1 = res('passed', '5 of 5 checks passed', [
  m('app-a', 'request-success-rate', '%', 100, 99.95, 'pass'),
  m('istiod 1-24-2', 'xds-rejects', 'count', 0, 0, 'pass'),
  m('istiod 1-24-2', 'push-context-errors', 'count', 0, 0, 'pass'),
  m('istiod 1-24-2', 'proxy-convergence-p99', 's', null, 0.1, 'pass'),
]);
const wave2 = res('failed', '1 check(s) failed (limit 0): request-success-rate of app-b 70 %, wanted ≥ 99', [
  m('app-b', 'request-success-rate', '%', 100, 70, 'fail'),
]);
const r = record({
  state: 'paused',
  approval: undefined,
  step: 'analyze_wave',
  analysis: { name: 'strict', ...DEFAULT_ANALYSIS, failureLimit: 0 },
  progressive: { bakeMs: 900_000, autoFirstWave: false, autoFinish: false, source: 'command' },
  waves: [
    { index: 1, namespaces: ['app-a'], status: 'done', analysis: wave1 },
    { index: 2, namespaces: ['app-b'], status: 'running', analysis: wave2 },
  ],
});
const text = (x: unknown) => JSON.stringify(x);

describe('status shows the analysis', () => {
  it('every wave’s verdict and short reason, the control-plane rows of wave 1, the spec and mode', () => {
    expect(statusAnalysisLines(r)).toEqual([
      '*Traffic analysis* `strict`: 5 check(s) 1m apart, 0 failure(s) tolerated, on failure pause, control-plane gate in wave 1; progressive (`--auto`): next wave 15m after a passed analysis',
      ':white_check_mark: Wave 1: *passed* — 5 of 5 checks passed',
      '```istiod 1-24-2  xds-rejects 0 → 0 ok  push-context-errors 0 → 0 ok  proxy-convergence-p99 – → 0.1s ok```',
      ':x: Wave 2: *failed* — 1 check(s) failed (limit 0): request-success-rate of app-b 70 %, wanted ≥ 99',
    ]);
    const msg = text(statusMessage(r).blocks);
    expect(msg).toContain(':x: Wave 2: *failed*');
    expect(msg).toContain('istiod 1-24-2  xds-rejects 0 → 0 ok');
  });

  it('a scheduled start says when and why', () => {
    const at = '2026-11-22T02:20:00.000Z';
    const lines = statusAnalysisLines(
      {
        ...r,
        state: 'running',
        autoStart: {
          step: 'await_wave_approval',
          wave: 2,
          at,
          reason: 'progressive, wave 1 analysis passed',
        },
      },
      Date.parse('2026-11-22T02:10:00Z'),
    );
    const scheduled = {
      ...r,
      state: 'running' as const,
      step: 'await_wave_approval' as const,
      autoStart: { step: 'await_wave_approval' as const, wave: 2, at, reason: 'x' },
    };
    expect(stepLabel('await_wave_approval', scheduled, 2)).toBe(
      'Wave 2 starts at 02:20 UTC without approval',
    );
    expect(stepLabel('await_wave_approval', { ...scheduled, autoStart: undefined }, 2)).toBe(
      'Wait for approval of wave 2',
    );
    expect(lines.at(-1)).toBe(
      ':fast_forward: Wave 2 starts at 02:20 UTC without approval (progressive, wave 1 analysis passed)',
    );
  });

  it('an upgrade without an analysis shows no such section', () => {
    expect(statusAnalysisLines({ ...r, analysis: undefined })).toEqual([]);
    expect(text(statusMessage({ ...r, analysis: undefined }).blocks)).not.toContain('*Traffic analysis*');
  });

  it('--wave N gives the wave’s whole table', () => {
    const [first] = waveMessages(r, r.waves[0]!);
    expect(text(first!.blocks)).toContain('Traffic analysis: *passed* — 5 of 5 checks passed');
    expect(text(first!.blocks)).toContain('app-a          success-rate 100% → 100.0% ok');
  });
});
