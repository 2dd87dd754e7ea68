/**
 * ControlPlaneInstaller and RevisionTagger: istioctl of the right version for the change, the
 * Kubernetes API to verify what it left behind.
 */
import type { ControlPlaneInstaller, PrecheckFinding, RevisionTagger } from '../engine/ports.js';
import { CodedError, ErrorCode } from '../errors.js';
import { sleep } from './cancel.js';
import type { Istioctl } from './istioctl/istioctl.js';
import type { IstioctlLocator } from './istioctl/locate.js';
import type { KubeClient } from './kube/client.js';
import type { KubeMeshInspector } from './kube/inspector.js';
import { deploymentStatus } from './kube/rollout-status.js';
import { versionsFor } from './proxy-status/istioctl.js';

export interface InstallerOptions {
  istioNamespace?: string;
  /** IstioOperator overlay passed as `-f` to every install. */
  overlay?: string | undefined;
}

/** Names of the objects `istioctl install --set revision=R` creates (default revision: no suffix). */
export function revisionObjects(revision: string): { deployment: string; service: string; injector: string } {
  const sfx = revision === 'default' ? '' : `-${revision}`;
  return { deployment: `istiod${sfx}`, service: `istiod${sfx}`, injector: `istio-sidecar-injector${sfx}` };
}

export class IstioControlPlane implements ControlPlaneInstaller, RevisionTagger {
  private readonly ns: string;
  constructor(
    private readonly istioctl: Istioctl,
    private readonly locator: IstioctlLocator,
    private readonly client: KubeClient,
    private readonly inspector: KubeMeshInspector,
    private readonly o: InstallerOptions = {},
  ) {
    this.ns = o.istioNamespace ?? 'istio-system';
  }

  /** Throws istioctl_missing (a precheck failure the thread shows) when the version's istioctl is absent. */
  async precheck(version: string, signal?: AbortSignal): Promise<PrecheckFinding[]> {
    return this.istioctl.precheck(version, signal);
  }

  /** Cancelled: istioctl's process group is stopped (SIGTERM, then SIGKILL) before this rejects. */
  async install(version: string, revision: string, signal?: AbortSignal): Promise<void> {
    await this.istioctl.install(version, revision, this.o.overlay, signal);
  }

  async verify(revision: string, signal?: AbortSignal): Promise<void> {
    const names = revisionObjects(revision);
    const [dep, svc, mwc] = await Promise.all([
      this.client.requestOrNull(
        `read Deployment ${this.ns}/${names.deployment}`,
        (o) => this.client.apps.readNamespacedDeployment({ name: names.deployment, namespace: this.ns }, o),
        { signal },
      ),
      this.client.requestOrNull(
        `read Service ${this.ns}/${names.service}`,
        (o) => this.client.core.readNamespacedService({ name: names.service, namespace: this.ns }, o),
        { signal },
      ),
      this.client.requestOrNull(
        `read MutatingWebhookConfiguration ${names.injector}`,
        (o) => this.client.admission.readMutatingWebhookConfiguration({ name: names.injector }, o),
        { signal },
      ),
    ]);
    const problems: string[] = [];
    if (!dep) problems.push(`Deployment ${this.ns}/${names.deployment} is missing`);
    else {
      const s = deploymentStatus(dep);
      if (!s.done || (dep.status?.availableReplicas ?? 0) < 1) {
        problems.push(`Deployment ${this.ns}/${names.deployment} is not available (${s.error ?? s.message})`);
      }
    }
    if (!svc) problems.push(`Service ${this.ns}/${names.service} is missing`);
    if (!mwc) problems.push(`MutatingWebhookConfiguration ${names.injector} is missing`);
    if (problems.length > 0) {
      throw new CodedError(
        ErrorCode.VerifyFailed,
        `control plane ${revision} is not ready: ${problems.join('; ')}`,
        {
          revision,
          problems,
        },
      );
    }
  }

  /** Resolves when istioctl is done and the revision's istiod Deployment is gone (≤ 2 min more). */
  async uninstall(version: string, revision: string, signal?: AbortSignal): Promise<void> {
    await this.istioctl.uninstall(version, revision, signal);
    const name = revisionObjects(revision).deployment;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const d = await this.client.requestOrNull(
        `read Deployment ${this.ns}/${name}`,
        (o) => this.client.apps.readNamespacedDeployment({ name, namespace: this.ns }, o),
        { signal },
      );
      if (!d) return;
      await sleep(500, signal);
    }
    throw new CodedError(
      ErrorCode.IstioctlFailed,
      `istioctl uninstall ran, but Deployment ${this.ns}/${name} is still there`,
      {
        revision,
      },
    );
  }

  /** `tag set --overwrite -y` with the istioctl of the revision's version (or the newest present). */
  async setTag(tag: string, revision: string, signal?: AbortSignal): Promise<void> {
    await this.istioctl.tagSet(await this.versionFor(revision, signal), tag, revision, signal);
  }

  async removeTag(tag: string, signal?: AbortSignal): Promise<void> {
    const current = (await this.inspector.tags(signal)).find((t) => t.tag === tag);
    if (!current) return; // already gone: nothing to do
    await this.istioctl.tagRemove(await this.versionFor(current.revision, signal), tag, signal);
  }

  private async versionFor(revision: string, signal?: AbortSignal): Promise<string> {
    const m = await versionsFor([revision], this.inspector, this.locator, signal);
    const v = [...m.keys()][0];
    if (!v) {
      throw new CodedError(ErrorCode.IstioctlMissing, `no istioctl available for revision ${revision}`, {
        revision,
      });
    }
    return v;
  }
}
