/** Records and diffs for Slack-layer unit tests (plain data, no I/O). */
import type { ProxyDiff } from '../../src/domain/proxystatus/model.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';

export function record(over: Partial<UpgradeRecord> = {}): UpgradeRecord {
  const at = '2026-11-22T02:00:00.000Z';
  return {
    id: 'up-abcd',
    cluster: 'prod',
    from: { version: '1.23.1', revision: '1-23-1' },
    to: { version: '1.24.2', revision: '1-24-2' },
    move: 'upgrade',
    strategy: 'labels',
    waves: [
      { index: 1, namespaces: ['app-a'], status: 'done' },
      { index: 2, namespaces: ['app-b', 'app-c'], status: 'awaiting_approval' },
    ],
    dryRun: false,
    requester: 'U0ALICE',
    channel: 'C0OPS',
    state: 'awaiting_approval',
    step: 'await_wave_approval',
    currentWave: 2,
    approval: { step: 'await_wave_approval', wave: 2, nonce: 'n0nce2abcd', requestedAt: at, expiresAt: at },
    decisions: [],
    compensations: [],
    messages: {},
    audit: [],
    createdAt: at,
    updatedAt: at,
    rev: 1,
    ...over,
  };
}

/** A diff with `n` workloads in each list, names `len` characters long. */
export function bigDiff(n: number, len = 40): ProxyDiff {
  const name = (i: number) => `w${i}-${'x'.repeat(Math.max(0, len - String(i).length - 2))}`;
  const range = Array.from({ length: n }, (_, i) => i);
  return {
    before: { '1-23-1': n * 3 },
    after: { '1-23-1': n, '1-24-2': n * 2 },
    moved: range.map((i) => ({
      namespace: `ns-${i % 7}`,
      workload: name(i),
      fromRevision: '1-23-1',
      toRevision: '1-24-2',
      fromVersion: '1.23.1',
      toVersion: '1.24.2',
    })),
    partial: range.map((i) => ({
      namespace: `ns-${i % 7}`,
      workload: name(i),
      fromRevisions: ['1-23-1'],
      toRevisions: ['1-23-1', '1-24-2'],
    })),
    unchanged: range.map((i) => ({ namespace: `ns-${i % 7}`, workload: name(i), revision: '1-23-1' })),
    added: range.map((i) => ({ namespace: 'new', workload: name(i), revision: '1-24-2' })),
    removed: [],
    notSynced: range.map((i) => ({
      namespace: `ns-${i % 7}`,
      pod: `${name(i)}-7f6fc6cfd6-s8zfg`,
      types: ['CDS', 'EDS'],
    })),
  };
}
