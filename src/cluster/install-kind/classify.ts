/**
 * Which installer owns an istiod Deployment, from its metadata and the Helm release Secrets.
 *
 * Helm marks what it installs with the annotations `meta.helm.sh/release-name`/`-namespace`. The Istio
 * charts label their objects `app.kubernetes.io/managed-by: Helm` whoever renders them (istioctl too),
 * and carry istioctl's labels (`operator.istio.io/component`, `install.operator.istio.io/owning-resource`)
 * under Helm too: only the annotations (or, for old Helm, a release Secret) say Helm.
 */
import type { V1DaemonSet, V1Deployment, V1Secret } from '@kubernetes/client-node';
import type { HelmRelease, RevisionInstall } from '../../domain/upgrade/installation.js';

export const RELEASE_NAME = 'meta.helm.sh/release-name';
export const RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const ISTIOCTL_LABELS = ['operator.istio.io/component', 'install.operator.istio.io/owning-resource'];
export const RELEASE_SECRET_PREFIX = 'sh.helm.release.v1.';
export const RELEASE_SECRET_TYPE = 'helm.sh/release.v1';

/** The newest version of each release among Helm's release Secrets (`sh.helm.release.v1.<name>.v<N>`). */
export function helmReleases(secrets: V1Secret[], namespace: string): HelmRelease[] {
  const newest = new Map<string, HelmRelease>();
  for (const s of secrets) {
    const md = s.metadata;
    if (!md?.name?.startsWith(RELEASE_SECRET_PREFIX) || s.type !== RELEASE_SECRET_TYPE) continue;
    if (md.deletionTimestamp) continue;
    const fromName = /^sh\.helm\.release\.v1\.(.+)\.v(\d+)$/.exec(md.name);
    const name = md.labels?.name ?? fromName?.[1];
    if (!name) continue;
    const version = Number(md.labels?.version ?? fromName?.[2]);
    const rel: HelmRelease = {
      name,
      namespace: md.namespace ?? namespace,
      status: md.labels?.status ?? 'unknown',
      version: Number.isFinite(version) ? version : null,
    };
    const prev = newest.get(name);
    if (!prev || (rel.version ?? 0) > (prev.version ?? 0)) newest.set(name, rel);
  }
  return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The Helm release a Deployment belongs to, if Helm installed it. Helm 3.2+ annotates everything it
 * installs (`meta.helm.sh/release-name`); that is the mark. The label `app.kubernetes.io/managed-by:
 * Helm` is NOT: istioctl renders the same charts and its objects carry it too (seen on istioctl
 * 1.25.3's istiod). Without the annotation (older Helm), only a release Secret named by the charts'
 * `release` label counts.
 */
export function helmOwner(
  d: V1Deployment,
  istioNamespace: string,
  releases: HelmRelease[] = [],
): { name: string; namespace: string } | null {
  const md = d.metadata;
  const ann = md?.annotations ?? {};
  const labels = md?.labels ?? {};
  const annotated = ann[RELEASE_NAME];
  if (annotated)
    return { name: annotated, namespace: ann[RELEASE_NAMESPACE] ?? md?.namespace ?? istioNamespace };
  if (labels[MANAGED_BY] !== 'Helm' || !labels.release) return null;
  const ns = md?.namespace ?? istioNamespace;
  const rel = releases.find((r) => r.name === labels.release && r.namespace === ns);
  return rel ? { name: rel.name, namespace: rel.namespace } : null;
}

/** One istiod Deployment's revision and installer; `releases` are the release Secrets read. */
export function classify(d: V1Deployment, istioNamespace: string, releases: HelmRelease[]): RevisionInstall {
  const md = d.metadata;
  const revision = md?.labels?.['istio.io/rev'] || 'default';
  const deployment = md?.name ?? `istiod${revision === 'default' ? '' : `-${revision}`}`;
  const owner = helmOwner(d, istioNamespace, releases);
  if (owner) {
    const found = releases.find((r) => r.name === owner.name && r.namespace === owner.namespace);
    return {
      revision,
      deployment,
      installer: 'helm',
      release: found ?? { ...owner, status: null, version: null },
    };
  }
  const labels = md?.labels ?? {};
  const istioctl = ISTIOCTL_LABELS.some((k) => labels[k] !== undefined);
  return { revision, deployment, installer: istioctl ? 'istioctl' : 'unknown' };
}

/**
 * The Istio data-plane agent a DaemonSet runs, by its labels or its pod selector: the ztunnel chart
 * labels the DaemonSet `app.kubernetes.io/name: ztunnel` and selects pods `app: ztunnel`; istio-cni's
 * chart labels it `k8s-app: istio-cni-node`.
 */
export function agentOf(d: V1DaemonSet): 'ztunnel' | 'cni' | null {
  const labels = d.metadata?.labels ?? {};
  const selector = d.spec?.selector?.matchLabels ?? {};
  if (
    labels.app === 'ztunnel' ||
    labels['app.kubernetes.io/name'] === 'ztunnel' ||
    selector.app === 'ztunnel'
  )
    return 'ztunnel';
  if (labels['k8s-app'] === 'istio-cni-node' || selector['k8s-app'] === 'istio-cni-node') return 'cni';
  return null;
}
