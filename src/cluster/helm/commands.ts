/**
 * helm argument building and output parsing (pure, table-tested) for the Helm canary path
 * (istio.io docs/setup/upgrade/helm). Every call is an argv array; nothing goes through a shell.
 */

export {
  CHART_REPO_NAME,
  type ChartCredentials,
  type ChartSource,
  chartArgs,
  credentialTexts,
  DEFAULT_ISTIO_HELM_REPO,
  describeChartSource,
  type IstioChart,
  parseChartSource,
  redact,
  registryLoginArgs,
  repositoriesFile,
  repoUpdateArgs,
  repoUpdateFailed,
} from './chart-source.js';

/** Flags that point helm at a cluster; empty for in-cluster (client-go falls back to the pod's SA). */
export interface HelmTarget {
  kubeconfig?: string;
  context?: string;
}

export function targetArgs(t: HelmTarget): string[] {
  const out: string[] = [];
  if (t.kubeconfig) out.push('--kubeconfig', t.kubeconfig);
  if (t.context) out.push('--kube-context', t.context);
  return out;
}

const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/** Every release in `namespace` (every namespace when null), whatever its status (`--all`). */
export const listArgs = (namespace: string | null): string[] => [
  'list',
  ...(namespace === null ? ['--all-namespaces'] : ['-n', namespace]),
  '--all',
  '--max',
  '0',
  '-o',
  'json',
];

/** The user-supplied values of a release (what `helm install -f/--set` was given), as JSON; of one
 * stored `revision` when given (`--revision`), else of the current one. */
export const getValuesArgs = (release: string, namespace: string, revision?: number): string[] => [
  'get',
  'values',
  release,
  '-n',
  namespace,
  ...(revision === undefined ? [] : ['--revision', String(revision)]),
  '-o',
  'json',
];

export interface ChangeOptions {
  /** A values file (`-f`), e.g. the carried-over values of the old istiod release. */
  valuesFile?: string;
  /** `--set key=value` pairs, in order. */
  set?: [string, string][];
  /** `--description`: what the release revision records in `helm history` (e.g. the bot's hold). */
  description?: string;
  timeoutMs: number;
}

const setArgs = (set: [string, string][] = []) => set.flatMap(([k, v]) => ['--set', `${k}=${v}`]);

/** `helm install R chart -n NS [-f values] [--set k=v] --wait --timeout Ns`. */
export function installArgs(release: string, chart: string[], namespace: string, o: ChangeOptions): string[] {
  return [
    'install',
    release,
    ...chart,
    '-n',
    namespace,
    ...(o.valuesFile ? ['-f', o.valuesFile] : []),
    ...setArgs(o.set),
    '--wait',
    '--timeout',
    seconds(o.timeoutMs),
  ];
}

/**
 * `helm upgrade R chart -n NS --reset-then-reuse-values [--set k=v] --wait --timeout Ns`: the
 * release's own values are kept (`--reset-then-reuse-values`, helm 3.14+: the new chart's defaults
 * with the release's user values over them; `--reuse-values` would keep the OLD chart's defaults).
 */
export function upgradeArgs(release: string, chart: string[], namespace: string, o: ChangeOptions): string[] {
  return [
    'upgrade',
    release,
    ...chart,
    '-n',
    namespace,
    '--reset-then-reuse-values',
    ...(o.valuesFile ? ['-f', o.valuesFile] : []),
    ...setArgs(o.set),
    ...(o.description ? ['--description', o.description] : []),
    '--wait',
    '--timeout',
    seconds(o.timeoutMs),
  ];
}

export const uninstallArgs = (release: string, namespace: string, timeoutMs: number): string[] => [
  'uninstall',
  release,
  '-n',
  namespace,
  '--wait',
  '--timeout',
  seconds(timeoutMs),
];

export const versionArgs = (): string[] => ['version', '--template', '{{.Version}}'];

/** `v3.21.4` → true: helm 3.14+ (`--reset-then-reuse-values`), or a later major. */
export function helmSupports(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 3 || (major === 3 && minor >= 14);
}

/** `helm show values <chart>`: the chart's default values (YAML), e.g. whether it has a value. */
export const showValuesArgs = (chart: string[]): string[] => ['show', 'values', ...chart];

export interface ReleaseInfo {
  name: string;
  namespace: string;
  /** Helm's revision number of the release. */
  revision: number;
  /** `deployed`, `failed`, `pending-install`, `pending-upgrade`, `pending-rollback`, `uninstalling`, … */
  status: string;
  /** The chart's name and version, from `chart: <name>-<version>`. */
  chart: string;
  chartVersion: string;
}

