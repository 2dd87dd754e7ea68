/**
 * STAND-IN CLUSTER helper: renders `istioctl proxy-status` (1.14–1.26 table format) for the pods
 * and gateways of the stand-in, one table per revision, padded like istioctl's tabwriter (≥ 5 spaces).
 */
import type { PodSidecar } from '../../src/engine/ports.js';
import type { StandinState } from './cluster-standin.js';

const HEADER = ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'];

function table(rows: string[][]): string {
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 5)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function proxyStatusTable(s: StandinState, pods: PodSidecar[], revision: string): string {
  const cp = s.controlPlanes.find((c) => c.revision === revision);
  if (!cp) return '';
  const istiod = `istiod-${revision === 'default' ? '' : `${revision}-`}7f6fc6cfd6-s8zfg`;
  const rows = [HEADER];
  const row = (id: string) => [
    id,
    'Kubernetes',
    'SYNCED',
    'SYNCED',
    'SYNCED',
    'SYNCED',
    'NOT SENT',
    istiod,
    cp.version,
  ];
  for (const g of s.gateways.filter((x) => x.revision === revision))
    rows.push(row(`${g.name}-6d9f8b7c4d-x2m4p.${g.namespace}`));
  for (const p of pods.filter((x) => x.revision === revision)) rows.push(row(`${p.pod}.${p.namespace}`));
  return table(rows);
}
