// An istiod installed by istioctl carries the charts' `app.kubernetes.io/managed-by: Helm` label (the
// labels below are those of istioctl 1.25.3's `manifest generate --set revision=1-25-3`): it is NOT a
// Helm release. Only Helm's annotations (or an old Helm's release Secret) say Helm.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/cluster/install-kind/classify.js';

const ISTIOCTL_125_LABELS = {
  app: 'istiod',
  'app.kubernetes.io/instance': 'istio',
  'app.kubernetes.io/managed-by': 'Helm',
  'app.kubernetes.io/name': 'istiod',
  'app.kubernetes.io/part-of': 'istio',
  'app.kubernetes.io/version': '1.0.0',
  'helm.sh/chart': 'istiod-1.0.0',
  'install.operator.istio.io/owning-resource': 'unknown',
  istio: 'istiod',
  'istio.io/rev': '1-25-3',
  'operator.istio.io/component': 'Pilot',
  release: 'istio',
};
const dep = (annotations: Record<string, string> = {}): V1Deployment => ({
  metadata: { name: 'istiod-1-25-3', namespace: 'istio-system', labels: ISTIOCTL_125_LABELS, annotations },
});

describe('installer of an istiod rendered from the charts', () => {
  it('istioctl install (labels say Helm, no Helm annotation, no release Secret) → istioctl', () => {
    expect(classify(dep(), 'istio-system', [])).toMatchObject({ revision: '1-25-3', installer: 'istioctl' });
  });
  it('helm install (annotated) → helm, with its release', () => {
    const d = dep({
      'meta.helm.sh/release-name': 'istiod-1-25-3',
      'meta.helm.sh/release-namespace': 'istio-system',
    });
    expect(classify(d, 'istio-system', [])).toMatchObject({
      installer: 'helm',
      release: { name: 'istiod-1-25-3', namespace: 'istio-system' },
    });
  });
  it('an old Helm without annotations counts only when its release Secret exists', () => {
    const rel = { name: 'istio', namespace: 'istio-system', status: 'deployed', version: 3 };
    expect(classify(dep(), 'istio-system', [rel])).toMatchObject({ installer: 'helm', release: rel });
  });
});
