import { z } from 'zod';
import { defaultIncidentResponders } from '../domain/policy.js';
import { validateLabel } from '../domain/version.js';
import { analysisFields, nameAnalyses, refineAnalyses } from './analysis.js';
import { calendarFields } from './calendar.js';
import { parseDuration } from './duration.js';

const duration = (name: string, def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write e.g. 90s, 15m, 4h or 1d` });
        return z.NEVER;
      }
      return ms;
    })
    .describe(name);

/** A URL's userinfo is absent, or both a user and a password, each decodable. */
function credentialsComplete(v: string): boolean {
  if (!URL.canParse(v)) return true; // said by the check before
  const u = new URL(v);
  if (u.username === '' && u.password === '') return true;
  if (u.username === '' || u.password === '') return false;
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
    return true;
  } catch {
    return false;
  }
}

const principal = z
  .string()
  .regex(/^(\*|[UWS][A-Z0-9]+)$/, 'a Slack user id (U…/W…), a user-group id (S…) or "*"');
const channel = z.string().regex(/^(\*|[CGD][A-Z0-9]+)$/, 'a Slack channel id (C…/G…) or "*"');
const clusterName = z.string().refine((v) => validateLabel('cluster', v) === null, 'a DNS-1123 label');

const clusterSchema = z
  .object({ channels: z.array(channel).min(1), ...analysisFields, ...calendarFields })
  .superRefine(refineAnalyses)
  .transform(nameAnalyses);

export const policySchema = z
  .object({
    requesters: z.array(principal).min(1),
    approvers: z.array(principal).min(1),
    operators: z.array(principal).default([]),
    clusters: z.record(clusterName, clusterSchema),
    incidentChannels: z.array(channel).default([]),
    /** Absent: operators and approvers. `"*"` (anyone in the incident channel) only when written. */
    incidentResponders: z.array(principal).optional(),
    fourEyes: z.boolean().default(true),
  })
  .strict()
  .transform((p) => ({ ...p, incidentResponders: p.incidentResponders ?? defaultIncidentResponders(p) }));

/** `prod-eu1=context-a,prod-us1=context-b`; a context of `in-cluster` uses the pod's ServiceAccount. */
const clusters = z
  .string()
  .default('local=in-cluster')
  .transform((v, ctx) => {
    const out: { name: string; context: string }[] = [];
    for (const part of v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [name, context] = part.split('=');
      if (!name || !context || validateLabel('cluster', name) !== null) {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" must be NAME=KUBECONTEXT (NAME a DNS-1123 label)`,
        });
        return z.NEVER;
      }
      out.push({ name, context });
    }
    if (out.length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one cluster' });
    return out;
  });

const optionalUrl = z.string().url().optional();

