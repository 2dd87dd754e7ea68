// Table tests for the pure part of the control-plane gate: its templates filled for a revision, the
// default queries' shape, and how its counts and seconds are judged and described.
import { describe, expect, it } from 'vitest';
import { describe as describeMeasurement, fillIstiod, judge } from '../../src/analysis/verdict.js';
import { DEFAULT_CONTROL_PLANE } from '../../src/domain/upgrade/analysis.js';

const [rejects, ctxErrors, convergence] = DEFAULT_CONTROL_PLANE.metrics as [
  (typeof DEFAULT_CONTROL_PLANE.metrics)[0],
  (typeof DEFAULT_CONTROL_PLANE.metrics)[0],
  (typeof DEFAULT_CONTROL_PLANE.metrics)[0],
];
const w = { intervalMs: 60_000, sinceMs: 754_321 };

describe('control-plane templates', () => {
  it.each([
    [
      rejects.query,
      'sum(pilot_total_xds_rejects{app="istiod",istio_io_rev="1-24-2"}) or (sum(up{app="istiod",istio_io_rev="1-24-2"} == 1) * 0)',
    ],
    [
      ctxErrors.query,
      'sum(pilot_xds_push_context_errors{app="istiod",istio_io_rev="1-24-2"}) or (sum(up{app="istiod",istio_io_rev="1-24-2"} == 1) * 0)',
    ],
    [
      convergence.query,
      '(histogram_quantile(0.99, sum(rate(pilot_proxy_convergence_time_bucket{app="istiod",istio_io_rev="1-24-2"}[754321ms])) by (le)) >= 0) or (sum(up{app="istiod",istio_io_rev="1-24-2"} == 1) * 0)',
    ],
    ['x{{{istiod}}}[{{interval}}] {{revision}}', 'x{app="istiod",istio_io_rev="1-24-2"}[60s] 1-24-2'],
  ])('%s', (template, want) => {
    expect(fillIstiod(template, DEFAULT_CONTROL_PLANE.selector, '1-24-2', w)).toBe(want);
  });
  it('a custom selector and a revision that needs quoting', () => {
    expect(fillIstiod('up{{{istiod}}}', 'job="pilot",rev="{{revision}}"', 'a"b', w)).toBe(
      'up{job="pilot",rev="a\\"b"}',
    );
  });
});

describe('control-plane judgement', () => {
  // [metric, baseline, value, verdict, description]
  const cases: [typeof rejects, number | null, number | null, string, string][] = [
    [rejects, 0, 0, 'pass', ''],
    [rejects, 3, 3, 'pass', ''],
    [rejects, 3, 5, 'fail', 'xds-rejects of istiod 1-24-2 5 (baseline 3), wanted ≤ 1 × 3 + 0 = 3'],
    [rejects, null, 5, 'no_data', 'xds-rejects of istiod 1-24-2: no baseline: not measured'],
    [ctxErrors, 0, null, 'no_data', 'push-context-errors of istiod 1-24-2: no series'],
    [convergence, null, 0.1, 'pass', ''],
    [convergence, null, 7.5, 'fail', 'proxy-convergence-p99 of istiod 1-24-2 7.50 s, wanted ≤ 5'],
  ];
  it.each(cases)('%# %s', (m, base, value, verdict, text) => {
    const read = (v: number | null) => (v === null ? { value: null, reason: 'no series' } : { value: v });
    const out = judge(m, 'istiod 1-24-2', base === null ? null : read(base), read(value));
    expect(out.verdict).toBe(verdict);
    if (text) expect(describeMeasurement(out)).toBe(text);
  });
});