/** `helm list -o json`: `[{name, namespace, revision: "3", status, chart: "istiod-1.25.3", …}]`. */
export function parseList(stdout: string): ReleaseInfo[] | null {
  const text = stdout.trim();
  if (text === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(v)) return null;
  return v.map((e: Record<string, unknown>) => {
    const chart = String(e.chart ?? '');
    // chart names may hold dashes; versions start with a digit (`istiod-1.31-dev`, `base-1.25.3`)
    const m = /^(.*?)-(v?\d.*)$/.exec(chart);
    return {
      name: String(e.name ?? ''),
      namespace: String(e.namespace ?? ''),
      revision: Number(e.revision ?? 0),
      status: String(e.status ?? ''),
      chart: m ? m[1]! : chart,
      chartVersion: m ? m[2]! : '',
    };
  });
}

/** `helm get values -o json`: an object (no user values: `null` or `{}`). */
export function parseValues(stdout: string): Record<string, unknown> | null {
  const text = stdout.trim();
  if (text === '' || text === 'null') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The old istiod release's values for the canary: everything carried over except what names the
 * old control plane — `revision` (set to the canary's), `revisionTags` (tags are moved by istioctl,
 * ADR 14) and an image tag pinned to the old version (`tag`, `global.tag`), which would run the old
 * istiod under the new revision.
 */
export function carriedValues(values: Record<string, unknown>, fromVersion: string): Record<string, unknown> {
  const out = structuredClone(values);
  delete out.revision;
  delete out.revisionTags;
  if (out.tag === fromVersion) delete out.tag;
  const g = out.global;
  if (g && typeof g === 'object' && !Array.isArray(g) && (g as Record<string, unknown>).tag === fromVersion)
    delete (g as Record<string, unknown>).tag;
  return out;
}

/**
 * helm refusing a chart's OWN values because the chart's values.schema.json is broken, not the user's
 * values: the Istio `gateway` chart before 1.26.4 puts `additionalProperties: false` beside a root
 * `$ref`, which helm 3.18.5+ (jsonschema v6) applies to the root, so the chart's own
 * `_internal_defaults_do_not_set` (or `defaults`) key is "not allowed" (istio#57354; Istio's own
 * upgrade tests skip schema validation for those charts, istio#57507).
 */
export const brokenChartSchema = (stderr: string): boolean =>
  /values don't meet the specifications of the schema/.test(stderr) &&
  /at '': additional properties [^\n]*'(?:_internal_defaults_do_not_set|defaults)'[^\n]*not allowed/.test(
    stderr,
  );

/** helm's answer when a release does not exist (uninstall, get, status): its `driver.ErrReleaseNotFound`
 * (`release: not found`), nothing broader — a missing kube context, namespace or resource also says
 * "not found", and must not count as an uninstalled release. */
export const isNotFound = (stderr: string): boolean => /\brelease: not found\b/i.test(stderr);

/** `helm history R -o json`: every stored revision of a release, oldest first. */
export const historyArgs = (release: string, namespace: string): string[] => [
  'history',
  release,
  '-n',
  namespace,
  '--max',
  '256',
  '-o',
  'json',
];

export const rollbackArgs = (release: string, revision: number, namespace: string, timeoutMs: number) => [
  'rollback',
  release,
  String(revision),
  '-n',
  namespace,
  '--wait',
  '--timeout',
  seconds(timeoutMs),
];

export interface HistoryEntry {
  revision: number;
  status: string;
  chartVersion: string;
  /** What helm recorded for the revision (`Install complete`, `Upgrade complete`, an error, or the
   * `--description` it was given); absent in older output. */
  description?: string;
}

/** `helm history -o json`: `[{revision: 1, status, chart: "base-1.25.3", description, …}]`, sorted by revision. */
export function parseHistory(stdout: string): HistoryEntry[] | null {
  const rel = parseList(stdout);
  if (rel === null) return null;
  const descriptions = new Map<number, string>();
  for (const e of JSON.parse(stdout.trim() || '[]') as Record<string, unknown>[])
    if (typeof e.description === 'string') descriptions.set(Number(e.revision ?? 0), e.description);
  return rel
    .map((r) => {
      const description = descriptions.get(r.revision);
      return {
        revision: r.revision,
        status: r.status,
        chartVersion: r.chartVersion,
        ...(description === undefined ? {} : { description }),
      };
    })
    .sort((a, b) => a.revision - b.revision);
}

/**
 * The revision to roll a release back to so that it is as it was before it was moved to `version`:
 * the newest revision before the trailing run of revisions at `version` (a re-run or the finish's
 * `defaultRevision` may have added several). null when the release is not at `version` now (already
 * back, or never moved) or has no earlier revision (it was installed at `version`).
 */
export function revisionBefore(history: HistoryEntry[], version: string): number | null {
  const h = [...history].sort((a, b) => a.revision - b.revision);
  const last = h[h.length - 1];
  if (!last || last.chartVersion !== version) return null;
  for (let i = h.length - 1; i >= 0; i--) if (h[i]!.chartVersion !== version) return h[i]!.revision;
  return null;
}
