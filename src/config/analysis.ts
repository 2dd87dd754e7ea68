/**
 * The traffic-analysis part of a cluster's policy entry (issue 13; ADR 11, ADR 15): the default spec
 * (`analysis`), named ones (`analyses`, for `--analysis NAME`), whether `--analysis none` is allowed
 * (`analysisOptional`), and progressive mode (`progressive`). Every spec field has Flagger's default.
 */
import { z } from 'zod';
import { DEFAULT_ANALYSIS, DEFAULT_CONTROL_PLANE } from '../domain/upgrade/analysis.js';
import { parseDuration } from './duration.js';

/** A duration written as in the environment (`30s`, `1m`), to milliseconds. */
const policyDuration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write e.g. 30s, 1m or 10m` });
    return z.NEVER;
  }
  return ms;
});

const metricSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    query: z.string().min(1).max(4000),
    unit: z.enum(['%', 'ms', 's', 'count']),
    min: z.number().optional(),
    max: z.number().optional(),
    maxVsBaseline: z
      .object({ factor: z.number().positive(), plus: z.number().min(0) })
      .strict()
      .optional(),
    minVsBaseline: z
      .object({ factor: z.number().positive(), minus: z.number().min(0) })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (m) => [m.min, m.max, m.maxVsBaseline, m.minVsBaseline].some((x) => x !== undefined),
    'give the metric a threshold: min, max, maxVsBaseline or minVsBaseline',
  );

/** The control-plane gate of the first wave (the new istiod's signals); `false` turns it off. */
const controlPlaneSchema = z
  .union([
    z.literal(false),
    z
      .object({
        selector: z.string().min(1).max(500).optional(),
        metrics: z.array(metricSchema).min(1).max(10).optional(),
      })
      .strict(),
  ])
  .optional()
  .transform((c) =>
    c === false
      ? undefined
      : {
          selector: c?.selector ?? DEFAULT_CONTROL_PLANE.selector,
          metrics: c?.metrics ?? DEFAULT_CONTROL_PLANE.metrics,
        },
  );

/** The traffic analysis of a cluster's waves (issue 13). Every field has Flagger's default. */
const analysisSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .default('default'),
    interval: policyDuration.optional(),
    count: z.number().int().min(1).max(100).default(DEFAULT_ANALYSIS.count),
    failureLimit: z.number().int().min(0).max(100).default(DEFAULT_ANALYSIS.failureLimit),
    baseline: policyDuration.optional(),
    perWorkload: z.boolean().default(DEFAULT_ANALYSIS.perWorkload),
    onFailure: z.enum(['pause', 'rollback']).default(DEFAULT_ANALYSIS.onFailure),
    metrics: z.array(metricSchema).min(1).max(10).optional(),
    controlPlane: controlPlaneSchema,
  })
  .strict()
  .transform(({ interval, baseline, metrics, controlPlane, ...a }) => ({
    ...a,
    intervalMs: interval ?? DEFAULT_ANALYSIS.intervalMs,
    baselineMs: baseline ?? DEFAULT_ANALYSIS.baselineMs,
    metrics: metrics ?? DEFAULT_ANALYSIS.metrics,
    ...(controlPlane ? { controlPlane } : {}),
  }));

const specName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -')
  .refine((n) => n !== 'none', '"none" is reserved: `--analysis none` means no analysis');

/** Progressive mode (ADR 15): a wave whose predecessor's analysis passed starts after `bakeTime`. */
const progressiveSchema = z
  .object({
    bakeTime: policyDuration,
    autoFirstWave: z.boolean().default(false),
    autoFinish: z.boolean().default(false),
  })
  .strict()
  .transform(({ bakeTime, ...p }) => ({ bakeMs: bakeTime, ...p }));

/** The fields a cluster's policy entry gets for its analyses and progressive mode. */
export const analysisFields = {
  analysis: analysisSchema.optional(),
  /** More specs by name, chosen per upgrade with `--analysis NAME`. */
  analyses: z.record(specName, analysisSchema).optional(),
  /** `--analysis none` is allowed (default: not, when the cluster has an analysis). */
  analysisOptional: z.boolean().optional(),
  progressive: progressiveSchema.optional(),
};

type AnalysisSpecIn = z.output<typeof analysisSchema>;
interface Fields {
  analysis?: AnalysisSpecIn | undefined;
  analyses?: Record<string, AnalysisSpecIn> | undefined;
  progressive?: unknown;
}

export function refineAnalyses(c: Fields, ctx: z.RefinementCtx): void {
  if (c.analysis && c.analyses?.[c.analysis.name])
    ctx.addIssue({
      code: 'custom',
      path: ['analyses', c.analysis.name],
      message: `"${c.analysis.name}" is already the name of \`analysis\`: give one of them another name`,
    });
  if (c.progressive && !c.analysis)
    ctx.addIssue({
      code: 'custom',
      path: ['progressive'],
      message: 'progressive mode starts waves after a passed analysis: give the cluster an `analysis` too',
    });
}

/** Each named spec is called by its key. */
export function nameAnalyses<T extends Fields>({ analyses, ...c }: T) {
  return {
    ...c,
    ...(analyses
      ? { analyses: Object.fromEntries(Object.entries(analyses).map(([k, a]) => [k, { ...a, name: k }])) }
      : {}),
  };
}
