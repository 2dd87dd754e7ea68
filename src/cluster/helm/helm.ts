/** The helm operations the Helm canary path uses, each one real `helm` call against one cluster. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ChartAccess } from './chart-access.js';
import {
  brokenChartSchema,
  type ChangeOptions,
  type ChartSource,
  chartArgs,
  getValuesArgs,
  type HelmTarget,
  type HistoryEntry,
  helmSupports,
  historyArgs,
  type IstioChart,
  installArgs,
  isNotFound,
  listArgs,
  parseHistory,
  parseList,
  parseValues,
  type ReleaseInfo,
  rollbackArgs,
  showValuesArgs,
  targetArgs,
  uninstallArgs,
  upgradeArgs,
  versionArgs,
} from './commands.js';
import { type HelmRunner, type HelmRunResult, runHelm } from './run.js';

export interface HelmOptions {
  /** The helm binary (HELM_PATH; default `helm` on PATH). */
  bin: string;
  /** Where the Istio charts come from (ISTIO_HELM_REPO). */
  charts: ChartSource;
  target: HelmTarget;
  /** helm's own config/cache/data directory. */
  home: string;
  timeoutMs: number;
  runner?: HelmRunner;
  logger?: Logger | undefined;
}

export class Helm {
  private readonly runner: HelmRunner;
  /** The chart source's credentials, given to helm without argv (chart-access.ts). */
  private readonly access: ChartAccess;
  constructor(readonly o: HelmOptions) {
    this.runner = o.runner ?? runHelm;
    this.access = new ChartAccess(o.charts, o.home, (what, args, x, signal) =>
      this.run(what, args, signal, x.input),
    );
  }

