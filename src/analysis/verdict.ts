/**
 * The pure part of a wave's traffic analysis: PromQL templates filled per namespace/workload, one
 * metric judged against its absolute and baseline-relative thresholds, a check's verdict, and when the
 * analysis is decided. No data, NaN, ±Inf or a missing baseline is never a pass: it is `no_data`, and
 * a check with no_data (and no failure) is inconclusive. Table-tested in test/analysis/verdict.test.ts.
 */
import type { AnalysisSpec, AnalysisVerdict, Measurement, MetricSpec } from '../domain/upgrade/analysis.js';

/** A Prometheus duration for `ms` (`60s`, `1500ms`). */
export function promDuration(ms: number): string {
  const n = Math.max(1, Math.round(ms));
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}

/** Escapes a literal for a PromQL regex matcher (`=~"…"`) inside a double-quoted string. */
export const regexLiteral = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\\\${c}`);

/** A label value inside double quotes. */
const quoted = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export interface Target {
  namespace: string;
  /** null: every workload of the namespace. */
  workload: string | null;
}
export const targetName = (t: Target): string => (t.workload ? `${t.namespace}/${t.workload}` : t.namespace);

/** Fills `{{namespace}}`, `{{workload}}` (a regex: `.*` for the whole namespace) and `{{interval}}`. */
export function fill(template: string, t: Target, windowMs: number): string {
  return template
    .replaceAll('{{namespace}}', quoted(t.namespace))
    .replaceAll('{{workload}}', t.workload === null ? '.*' : regexLiteral(t.workload))
    .replaceAll('{{interval}}', promDuration(windowMs));
}

/** Fills a control-plane gate's template (`{{istiod}}`: the selector for `revision`; `{{since}}`: the
 * window since the wave started; `{{interval}}`). */
export function fillIstiod(
  template: string,
  selector: string,
  revision: string,
  windows: { intervalMs: number; sinceMs: number },
): string {
  const rev = quoted(revision);
  return template
    .replaceAll('{{istiod}}', selector.replaceAll('{{revision}}', rev))
    .replaceAll('{{revision}}', rev)
    .replaceAll('{{since}}', promDuration(windows.sinceMs))
    .replaceAll('{{interval}}', promDuration(windows.intervalMs));
}

/** The target name of a control-plane measurement. */
export const istiodTarget = (revision: string): string => `istiod ${revision}`;

/** What one query gave: a number, or why there is none. */
export type Reading = { value: number } | { value: null; reason: string };

/** The result of an instant query, as a reading: exactly one finite series, else why not. */
export function readingOf(values: number[]): Reading {
  if (values.length === 0) return { value: null, reason: 'no series' };
  if (values.length > 1)
    return { value: null, reason: `${values.length} series (the query must aggregate to one)` };
  const v = values[0]!;
  if (Number.isNaN(v)) return { value: null, reason: 'NaN (no requests in the window)' };
  if (!Number.isFinite(v)) return { value: null, reason: `${v}` };
  return { value: v };
}

const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(v % 1 === 0 ? 0 : 2));
const needsBaseline = (m: MetricSpec) => m.maxVsBaseline !== undefined || m.minVsBaseline !== undefined;

/** Judges one metric of one target. */
export function judge(m: MetricSpec, target: string, baseline: Reading | null, now: Reading): Measurement {
  const base = baseline && baseline.value !== null ? baseline.value : null;
  let lo = m.min ?? Number.NEGATIVE_INFINITY;
  let hi = m.max ?? Number.POSITIVE_INFINITY;
  const words: string[] = [];
  if (m.min !== undefined) words.push(`≥ ${num(m.min)}`);
  if (m.max !== undefined) words.push(`≤ ${num(m.max)}`);
  if (base !== null && m.minVsBaseline) {
    const l = base * m.minVsBaseline.factor - m.minVsBaseline.minus;
    lo = Math.max(lo, l);
    words.push(`≥ ${m.minVsBaseline.factor} × ${num(base)} − ${num(m.minVsBaseline.minus)} = ${num(l)}`);
  }
  if (base !== null && m.maxVsBaseline) {
    const h = base * m.maxVsBaseline.factor + m.maxVsBaseline.plus;
    hi = Math.min(hi, h);
    words.push(`≤ ${m.maxVsBaseline.factor} × ${num(base)} + ${num(m.maxVsBaseline.plus)} = ${num(h)}`);
  }
  const out: Measurement = {
    target,
    metric: m.name,
    unit: m.unit,
    baseline: base,
    value: now.value,
    limit: words.join(', ') || 'none',
    verdict: 'pass',
  };
  if (now.value === null) return { ...out, verdict: 'no_data', reason: now.reason };
  if (needsBaseline(m) && base === null)
    return {
      ...out,
      verdict: 'no_data',
      reason: `no baseline: ${baseline && baseline.value === null ? baseline.reason : 'not measured'}`,
    };
  return { ...out, verdict: now.value >= lo && now.value <= hi ? 'pass' : 'fail' };
}

export type CheckVerdict = 'pass' | 'fail' | 'inconclusive';

/** A check fails when any measurement fails (harm seen beats data missing elsewhere); else it is
 * inconclusive when any has no data (or there is nothing to measure); else it passes. */
export function checkVerdict(ms: Measurement[]): CheckVerdict {
  if (ms.some((m) => m.verdict === 'fail')) return 'fail';
  if (ms.length === 0 || ms.some((m) => m.verdict === 'no_data')) return 'inconclusive';
  return 'pass';
}

/** After `checks` checks, `failed` of them failed, the last one `last`: decided, or go on. */
export function decide(
  spec: Pick<AnalysisSpec, 'count' | 'failureLimit'>,
  checks: number,
  failed: number,
  last: CheckVerdict,
): AnalysisVerdict | 'continue' {
  if (last === 'inconclusive') return 'inconclusive';
  if (failed > spec.failureLimit) return 'failed';
  return checks >= spec.count ? 'passed' : 'continue';
}

const unit = (m: Measurement, v: number) =>
  `${num(v)}${m.unit === '%' ? ' %' : m.unit === 'count' ? '' : ` ${m.unit}`}`;

/** One line per measurement that did not pass, for the reason people read. */
export function describe(m: Measurement): string {
  if (m.verdict === 'no_data') return `${m.metric} of ${m.target}: ${m.reason ?? 'no data'}`;
  const v = m.value === null ? '–' : unit(m, m.value);
  const base = m.baseline === null ? '' : ` (baseline ${unit(m, m.baseline)})`;
  return `${m.metric} of ${m.target} ${v}${base}, wanted ${m.limit}`;
}

/** The reason of a decided analysis, in one line (clipped). */
export function reasonOf(
  verdict: AnalysisVerdict,
  spec: Pick<AnalysisSpec, 'count' | 'failureLimit'>,
  checks: number,
  failed: number,
  ms: Measurement[],
): string {
  const bad = ms.filter((m) => m.verdict !== 'pass');
  const shown = bad.slice(0, 3).map(describe).join('; ');
  const more = bad.length > 3 ? `; +${bad.length - 3} more` : '';
  const text =
    verdict === 'passed'
      ? `${checks} of ${spec.count} checks passed${failed ? ` (${failed} failed, limit ${spec.failureLimit})` : ''}`
      : verdict === 'failed'
        ? `${failed} check(s) failed (limit ${spec.failureLimit}): ${shown}${more}`
        : `inconclusive at check ${checks}: ${shown}${more}`;
  return text.length > 600 ? `${text.slice(0, 599)}…` : text;
}
