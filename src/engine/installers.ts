/**
 * Which installer an upgrade drives: the one selection point between the istioctl path and the Helm
 * canary path. A record with `installer.kind === 'helm'` gets the cluster's Helm ports in place of
 * `installer`, `tagger` and `gateways`; the steps are the same for both.
 */
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { ClusterPorts } from './ports.js';
import { StepFailure } from './runtime.js';

export function portsFor(ports: ClusterPorts, record: UpgradeRecord): ClusterPorts {
  const h = record.installer;
  if (h?.kind !== 'helm') return ports;
  if (!ports.helm)
    throw new StepFailure(
      'helm_failed',
      `${record.id} drives a Helm-managed control plane (release ${h.istiod} in ${h.namespace}), but this cluster has no Helm adapter`,
    );
  return { ...ports, ...ports.helm.forUpgrade(h, record.from, record.to) };
}
