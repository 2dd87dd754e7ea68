/**
 * The Helm canary path (istio.io docs/setup/upgrade/helm, "Canary upgrade"), behind the engine's
 * `HelmControlPlanes` port: for one upgrade, a ControlPlaneInstaller, RevisionTagger and GatewayMover
 * in Helm terms. Every change first reads what Helm has (`helm list`, `helm get values`, `helm
 * history`), so a re-run after a crash does nothing twice.
 */

import type { HelmInstallation } from '../../domain/upgrade/record.js';
import { compareVersions, parseVersion } from '../../domain/version.js';
import type {
  ControlPlaneInstaller,
  GatewayMover,
  HelmControlPlanes,
  PrecheckFinding,
  RevisionTagger,
  WorkloadRef,
} from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { IstioControlPlane } from '../control-plane.js';
import { carriedValues, type ReleaseInfo, revisionBefore } from './commands.js';
import type { Helm } from './helm.js';

type Side = { version: string; revision: string };

/** `version` is older than the chart `release` runs now (a downgrade of that release). */
function olderThan(version: string, release: ReleaseInfo): boolean {
  const a = parseVersion(version);
  const b = parseVersion(release.chartVersion);
  return a.ok && b.ok && compareVersions(a.value, b.value) < 0;
}

/** The canary's istiod release, as the docs name it: `istiod-<rev>`. */
export const canaryRelease = (revision: string): string => `istiod-${revision}`;

export class HelmIstio implements HelmControlPlanes {
  constructor(
    private readonly helm: Helm,
    /** The istioctl path, for what Helm does not do: precheck, verify, revision tags. */
    private readonly istioctl: IstioControlPlane,
    /** Injected gateway Deployments by label (the istioctl path's mover): the rest, and the check. */
    private readonly kubeGateways: GatewayMover,
    private readonly logger?: Logger,
  ) {}

  forUpgrade(installation: HelmInstallation, from: Side, to: Side) {
    const c = new HelmCanary(
      this.helm,
      this.istioctl,
      this.kubeGateways,
      installation,
      from,
      to,
      this.logger,
    );
    return { installer: c, tagger: c, gateways: c };
  }
}

export class HelmCanary implements ControlPlaneInstaller, RevisionTagger, GatewayMover {
  private readonly ns: string;
  constructor(
    private readonly helm: Helm,
    private readonly istioctl: IstioControlPlane,
    private readonly kubeGateways: GatewayMover,
    private readonly installation: HelmInstallation,
    private readonly from: Side,
    private readonly to: Side,
    private readonly logger?: Logger,
  ) {
    this.ns = installation.namespace;
  }

  /** The docs' first step too: `istioctl x precheck` with the target version's istioctl. */
  precheck(version: string, signal?: AbortSignal): Promise<PrecheckFinding[]> {
    return this.istioctl.precheck(version, signal);
  }

  /** The `base` chart's release in the Istio namespace (null: the CRDs are managed elsewhere). */
  private async base(signal?: AbortSignal): Promise<ReleaseInfo | null> {
    const all = await this.helm.list(this.ns, signal);
    return all.find((r) => r.chart === 'base') ?? null;
  }

