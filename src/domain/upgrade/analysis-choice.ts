/**
 * Which traffic analysis and which mode an upgrade runs with (issue 13): chosen at request time from
 * the cluster's policy and the command (`--analysis NAME`, `--auto`), then copied into the record. Pure.
 *
 * - No `--analysis`: the cluster's default spec (`analysis`), if any.
 * - `--analysis NAME`: the default spec when it has that name, else `analyses.NAME`; an unknown name is
 *   refused with the names there are.
 * - `--analysis none`: no analysis, only where the policy says `analysisOptional: true` (or the cluster
 *   has no default analysis): skipping the health gate is the policy's decision, not the requester's.
 * - Progressive: the policy's `progressive` (with an analysis), or `--auto` (refused without one).
 */
import { err, ok, type Result } from '../result.js';
import type { AnalysisSpec } from './analysis.js';
import { DEFAULT_BAKE_MS, type ProgressiveSpec } from './progressive.js';

export interface ClusterAnalysisPolicy {
  analysis?: AnalysisSpec | undefined;
  analyses?: Record<string, AnalysisSpec> | undefined;
  analysisOptional?: boolean | undefined;
  progressive?: Omit<ProgressiveSpec, 'source'> | undefined;
}

export interface AnalysisChoice {
  analysis?: AnalysisSpec;
  progressive?: ProgressiveSpec;
}

export const NO_ANALYSIS = 'none';

/** Every spec name of the cluster, the default first. */
export function analysisNames(c: ClusterAnalysisPolicy | undefined): string[] {
  const names = c?.analysis ? [c.analysis.name] : [];
  for (const n of Object.keys(c?.analyses ?? {})) if (!names.includes(n)) names.push(n);
  return names;
}

export function chooseAnalysis(
  c: ClusterAnalysisPolicy | undefined,
  cluster: string,
  name?: string,
  auto = false,
): Result<AnalysisChoice> {
  const names = analysisNames(c);
  let spec: AnalysisSpec | undefined;
  if (name === undefined) spec = c?.analysis;
  else if (name === NO_ANALYSIS) {
    // without a default spec, no analysis is what leaving `--analysis` out gives anyway
    if (c?.analysis && !c.analysisOptional)
      return err({
        code: 'analysis_required',
        message: `Cluster ${cluster} gates every wave on a traffic analysis; its policy does not allow \`--analysis none\`.`,
        hint: `Choose one of: ${names.join(', ')} (or leave \`--analysis\` out for \`${names[0]}\`). An operator can set \`analysisOptional: true\` for the cluster.`,
      });
  } else {
    spec = c?.analysis?.name === name ? c.analysis : c?.analyses?.[name];
    if (!spec)
      return err({
        code: 'unknown_analysis',
        message: `Cluster ${cluster} has no traffic analysis named "${name}".`,
        hint: names.length
          ? `Its analyses: ${names.join(', ')}${c?.analysisOptional ? `, or ${NO_ANALYSIS}` : ''}.`
          : 'It has none: leave `--analysis` out (the policy adds them under the cluster’s `analysis` / `analyses`).',
      });
  }
  if (auto && !spec)
    return err({
      code: 'auto_needs_analysis',
      message: `\`--auto\` starts waves without approval only after their traffic analysis passed, and this upgrade of ${cluster} has none.`,
      hint: names.length
        ? `Leave out \`--analysis none\`, or choose one of: ${names.join(', ')}.`
        : 'Give the cluster an `analysis` in the policy first, or approve each wave.',
    });
  if (!spec) return ok({});
  const progressive: ProgressiveSpec | undefined = c?.progressive
    ? { ...c.progressive, source: auto ? 'command' : 'policy' }
    : auto
      ? { bakeMs: DEFAULT_BAKE_MS, autoFirstWave: false, autoFinish: false, source: 'command' }
      : undefined;
  return ok({ analysis: spec, ...(progressive ? { progressive } : {}) });
}
