// The one place that chooses the installer (src/engine/installers.ts): an upgrade of a Helm-managed
// istiod drives the cluster's Helm ports for install, tags and gateways, everything else as is; an
// istioctl record the cluster's own; a Helm record on a cluster without the Helm path stops clearly.
import { describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { portsFor } from '../../src/engine/installers.js';
import type { ClusterPorts, HelmControlPlanes } from '../../src/engine/ports.js';
import { StepFailure } from '../../src/engine/runtime.js';

const port = (name: string) => ({ name }) as never;
const base = {
  inspector: port('inspector'),
  installer: port('istioctl installer'),
  tagger: port('istioctl tagger'),
  mover: port('mover'),
  gateways: port('kube gateways'),
  installedGateways: port('installed gateways'),
  restarter: port('restarter'),
  proxyStatus: port('proxy status'),
} as ClusterPorts;
const from = { version: '1.25.3', revision: '1-25-3' };
const to = { version: '1.26.3', revision: '1-26-3' };
const rec = (installer?: UpgradeRecord['installer']) =>
  ({ id: 'up-1', from, to, ...(installer ? { installer } : {}) }) as UpgradeRecord;
const HELM = { kind: 'helm' as const, namespace: 'istio-system', istiod: 'istiod' };

describe('portsFor', () => {
  it('an istioctl record: the cluster’s ports, unchanged', () => {
    expect(portsFor(base, rec())).toBe(base);
  });

  it('a Helm record: installer, tagger and gateways of the Helm path for this upgrade; the rest the cluster’s', () => {
    const asked: unknown[] = [];
    const helm: HelmControlPlanes = {
      forUpgrade: (...args) => {
        asked.push(args);
        return {
          installer: port('helm installer'),
          tagger: port('helm tagger'),
          gateways: port('helm gateways'),
        };
      },
    };
    const got = portsFor({ ...base, helm }, rec(HELM));
    expect(asked).toEqual([[HELM, from, to]]);
    expect(got).toMatchObject({
      installer: { name: 'helm installer' },
      tagger: { name: 'helm tagger' },
      gateways: { name: 'helm gateways' },
      mover: { name: 'mover' },
      restarter: { name: 'restarter' },
      installedGateways: { name: 'installed gateways' },
    });
  });

  it('a Helm record on a cluster without the Helm path: a step failure that says so', () => {
    expect(() => portsFor(base, rec(HELM))).toThrow(StepFailure);
    expect(() => portsFor(base, rec(HELM))).toThrow(
      /up-1 drives a Helm-managed control plane \(release istiod in istio-system\), but this cluster has no Helm adapter/,
    );
  });
});