  /** `helm upgrade <base> base --version V` (not for a downgrade: base stays at the newer version),
   * then `helm install istiod-<rev> istiod --version V -f <old istiod's values> --set revision=<rev>`.
   * Skips what is already there. */
  async install(version: string, revision: string, signal?: AbortSignal): Promise<void> {
    const old = await this.helm.values(this.installation.istiod, this.ns, signal);
    const owned = Array.isArray(old.revisionTags) ? old.revisionTags.map(String) : [];
    if (owned.length > 0)
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `the istiod release ${this.installation.istiod} in ${this.ns} owns the revision tag(s) ${owned.join(', ')} (its revisionTags value): they cannot move to ${revision} while that release owns them, and uninstalling it at the finish would delete them. Recreate them outside the release first (\`istioctl tag set <tag> --revision ${this.from.revision} --overwrite\` after \`helm upgrade ${this.installation.istiod} … --set revisionTags=null\`, ADR 14), then retry. Nothing was changed.`,
        { release: this.installation.istiod, revisionTags: owned },
      );
    const base = await this.base(signal);
    // a downgrade keeps base (its CRDs) at the newer version: the older chart would delete the CRDs it
    // does not know, and every resource of theirs (e.g. 1.25.3 has no trafficextensions); the older
    // istiod reads the newer CRDs, which still serve every version it asks for
    if (base && !(base.chartVersion === version && base.status === 'deployed') && !olderThan(version, base))
      await this.helm.upgrade(base.name, 'base', version, this.ns, [], signal);
    const name = canaryRelease(revision);
    const current = await this.helm.release(name, this.ns, signal);
    if (current?.status === 'deployed' && current.chartVersion === version) return;
    // an install cut off half-way (pending-install, failed): start it again
    if (current) await this.helm.uninstall(name, this.ns, signal);
    const values = carriedValues(old, this.from.version);
    await this.helm.install(
      name,
      'istiod',
      version,
      this.ns,
      { values, set: [['revision', revision]] },
      signal,
    );
  }

  /** The same checks as the istioctl path: Deployment available, Service and injector webhook there. */
  verify(revision: string, signal?: AbortSignal): Promise<void> {
    return this.istioctl.verify(revision, signal);
  }

  /**
   * The canary (rollback): `helm uninstall istiod-<rev>`, then the `base` release rolled back to
   * its revision before the upgrade. The old revision (finish): `helm uninstall` of its release.
   */
  async uninstall(_version: string, revision: string, signal?: AbortSignal): Promise<void> {
    if (revision !== this.to.revision) {
      const release = revision === this.from.revision ? this.installation.istiod : canaryRelease(revision);
      await this.helm.uninstall(release, this.ns, signal);
      return;
    }
    await this.helm.uninstall(canaryRelease(revision), this.ns, signal);
    const base = await this.base(signal);
    if (!base) return;
    const back = revisionBefore(await this.helm.history(base.name, this.ns, signal), this.to.version);
    if (back !== null) await this.helm.rollback(base.name, back, this.ns, signal);
  }

  /** `istioctl tag set` (ADR 14); `default` also makes `revision` the base chart's `defaultRevision`
   * (its `istiod-default-validator`), as the docs' last step does. */
  async setTag(tag: string, revision: string, signal?: AbortSignal): Promise<void> {
    await this.istioctl.setTag(tag, revision, signal);
    if (tag !== 'default') return;
    const base = await this.base(signal);
    if (!base) return;
    const values = await this.helm.values(base.name, this.ns, signal);
    if (values.defaultRevision === revision && base.status === 'deployed') return;
    await this.helm.upgrade(
      base.name,
      'base',
      base.chartVersion,
      this.ns,
      [['defaultRevision', revision]],
      signal,
    );
  }

  removeTag(tag: string, signal?: AbortSignal): Promise<void> {
    return this.istioctl.removeTag(tag, signal);
  }

  /**
   * The `gateway` chart's releases of this mesh, upgraded in place (docs: "upgrade the gateway in
   * place"): to the canary, `helm upgrade --version <to> --set revision=<to rev>` of each release on
   * the old revision; back, `helm rollback` of each to its revision before the upgrade. helm waits
   * for each rollout (`--wait`). Then the istioctl path's mover: injected gateways that are not
   * `gateway` chart releases move by their label, and every gateway's pods are checked to run
   * `revision` (the Helm ones already carry it, so it does not touch them).
   */
  async moveGateways(revision: string, signal?: AbortSignal): Promise<WorkloadRef[]> {
    const releases = (await this.helm.list(null, signal)).filter((r) => r.chart === 'gateway');
    const moved: WorkloadRef[] = [];
    for (const r of releases) {
      const values = await this.helm.values(r.name, r.namespace, signal);
      const on = typeof values.revision === 'string' ? values.revision : '';
      const ref: WorkloadRef = {
        kind: 'Deployment',
        namespace: r.namespace,
        name: typeof values.name === 'string' && values.name ? values.name : r.name,
      };
      if (revision === this.to.revision) {
        if (on !== this.from.revision && on !== this.to.revision) continue; // not this upgrade's
        if (!(on === this.to.revision && r.chartVersion === this.to.version && r.status === 'deployed'))
          await this.helm.upgrade(
            r.name,
            'gateway',
            this.to.version,
            r.namespace,
            [['revision', revision]],
            signal,
          );
        moved.push(ref);
      } else {
        if (on !== this.to.revision && on !== revision) continue;
        const back = revisionBefore(await this.helm.history(r.name, r.namespace, signal), this.to.version);
        if (back !== null) await this.helm.rollback(r.name, back, r.namespace, signal);
        else if (on !== revision)
          await this.helm.upgrade(
            r.name,
            'gateway',
            this.from.version,
            r.namespace,
            [['revision', revision]],
            signal,
          );
        moved.push(ref);
      }
    }
    this.logger?.info(
      { revision, gateways: moved.map((g) => `${g.namespace}/${g.name}`) },
      'helm gateways moved',
    );
    const all = await this.kubeGateways.moveGateways(revision, signal);
    const key = (g: WorkloadRef) => `${g.namespace}/${g.name}`;
    return [...moved, ...all.filter((g) => !moved.some((m) => key(m) === key(g)))];
  }
}
