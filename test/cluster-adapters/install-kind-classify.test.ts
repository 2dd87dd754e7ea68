// The pure part of the install-kind adapter: which installer owns an istiod Deployment (Helm's marks
// win over the istioctl labels the Istio charts also carry) and the newest version of each Helm release.
import type { V1DaemonSet, V1Deployment, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { agentOf, classify, helmReleases } from '../../src/cluster/install-kind/classify.js';
import type { HelmRelease } from '../../src/domain/upgrade/installation.js';

const NS = 'istio-system';
const ISTIOCTL = {
  'operator.istio.io/component': 'Pilot',
  'install.operator.istio.io/owning-resource': 'unknown',
};
const dep = (
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  name = 'istiod-1-25-3',
): V1Deployment => ({
  metadata: { name, namespace: NS, labels: { app: 'istiod', ...labels }, annotations },
});
const secret = (
  name: string,
  labels: Record<string, string> = {},
  type = 'helm.sh/release.v1',
  ns = NS,
): V1Secret => ({
  metadata: { name, namespace: ns, labels },
  type,
});
const deployed = (name: string, version: number, ns = NS): HelmRelease => ({
  name,
  namespace: ns,
  status: 'deployed',
  version,
});

describe('classify', () => {
  const releases = [deployed('istiod-1-25-3', 2), deployed('istiod', 1, 'mesh')];
  it.each<[string, V1Deployment, object]>([
    [
      "Helm's annotations, with the istioctl labels the chart renders too",
      dep(
        { 'istio.io/rev': '1-25-3', ...ISTIOCTL },
        { 'meta.helm.sh/release-name': 'istiod-1-25-3', 'meta.helm.sh/release-namespace': NS },
      ),
      { revision: '1-25-3', installer: 'helm', release: deployed('istiod-1-25-3', 2) },
    ],
    [
      'a release in another namespace, found by its Secret there',
      dep(
        { 'istio.io/rev': '1-25-3' },
        { 'meta.helm.sh/release-name': 'istiod', 'meta.helm.sh/release-namespace': 'mesh' },
      ),
      { installer: 'helm', release: deployed('istiod', 1, 'mesh') },
    ],
    [
      "managed-by Helm without annotations: the chart's release label names the release",
      dep({
        'istio.io/rev': '1-25-3',
        'app.kubernetes.io/managed-by': 'Helm',
        release: 'istiod-1-25-3',
        ...ISTIOCTL,
      }),
      { installer: 'helm', release: deployed('istiod-1-25-3', 2) },
    ],
    [
      'a Helm mark whose release Secret is gone',
      dep({ 'istio.io/rev': 'x' }, { 'meta.helm.sh/release-name': 'gone' }, 'istiod-x'),
      {
        revision: 'x',
        installer: 'helm',
        release: { name: 'gone', namespace: NS, status: null, version: null },
      },
    ],
    ['istioctl labels alone', dep({ 'istio.io/rev': '1-25-3', ...ISTIOCTL }), { installer: 'istioctl' }],
    [
      'managed-by something else is not Helm',
      dep({ 'app.kubernetes.io/managed-by': 'argocd', ...ISTIOCTL }),
      { installer: 'istioctl' },
    ],
    ['no marks', dep({ 'istio.io/rev': '1-25-3' }), { installer: 'unknown' }],
    [
      'no revision label: default',
      dep(ISTIOCTL, {}, 'istiod'),
      { revision: 'default', deployment: 'istiod', installer: 'istioctl' },
    ],
  ])('%s', (_what, d, want) => {
    const got = classify(d, NS, releases);
    expect(got).toMatchObject(want);
    if ((want as { installer: string }).installer !== 'helm') expect(got.release).toBeUndefined();
  });
});

describe('helmReleases', () => {
  it('keeps the newest version of each release, ignores other Secrets, reads the name from the Secret name when unlabelled', () => {
    const got = helmReleases(
      [
        secret('sh.helm.release.v1.istiod-1-25-3.v1', {
          owner: 'helm',
          name: 'istiod-1-25-3',
          status: 'superseded',
          version: '1',
        }),
        secret('sh.helm.release.v1.istiod-1-25-3.v3', {
          owner: 'helm',
          name: 'istiod-1-25-3',
          status: 'deployed',
          version: '3',
        }),
        secret('sh.helm.release.v1.istiod-1-25-3.v2', {
          owner: 'helm',
          name: 'istiod-1-25-3',
          status: 'superseded',
          version: '2',
        }),
        secret('sh.helm.release.v1.istio-base.v1'),
        secret('sh.helm.release.v1.fake.v1', { owner: 'helm', name: 'fake' }, 'Opaque'),
        secret('istio-ca-secret', { owner: 'helm' }),
      ],
      NS,
    );
    expect(got).toEqual([
      { name: 'istio-base', namespace: NS, status: 'unknown', version: 1 },
      deployed('istiod-1-25-3', 3),
    ]);
  });
  it('no Secrets: no releases', () => {
    expect(helmReleases([], NS)).toEqual([]);
  });
});

describe('agentOf', () => {
  const ds = (labels: Record<string, string>, selector: Record<string, string> = {}): V1DaemonSet => ({
    metadata: { name: 'x', namespace: NS, labels },
    spec: { selector: { matchLabels: selector }, template: {} },
  });
  it.each<[string, V1DaemonSet, 'ztunnel' | 'cni' | null]>([
    [
      "the ztunnel chart's labels (app.kubernetes.io/name, pods app=ztunnel)",
      ds({ 'app.kubernetes.io/name': 'ztunnel' }, { app: 'ztunnel' }),
      'ztunnel',
    ],
    ['app=ztunnel on the DaemonSet', ds({ app: 'ztunnel' }), 'ztunnel'],
    ['only the pod selector', ds({}, { app: 'ztunnel' }), 'ztunnel'],
    [
      "istio-cni's chart",
      ds(
        { 'k8s-app': 'istio-cni-node', 'operator.istio.io/component': 'Cni' },
        { 'k8s-app': 'istio-cni-node' },
      ),
      'cni',
    ],
    ['another DaemonSet', ds({ app: 'fluentd' }, { app: 'fluentd' }), null],
  ])('%s → %s', (_what, d, want) => {
    expect(agentOf(d)).toBe(want);
  });
});