  private run(what: string, args: string[], signal?: AbortSignal, input?: string): Promise<HelmRunResult> {
    return this.runner(this.o.bin, [...args, ...targetArgs(this.o.target)], {
      // helm's own --timeout is timeoutMs: the process gets a little more, to say why it gave up
      timeoutMs: this.o.timeoutMs + 30_000,
      signal,
      what,
      home: this.o.home,
      logger: this.o.logger,
      secrets: this.access.secrets,
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** Every release of `namespace` (every namespace when null), whatever its status. */
  async list(namespace: string | null, signal?: AbortSignal): Promise<ReleaseInfo[]> {
    const r = await this.run(`helm list ${namespace ?? '--all-namespaces'}`, listArgs(namespace), signal);
    const l = parseList(r.stdout);
    if (!l) throw new CodedError(ErrorCode.HelmFailed, 'helm list printed no JSON list');
    return l;
  }

  async release(name: string, namespace: string, signal?: AbortSignal): Promise<ReleaseInfo | null> {
    return (await this.list(namespace, signal)).find((r) => r.name === name) ?? null;
  }

  /** The release's user-supplied values (what `-f`/`--set` gave it); of one stored `revision` when given. */
  async values(
    release: string,
    namespace: string,
    signal?: AbortSignal,
    revision?: number,
  ): Promise<Record<string, unknown>> {
    const r = await this.run(
      `helm get values ${release}${revision === undefined ? '' : ` --revision ${revision}`}`,
      getValuesArgs(release, namespace, revision),
      signal,
    );
    const v = parseValues(r.stdout);
    if (!v) throw new CodedError(ErrorCode.HelmFailed, `helm get values ${release} printed no JSON object`);
    return v;
  }

  async history(release: string, namespace: string, signal?: AbortSignal): Promise<HistoryEntry[]> {
    const r = await this.run(`helm history ${release}`, historyArgs(release, namespace), signal);
    const h = parseHistory(r.stdout);
    if (!h) throw new CodedError(ErrorCode.HelmFailed, `helm history ${release} printed no JSON list`);
    return h;
  }

  /** `helm install` of an Istio chart at exactly `version`; `values` go through a private file. */
  async install(
    release: string,
    chart: IstioChart,
    version: string,
    namespace: string,
    o: { values?: Record<string, unknown>; set?: [string, string][] },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.withValues(o.values, async (valuesFile) => {
      const opts: ChangeOptions = { timeoutMs: this.o.timeoutMs, set: o.set ?? [] };
      if (valuesFile) opts.valuesFile = valuesFile;
      const args = installArgs(release, chartArgs(this.o.charts, chart, version), namespace, opts);
      await this.access.ready(signal);
      await this.schemaTolerant(`helm install ${release}`, args, chart, version, signal);
    });
  }

  private versionOk?: Promise<void>;

  /** helm 3.14 or later (`--reset-then-reuse-values`); checked once, before the first upgrade. */
  private checkVersion(signal?: AbortSignal): Promise<void> {
    this.versionOk ??= this.run('helm version', versionArgs(), signal).then((r) => {
      const v = r.stdout.trim();
      if (!helmSupports(v))
        throw new CodedError(
          ErrorCode.HelmFailed,
          `helm ${v || '(no version)'} at ${this.o.bin} is too old: the Helm canary path needs helm 3.14 or later (--reset-then-reuse-values); point HELM_PATH at a newer one`,
          { version: v },
        );
    });
    this.versionOk.catch(() => {
      this.versionOk = undefined;
    });
    return this.versionOk;
  }

  /** `helm upgrade` to `chart` at exactly `version`, keeping the release's own values; `o.description`
   * is recorded in the release's history (`--description`). */
  async upgrade(
    release: string,
    chart: IstioChart,
    version: string,
    namespace: string,
    set: [string, string][],
    signal?: AbortSignal,
    o: { description?: string } = {},
  ): Promise<void> {
    await this.checkVersion(signal);
    await this.access.ready(signal);
    const args = upgradeArgs(release, chartArgs(this.o.charts, chart, version), namespace, {
      timeoutMs: this.o.timeoutMs,
      set,
      ...(o.description ? { description: o.description } : {}),
    });
    await this.schemaTolerant(`helm upgrade ${release}`, args, chart, version, signal);
  }

  /**
   * Runs a change; when helm refuses the chart's own default values because the chart's schema is
   * broken (`brokenChartSchema`: the `gateway` chart before 1.26.4 with helm 3.18.5+, e.g. moving a
   * gateway release DOWN to 1.25.x), runs it again once with `--skip-schema-validation`, as Istio's
   * own tests do for those charts, and says so in the log. Any other refusal stands.
   */
  private async schemaTolerant(
    what: string,
    args: string[],
    chart: IstioChart,
    version: string,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.run(what, args, signal);
    } catch (e) {
      const stderr = e instanceof CodedError ? String(e.details.stderr ?? '') : '';
      if (!(e instanceof CodedError) || e.details.cancelled || !brokenChartSchema(stderr)) throw e;
      this.o.logger?.warn(
        { chart, version },
        `${what}: the ${chart} chart ${version} refuses its own default values (its values.schema.json is broken for helm 3.18.5+, istio#57354): running it again with --skip-schema-validation`,
      );
      await this.run(`${what} (--skip-schema-validation)`, [...args, '--skip-schema-validation'], signal);
    }
  }

  /** The chart's default values at exactly `version`, as YAML text (`helm show values`). */
  async showValues(chart: IstioChart, version: string, signal?: AbortSignal): Promise<string> {
    await this.access.ready(signal);
    const r = await this.run(
      `helm show values ${chart}`,
      showValuesArgs(chartArgs(this.o.charts, chart, version)),
      signal,
    );
    return r.stdout;
  }

  async rollback(release: string, revision: number, namespace: string, signal?: AbortSignal): Promise<void> {
    const args = rollbackArgs(release, revision, namespace, this.o.timeoutMs);
    await this.run(`helm rollback ${release} ${revision}`, args, signal);
  }

  /** Idempotent: a release that is not there counts as uninstalled. */
  async uninstall(release: string, namespace: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.run(
        `helm uninstall ${release}`,
        uninstallArgs(release, namespace, this.o.timeoutMs),
        signal,
      );
    } catch (e) {
      if (e instanceof CodedError && !e.details.cancelled && isNotFound(String(e.details.stderr ?? '')))
        return;
      throw e;
    }
  }

  /** Values may hold secrets: a 0600 file in a private directory, removed afterwards, never logged. */
  private async withValues(
    values: Record<string, unknown> | undefined,
    f: (file: string | undefined) => Promise<void>,
  ): Promise<void> {
    if (!values || Object.keys(values).length === 0) return f(undefined);
    const dir = await mkdtemp(join(tmpdir(), 'iub-helm-values-'));
    try {
      const file = join(dir, 'values.json');
      await writeFile(file, JSON.stringify(values), { mode: 0o600 });
      await f(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
