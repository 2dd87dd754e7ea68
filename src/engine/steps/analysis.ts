/**
 * The health gate of a wave (issue 13, ADR 11): after the sidecars are verified, the wave's traffic is
 * judged from the cluster's Prometheus (the WaveAnalysis port) against the spec copied into the record.
 * Read-only, so a re-run after a crash simply analyses again; the start is checkpointed first (the
 * record shows the analysis running), the result is checkpointed on the wave before anyone is told.
 * Passed: the step is done. Failed: the policy's `onFailure` (pause or rollback). Inconclusive (no
 * data, NaN, Prometheus unreachable): always a pause, with the reason. The thread gets the table and
 * a chart of the window (chart.ts); the chart is best effort and never decides anything.
 */
import { appendAudit } from '../../domain/upgrade/machine-core.js';
import { StepFailure } from '../runtime.js';
import { waveChart } from './chart.js';
import { StepHalted, type StepHandler, waveOf } from './context.js';

export const analyzeWave: StepHandler = async (ctx) => {
  const r = ctx.record;
  const wave = waveOf(ctx);
  const spec = r.analysis;
  if (!spec) return { detail: 'no analysis asked for' };
  const port = ctx.ports.analysis;
  if (!port)
    throw new StepFailure(
      'analysis_unavailable',
      `no Prometheus is configured for cluster ${r.cluster} (PROMETHEUS_URL or PROMETHEUS_URLS), so wave ${wave.index} cannot be analysed`,
    );
  const startedAt = ctx.now();
  await ctx.checkpoint((rec) => {
    delete rec.waves[wave.index - 1]!.analysis;
    const detail = `wave ${wave.index}: ${spec.name}, ${spec.count} × ${spec.intervalMs / 1000}s (run ${ctx.run.seq})`;
    if (!rec.audit.some((a) => a.action === 'analysis_started' && a.detail === detail))
      appendAudit(rec, { at: startedAt, actor: 'engine', action: 'analysis_started', detail });
  });
  const workloads = spec.perWorkload
    ? (await ctx.ports.inspector.workloads(wave.namespaces, ctx.signal)).map(({ kind, namespace, name }) => ({
        kind,
        namespace,
        name,
      }))
    : [];
  const result = await port.analyze(
    {
      spec,
      namespaces: wave.namespaces,
      workloads,
      baselineEnd: wave.startedAt ?? startedAt,
      // the control-plane gate: the new istiod's own signals, during the first wave
      ...(wave.index === 1 && spec.controlPlane ? { controlPlane: { revision: r.to.revision } } : {}),
    },
    {
      signal: ctx.signal,
      onCheck: (c) => ctx.logger.info({ wave: wave.index, ...c }, 'analysis check'),
    },
  );
  await ctx.checkpoint((rec) => {
    rec.waves[wave.index - 1]!.analysis = result;
  });
  // The chart's series, read after the verdict is kept: a chart that cannot be read is only noted.
  const chart = await waveChart(ctx, wave, spec, result);
  await ctx.notify({
    type: 'wave_analysis',
    key: `${r.id}:analysis:w${wave.index}:${ctx.run.seq}`,
    record: ctx.record,
    wave: wave.index,
    result,
    ...(chart ? { chart } : {}),
  });
  const summary = `wave ${wave.index} analysis ${result.verdict}: ${result.reason}`;
  if (result.verdict === 'passed') return { detail: result.reason };
  throw new StepHalted(result.verdict === 'failed' ? spec.onFailure : 'pause', summary);
};
