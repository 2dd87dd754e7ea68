// Table tests of the pure analysis: templates, one metric judged, a check's verdict, when it is decided.
import { expect, describe as group, it } from 'vitest';
import {
  type CheckVerdict,
  checkVerdict,
  decide,
  fill,
  judge,
  promDuration,
  type Reading,
  readingOf,
  reasonOf,
} from '../../src/analysis/verdict.js';
import {
  DEFAULT_METRICS,
  type Measurement,
  type MetricSpec,
  P99_QUERY,
  SUCCESS_RATE_QUERY,
} from '../../src/domain/upgrade/analysis.js';

const [SUCCESS, P99] = DEFAULT_METRICS as [MetricSpec, MetricSpec];
const v = (value: number): Reading => ({ value });
const none = (reason: string): Reading => ({ value: null, reason });

group('templates', () => {
  it.each([
    [60_000, '60s'],
    [1_500, '1500ms'],
    [3_000, '3s'],
    [0, '1ms'],
  ])('promDuration(%s) = %s', (ms, want) => expect(promDuration(ms)).toBe(want));

  it('fills Flagger’s success rate for a namespace (every workload) and for one workload', () => {
    expect(fill(SUCCESS_RATE_QUERY, { namespace: 'payments', workload: null }, 60_000)).toBe(
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="payments",destination_workload=~".*",response_code!~"5.*"}[60s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="payments",destination_workload=~".*"}[60s])) * 100',
    );
    expect(fill(P99_QUERY, { namespace: 'a', workload: 'web.v2' }, 5_000)).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="a",destination_workload=~"web\\\\.v2"}[5s])) by (le))',
    );
  });
});

group('readings', () => {
  it.each<[number[], Reading]>([
    [[99.5], v(99.5)],
    [[], none('no series')],
    [[Number.NaN], none('NaN (no requests in the window)')],
    [[Number.POSITIVE_INFINITY], none('Infinity')],
    [[1, 2], none('2 series (the query must aggregate to one)')],
  ])('%j → %j', (values, want) => expect(readingOf(values)).toEqual(want));
});

group('judge', () => {
  // [why, metric, baseline, now, verdict, limit]
  const cases: [string, MetricSpec, Reading | null, Reading, Measurement['verdict'], string][] = [
    ['success above the floor', SUCCESS, null, v(99.5), 'pass', '≥ 99'],
    ['success exactly at the floor', SUCCESS, null, v(99), 'pass', '≥ 99'],
    ['success under the floor', SUCCESS, null, v(70), 'fail', '≥ 99'],
    ['no series', SUCCESS, null, none('no series'), 'no_data', '≥ 99'],
    ['p99 within 1.2 × baseline + 50', P99, v(20), v(74), 'pass', '≤ 1.2 × 20 + 50 = 74'],
    ['p99 over it', P99, v(20), v(74.5), 'fail', '≤ 1.2 × 20 + 50 = 74'],
    ['p99 without a baseline is never a pass', P99, none('no series'), v(10), 'no_data', 'none'],
    ['p99 NaN now', P99, v(20), none('NaN (no requests in the window)'), 'no_data', '≤ 1.2 × 20 + 50 = 74'],
    [
      'absolute and relative together: the tighter bound wins',
      { ...SUCCESS, minVsBaseline: { factor: 1, minus: 0.5 } },
      v(99.9),
      v(99.2),
      'fail',
      '≥ 99, ≥ 1 × 99.90 − 0.50 = 99.40',
    ],
    ['a max bound', { ...P99, maxVsBaseline: undefined, max: 500 }, null, v(501), 'fail', '≤ 500'],
  ];
  it.each(cases)('%s', (_why, m, base, now, verdict, limit) => {
    const j = judge(m, 'app-a', base, now);
    expect(j.verdict).toBe(verdict);
    expect(j.limit).toBe(limit);
    expect(j).toMatchObject({ target: 'app-a', metric: m.name, value: now.value });
    if (verdict === 'no_data') expect(j.reason).toBeTruthy();
  });
});

const m = (verdict: Measurement['verdict']): Measurement => ({
  target: 'a',
  metric: 'x',
  unit: '%',
  baseline: null,
  value: verdict === 'no_data' ? null : 1,
  limit: '≥ 99',
  verdict,
  ...(verdict === 'no_data' ? { reason: 'no series' } : {}),
});

group('a check and the decision', () => {
  it.each<[Measurement['verdict'][], CheckVerdict]>([
    [['pass', 'pass'], 'pass'],
    [['pass', 'fail'], 'fail'],
    [['no_data', 'pass'], 'inconclusive'],
    [['no_data', 'fail'], 'fail'],
    [[], 'inconclusive'],
  ])('%j → %s', (vs, want) => expect(checkVerdict(vs.map(m))).toBe(want));

  const spec = { count: 3, failureLimit: 1 };
  // [checks, failed, last, decision]
  it.each<[number, number, CheckVerdict, string]>([
    [1, 0, 'pass', 'continue'],
    [3, 0, 'pass', 'passed'],
    [2, 1, 'fail', 'continue'],
    [3, 1, 'pass', 'passed'],
    [2, 2, 'fail', 'failed'],
    [1, 0, 'inconclusive', 'inconclusive'],
    [3, 1, 'inconclusive', 'inconclusive'],
  ])('after %s checks, %s failed, last %s → %s', (checks, failed, last, want) =>
    expect(decide(spec, checks, failed, last)).toBe(want),
  );
  it('with failureLimit 0 the first failed check decides', () =>
    expect(decide({ count: 5, failureLimit: 0 }, 1, 1, 'fail')).toBe('failed'));

  it('the reason names what failed, with the value, the baseline and the bound', () => {
    const j = judge(P99, 'app-b', v(20), v(120));
    expect(reasonOf('failed', spec, 2, 2, [j, judge(SUCCESS, 'app-b', null, v(100))])).toBe(
      '2 check(s) failed (limit 1): request-duration-p99 of app-b 120 ms (baseline 20 ms), wanted ≤ 1.2 × 20 + 50 = 74',
    );
    expect(reasonOf('inconclusive', spec, 1, 0, [judge(SUCCESS, 'app-c', null, none('no series'))])).toBe(
      'inconclusive at check 1: request-success-rate of app-c: no series',
    );
    expect(reasonOf('passed', spec, 3, 1, [])).toBe('3 of 3 checks passed (1 failed, limit 1)');
  });
});
