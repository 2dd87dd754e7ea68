/**
 * The node agents' Helm releases, upgraded in place (istio.io "Upgrade with Helm", ambient: `helm
 * upgrade ztunnel istio/ztunnel`, `helm upgrade istio-cni istio/cni`), held so that no pod moves
 * before its node's wave (ADR 20):
 * - `helm upgrade <release> <chart> --version <to> --reset-then-reuse-values --set
 *   updateStrategy.type=OnDelete` (the release's values carried; `revision` re-pointed at the new
 *   istiod where it named the old one; an image tag pinned to the old version set to the target; never
 *   a `--set …=null`, which helm would write into the previous revision's stored values: holdSets).
 *   With OnDelete the DaemonSet's template changes and no pod is replaced: the node waves replace them. A target chart without an `updateStrategy` value (before it was added, e.g.
 *   1.25) cannot be held: refused before anything moves, with the reason. The held revision is marked
 *   in helm's history (`--description`, HOLD_DESCRIPTION), so the user's own `updateStrategy` is
 *   always read from the newest revision that is not the hold — before the upgrade, after it, and
 *   after a crash between the upgrade and the engine's save: the held OnDelete is never taken for
 *   the user's.
 * - the hold is given back after the last wave: the user's own `updateStrategy` value (or none, the
 *   chart's default) by a second `helm upgrade` at the same version (the template does not change, so
 *   no pod is replaced).
 * - rollback: `helm rollback` to the revision before the target version (helm --waits for the
 *   DaemonSet to roll the replaced nodes back; pods never replaced match the old template already).
 */
import type { Agent } from '../../domain/upgrade/ambient/index.js';
import type { AgentHold } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { HistoryEntry, IstioChart } from '../helm/commands.js';
import { revisionBefore } from '../helm/commands.js';
import type { Helm } from '../helm/helm.js';

export const CHART: Record<Agent, IstioChart> = { ztunnel: 'ztunnel', cni: 'cni' };

export interface AgentRelease {
  agent: Agent;
  release: string;
}

/** Whether a chart's default values have a top-level `updateStrategy` (under the charts'
 * `_internal_defaults_do_not_set` too): a value the DaemonSet template renders. */
export const holdsUpdateStrategy = (valuesYaml: string): boolean =>
  /^( {2})?updateStrategy:/m.test(valuesYaml);

/** `a.b=v` pairs of a nested value (for `--set`), leaves only. */
export function flatten(prefix: string, v: unknown): [string, string][] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v))
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => flatten(`${prefix}.${k}`, x));
  return [[prefix, String(v)]];
}

/**
 * The `--set` pairs of the held upgrade, from the release's user values. Never a `null`: helm 3's
 * `--reset-then-reuse-values` coalesces the new values over the previous revision's (chartutil
 * coalesceTablesFullKey) and writes each `null` of the new values INTO the previous revision's values,
 * which helm then stores with that revision: `updateStrategy.rollingUpdate=null` erased the user's
 * rollingUpdate from their own revision (seen on the test cluster), so both `readHolds` and a `helm
 * rollback` to it would lose it. So the user's `rollingUpdate` stays beside OnDelete (Kubernetes
 * accepts it and ignores it for OnDelete), and a tag pinned to the old version is set to the target.
 */
export function holdSets(
  values: Record<string, unknown>,
  from: { version: string; revision: string },
  to: { version: string; revision: string },
): [string, string][] {
  const set: [string, string][] = [['updateStrategy.type', 'OnDelete']];
  if (values.revision === from.revision) set.push(['revision', to.revision]);
  if (values.tag === from.version) set.push(['tag', to.version]);
  const g = values.global as Record<string, unknown> | undefined;
  if (g && typeof g === 'object' && g.tag === from.version) set.push(['global.tag', to.version]);
  return set;
}

/** What the bot's held upgrade records in the release's history (`helm upgrade --description`): a
 * revision carrying it holds the bot's OnDelete, never the user's own strategy. */
export const HOLD_DESCRIPTION = 'istio-upgrade-bot: held at OnDelete for node waves (ADR 20)';

/**
 * The revision whose values are the user's own: the newest one that is not the bot's hold (its
 * description) and did not fail or stay pending (a failed held upgrade's description is helm's error,
 * and its values are the hold's). null: none (then the current values are taken).
 */
export function userRevision(history: HistoryEntry[]): number | null {
  const h = [...history].sort((a, b) => b.revision - a.revision);
  const mine = h.find(
    (e) => e.description !== HOLD_DESCRIPTION && e.status !== 'failed' && !e.status.startsWith('pending'),
  );
  return mine?.revision ?? null;
}