export const envSchema = z.object({
  ROLE: z.enum(['bot', 'worker', 'all']).default('all'),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'a bot token starting with xoxb-'),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'an app-level token starting with xapp-')
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .min(8, "the signing secret from the app's Basic Information page")
    .optional(),
  SLACK_API_URL: optionalUrl,
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HEALTH_PORT: z.coerce.number().int().min(1).max(65535).default(9090),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and -')
    .default('iub'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POLICY_FILE: z.string().optional(),
  POLICY_JSON: z.string().optional(),
  CLUSTERS: clusters,
  DEFAULT_CLUSTER: z.string().optional(),
  ISTIOCTL_DIR: z.string().default('/opt/istioctl'),
  /** Where downloaded istioctl versions go (default ISTIOCTL_DIR; use a writable path with a read-only root). */
  ISTIOCTL_CACHE_DIR: z.string().optional(),
  ISTIO_NAMESPACE: z
    .string()
    .refine((v) => validateLabel('namespace', v) === null, 'a namespace name (DNS-1123 label)')
    .default('istio-system'),
  /** Istio supports canary jumps of at most 2 minors; a larger value is an explicit operator override. */
  CANARY_MAX_MINOR_JUMP: z.coerce.number().int().min(1).max(10).default(2),
  /** Ambient meshes (ADR 20): ztunnel and istio-cni at most this many minors behind the target. Istio
   * supports 1; a larger value is an explicit operator override (a test mesh: 1.25 → 1.31-dev is 6). */
  AMBIENT_MAX_MINOR_SKEW: z.coerce.number().int().min(1).max(10).default(1),
  /** Ambient meshes: cordon each node wave's nodes while their ztunnel is replaced (never a drain). */
  AMBIENT_CORDON: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  ISTIOCTL_DOWNLOAD_URL: optionalUrl,
  /** The Istio charts for Helm-managed meshes: a chart repository URL or an `oci://` reference. */
  ISTIO_HELM_REPO: z
    .string()
    .regex(
      /^(https?:\/\/[^\s/]+\S*|oci:\/\/[^\s/]+\/\S+)$/,
      'a chart repository URL (https://blob.istio.io/istio-release/charts) or an OCI reference (oci://ghcr.io/istio/release/charts)',
    )
    // one the regex lets through but no URL parser reads (`https://charts:99999/x`) would otherwise
    // fall back to the official repository without a word (src/cluster/registry.ts)
    .refine(
      (v) => v.startsWith('oci://') || URL.canParse(v),
      'not a valid URL (check the host and port, and percent-encode reserved characters of a password, e.g. # as %23); write e.g. https://charts.example.com/istio',
    )
    // credentials ride in the URL (never shown, never on helm's argv: src/cluster/helm/chart-access.ts);
    // half of them would reach helm as no credentials at all
    .refine(
      credentialsComplete,
      'credentials in the URL must be user:password@ (both, percent-encoded), e.g. https://bot:TOKEN@charts.example.com/istio',
    )
    .default('https://blob.istio.io/istio-release/charts'),
  /** The helm binary for Helm-managed meshes (default: `helm` on PATH). */
  HELM_PATH: z.string().min(1).default('helm'),
  PROXY_STATUS_SOURCE: z.enum(['istioctl', 'syncz', 'kubernetes']).default('istioctl'),
  APPROVAL_TTL: duration('APPROVAL_TTL', '24h'),
  GRACE_PERIOD: duration('GRACE_PERIOD', '10m'),
  WAVE_TIMEOUT: duration('WAVE_TIMEOUT', '15m'),
  RECORD_RETENTION: duration('RECORD_RETENTION', '90d'),
  ISTIOCTL_TIMEOUT: duration('ISTIOCTL_TIMEOUT', '10m'),
  /** Longest one Kubernetes API request may take (watches keep their own server-side timeout). */
  KUBE_REQUEST_TIMEOUT: duration('KUBE_REQUEST_TIMEOUT', '30s'),
  /** Time within which a Kubernetes request's transient faults (429, 5xx, resets, timeouts) are retried. */
  KUBE_RETRY_BUDGET: duration('KUBE_RETRY_BUDGET', '60s'),
  /** The Prometheus with the mesh's Istio metrics, for the waves' traffic analysis (issue 13). */
  PROMETHEUS_URL: optionalUrl,
  /** Per-cluster override: `prod-eu1=https://prom-eu1:9090,prod-us1=…`. */
  PROMETHEUS_URLS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const out: Record<string, string> = {};
      for (const part of v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const i = part.indexOf('=');
        const name = part.slice(0, i);
        const url = part.slice(i + 1);
        if (i <= 0 || validateLabel('cluster', name) !== null || !z.string().url().safeParse(url).success) {
          ctx.addIssue({ code: 'custom', message: `"${part}" must be CLUSTER=URL` });
          return z.NEVER;
        }
        out[name] = url;
      }
      return out;
    }),
  /** Files (Secret mounts), re-read on every query: a bearer token, or `user:password`; a CA bundle. */
  PROMETHEUS_BEARER_TOKEN_FILE: z.string().optional(),
  PROMETHEUS_BASIC_AUTH_FILE: z.string().optional(),
  PROMETHEUS_CA_FILE: z.string().optional(),
  /** Longest one Prometheus query may take (each attempt). */
  PROMETHEUS_TIMEOUT: duration('PROMETHEUS_TIMEOUT', '10s'),
});

/** Checks across variables, on the raw environment, so they are reported together with every other problem. */
export function crossChecks(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const role = env.ROLE ?? 'all';
  if (role !== 'worker' && !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_SIGNING_SECRET: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)',
    );
  }
  if (!env.POLICY_FILE && !env.POLICY_JSON) {
    problems.push(
      'POLICY_FILE: set POLICY_FILE (a JSON file) or POLICY_JSON: who may request and approve, and which channels drive which cluster',
    );
  }
  const names = (env.CLUSTERS ?? 'local=in-cluster').split(',').map((p) => p.split('=')[0]?.trim());
  if (env.DEFAULT_CLUSTER && !names.includes(env.DEFAULT_CLUSTER)) {
    problems.push(`DEFAULT_CLUSTER: "${env.DEFAULT_CLUSTER}" is not one of CLUSTERS (${names.join(', ')})`);
  }
  if (env.PROMETHEUS_BEARER_TOKEN_FILE && env.PROMETHEUS_BASIC_AUTH_FILE)
    problems.push(
      'PROMETHEUS_BASIC_AUTH_FILE: set either a bearer token file or a basic-auth file, not both',
    );
  return problems;
}
