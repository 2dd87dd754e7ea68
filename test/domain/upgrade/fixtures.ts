import type { UpgradeRecord } from '../../../src/domain/upgrade/record.js';

export const AT = '2026-01-01T00:00:00.000Z';

export function rec(over: Partial<UpgradeRecord> = {}): UpgradeRecord {
  return {
    id: 'up-7k3q',
    cluster: 'prod',
    from: { version: '1.23.1', revision: '1-23-1' },
    to: { version: '1.24.2', revision: '1-24-2' },
    move: 'upgrade',
    strategy: 'labels',
    waves: [
      { index: 1, namespaces: ['a'], status: 'pending' },
      { index: 2, namespaces: ['b', 'c'], status: 'pending' },
    ],
    dryRun: false,
    requester: 'U1',
    channel: 'C1',
    state: 'running',
    step: 'plan',
    decisions: [],
    compensations: [],
    messages: {},
    audit: [],
    createdAt: AT,
    updatedAt: AT,
    rev: 1,
    seq: 1,
    ...over,
  };
}