export class AgentReleases {
  constructor(private readonly helm: Helm) {}

  /** Refuses (before anything moves) a target chart that cannot hold its DaemonSet. */
  async checkHoldable(releases: AgentRelease[], version: string, signal?: AbortSignal): Promise<void> {
    const cannot: string[] = [];
    for (const r of releases)
      if (!holdsUpdateStrategy(await this.helm.showValues(CHART[r.agent], version, signal)))
        cannot.push(`${CHART[r.agent]} ${version}`);
    if (cannot.length)
      throw new CodedError(
        ErrorCode.HelmFailed,
        `The chart${cannot.length > 1 ? 's' : ''} ${cannot.join(', ')} ha${cannot.length > 1 ? 've' : 's'} no updateStrategy value: the bot cannot hold the DaemonSet at OnDelete, so helm upgrade would replace every node's pod at once instead of in node waves. Upgrade these agents by hand with helm upgrade (https://istio.io/latest/docs/ambient/upgrade/helm/).`,
        { charts: cannot },
      );
  }

  /**
   * Each release's `updateStrategy` as its user gave it, read from helm's own history: the values of
   * the newest revision that is not the bot's hold (userRevision). Changes nothing; gives the same
   * answer before the held upgrade, after it, and after a crash between the two.
   */
  async userStrategies(
    releases: AgentRelease[],
    namespace: string,
    signal?: AbortSignal,
  ): Promise<AgentHold[]> {
    const out: AgentHold[] = [];
    for (const r of releases) {
      const history = await this.helm.history(r.release, namespace, signal);
      if (history.length === 0)
        throw new CodedError(ErrorCode.HelmFailed, `helm release ${r.release} in ${namespace} is gone`);
      const rev = userRevision(history);
      const latest = history[history.length - 1]!.revision;
      const values = await this.helm.values(
        r.release,
        namespace,
        signal,
        rev === null || rev === latest ? undefined : rev,
      );
      const strategy = values.updateStrategy as Record<string, unknown> | undefined | null;
      out.push({ ...r, userStrategy: strategy ?? null });
    }
    return out;
  }

  /**
   * The held upgrade of each release; idempotent (a release at `to` whose newest revision is the
   * bot's deployed hold is not upgraded again). The holds returned are `prior`'s where it has the
   * release (never re-read); otherwise read by userStrategies before the release is changed.
   */
  async upgrade(
    releases: AgentRelease[],
    namespace: string,
    from: { version: string; revision: string },
    to: { version: string; revision: string },
    prior: AgentHold[] | undefined,
    signal?: AbortSignal,
  ): Promise<AgentHold[]> {
    const holds: AgentHold[] = [];
    for (const r of releases) {
      const before = prior?.find((h) => h.release === r.release && h.agent === r.agent);
      holds.push(before ?? (await this.userStrategies([r], namespace, signal))[0]!);
      const history = await this.helm.history(r.release, namespace, signal);
      const last = history[history.length - 1];
      if (!last)
        throw new CodedError(ErrorCode.HelmFailed, `helm release ${r.release} in ${namespace} is gone`);
      const held =
        last.chartVersion === to.version &&
        last.description === HOLD_DESCRIPTION &&
        last.status === 'deployed';
      if (held) continue;
      const values = await this.helm.values(r.release, namespace, signal);
      await this.helm.upgrade(
        r.release,
        CHART[r.agent],
        to.version,
        namespace,
        holdSets(values, from, to),
        signal,
        { description: HOLD_DESCRIPTION },
      );
    }
    return holds;
  }

  /** Gives the DaemonSets their update strategy back (the user's value, or the chart's default). */
  async releaseHold(
    holds: AgentHold[],
    namespace: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const h of holds) {
      const values = await this.helm.values(h.release, namespace, signal);
      const now = values.updateStrategy as Record<string, unknown> | undefined;
      if (JSON.stringify(now ?? null) === JSON.stringify(h.userStrategy)) continue;
      const set = h.userStrategy
        ? flatten('updateStrategy', h.userStrategy)
        : [['updateStrategy', 'null'] as [string, string]];
      await this.helm.upgrade(h.release, CHART[h.agent], version, namespace, set, signal);
    }
  }

  /** Each release back to its revision before `version` (none: already back). */
  async rollback(
    releases: AgentRelease[],
    namespace: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const r of [...releases].reverse()) {
      const back = revisionBefore(await this.helm.history(r.release, namespace, signal), version);
      if (back !== null) await this.helm.rollback(r.release, back, namespace, signal);
    }
  }
}
