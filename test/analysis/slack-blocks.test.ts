// The analysis in the thread: the per-wave table, the Roll back message, the verdict on the next approval.
import { describe, expect, it } from 'vitest';
import type { Measurement, WaveAnalysisResult } from '../../src/domain/upgrade/analysis.js';
import { analysisActionsMessage, analysisMessage, analysisRows } from '../../src/slack/blocks/analysis.js';
import { approvalMessage, decodeButton } from '../../src/slack/blocks/approval.js';
import { AT, rec } from '../domain/upgrade/fixtures.js';

const m = (
  target: string,
  metric: string,
  unit: '%' | 'ms',
  baseline: number | null,
  value: number | null,
  verdict: Measurement['verdict'],
): Measurement => ({
  target,
  metric,
  unit,
  baseline,
  value,
  limit: unit === '%' ? '≥ 99' : '≤ 1.2 × 24.85 + 50 = 79.82',
  verdict,
});
const result = (
  measurements: Measurement[],
  verdict: WaveAnalysisResult['verdict'] = 'failed',
): WaveAnalysisResult => ({
  spec: 'default',
  verdict,
  reason: '1 check(s) failed (limit 0): request-success-rate of app-b 70 %, wanted ≥ 99',
  checks: 1,
  failedChecks: 1,
  startedAt: AT,
  finishedAt: AT,
  measurements,
  queries: 6,
});
const text = (b: unknown) => JSON.stringify(b);

describe('analysis blocks', () => {
  it('one row per namespace: success and p99, baseline → now, the verdict', () => {
    const res = result([
      m('app-b', 'request-success-rate', '%', null, 70, 'fail'),
      m('app-b', 'request-duration-p99', 'ms', 24.85, 24.85, 'pass'),
      m('app-c<x>', 'request-success-rate', '%', null, null, 'no_data'),
    ]);
    expect(analysisRows(res)).toEqual([
      'app-b     success-rate – → 70.0% FAIL  duration-p99 24.9ms → 24.9ms ok',
      'app-c<x>  success-rate – → – no data',
    ]);
    const msg = analysisMessage(rec(), 2, res);
    expect(msg.text).toContain('wave 2 traffic analysis failed');
    expect(text(msg.blocks)).toContain('Wave 2 of 2: traffic analysis failed');
    expect(text(msg.blocks)).toContain('app-c&lt;x&gt;'); // escaped
    expect(text(msg.blocks)).not.toContain('app-c<x>');
  });

  it('hundreds of targets stay within Slack’s limits and say how many were left out', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      m(`namespace-${i}`, 'request-success-rate', '%', null, 99.5, 'pass'),
    );
    const msg = analysisMessage(rec(), 1, result(many, 'passed'));
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    const sections = msg.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    expect(sections.length).toBeGreaterThan(1); // the table is split over several sections, each ≤ 3000
    for (const t of sections) expect(t.length).toBeLessThanOrEqual(3000);
    expect(text(msg.blocks)).toMatch(/…\d+ more: \/istio status up-7k3q/);
  });

  it('a paused analysis offers Roll back for that wave', () => {
    const msg = analysisActionsMessage(rec(), 2, result([]));
    const actions = msg.blocks.find((b) => b.type === 'actions') as {
      elements: { action_id: string; value: string }[];
    };
    expect(actions.elements[0]!.action_id).toBe('rollback');
    expect(decodeButton(actions.elements[0]!.value)).toEqual({ id: 'up-7k3q', wave: 2, nonce: 'analysis' });
  });

  it('the next approval shows the previous wave’s verdict; the first has none', () => {
    const approval = {
      step: 'await_wave_approval' as const,
      wave: 2,
      nonce: 'n1',
      requestedAt: AT,
      expiresAt: AT,
    };
    const waves = [
      { index: 1, namespaces: ['a'], status: 'done' as const, analysis: result([], 'passed') },
      { index: 2, namespaces: ['b'], status: 'awaiting_approval' as const },
    ];
    const second = approvalMessage(rec({ state: 'awaiting_approval', currentWave: 2, approval, waves }));
    expect(text(second.blocks)).toContain(':white_check_mark: Wave 1 traffic analysis: *passed*');
    const first = approvalMessage(
      rec({ state: 'awaiting_approval', currentWave: 1, approval: { ...approval, wave: 1 }, waves }),
    );
    expect(text(first.blocks)).not.toContain('traffic analysis');
  });
});
