/**
 * Files the bot uploads into an upgrade's thread when a list or a diff does not fit in Block Kit: the
 * whole of it, as plain text or CSV, under a name the cut messages point at. Pure.
 */
import type { ProxyDiff } from '../../domain/proxystatus/model.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';

export interface ThreadFile {
  name: string;
  title: string;
  /** Text, or bytes (the PNG chart of a wave). */
  content: string | Buffer;
  /** The message the file is shared with (plain words). */
  comment: string;
}

export const planFileName = (r: UpgradeRecord) => `${r.id}-plan.csv`;
export const namespacesFileName = (r: UpgradeRecord, wave: number) => `${r.id}-wave-${wave}-namespaces.txt`;
export const diffFileName = (r: UpgradeRecord, wave: number) => `${r.id}-wave-${wave}-proxy-status-diff.txt`;

/** Every wave and namespace of the plan, one row each (a node wave's nodes as `node/<name>`, ADR 20). */
export function planFile(r: UpgradeRecord): ThreadFile {
  const rows = r.waves.flatMap((w) => [
    ...w.namespaces.map((n) => `${w.index},${n}`),
    ...(w.nodes ?? []).map((n) => `${w.index},node/${n}`),
  ]);
  const total = r.waves.reduce((n, w) => n + w.namespaces.length, 0);
  return {
    name: planFileName(r),
    title: `Plan of ${r.id}: ${r.waves.length} waves, ${total} namespaces`,
    content: `wave,namespace\n${rows.join('\n')}\n`,
    comment: `The whole plan of ${r.id}: ${r.waves.length} waves, ${total} namespaces (too many to show above).`,
  };
}

/** Every namespace of one wave, one per line. */
export function namespacesFile(r: UpgradeRecord, wave: number): ThreadFile {
  const ns = r.waves[wave - 1]?.namespaces ?? [];
  return {
    name: namespacesFileName(r, wave),
    title: `Wave ${wave} of ${r.id}: ${ns.length} namespaces`,
    content: `# wave ${wave} of ${r.id} (${r.cluster}): namespaces moved to ${r.to.revision}\n${ns.join('\n')}\n`,
    comment: `Every namespace of wave ${wave} (${ns.length}): what its approval moves to ${r.to.revision}.`,
  };
}

/** Every line of a wave's proxy-status diff. */
export function diffFile(r: UpgradeRecord, wave: number, d: ProxyDiff): ThreadFile {
  const lists: [string, string[]][] = [
    ['moved', d.moved.map((m) => `${m.namespace}/${m.workload} ${m.fromRevision} -> ${m.toRevision}`)],
    [
      'partial (some pods on each revision)',
      d.partial.map(
        (p) => `${p.namespace}/${p.workload} ${p.fromRevisions.join(',')} -> ${p.toRevisions.join(',')}`,
      ),
    ],
    ['not synced', d.notSynced.map((n) => `${n.namespace}/${n.pod} ${n.types.join(',') || 'not synced'}`)],
    ['added', d.added.map((u) => `${u.namespace}/${u.workload} on ${u.revision}`)],
    ['removed', d.removed.map((u) => `${u.namespace}/${u.workload} on ${u.revision}`)],
    ['unchanged', d.unchanged.map((u) => `${u.namespace}/${u.workload} on ${u.revision}`)],
  ];
  const revs = [...new Set([...Object.keys(d.before), ...Object.keys(d.after)])].sort();
  const body = [
    `# proxy-status diff after wave ${wave} of ${r.id} (${r.cluster}), ${r.from.revision} -> ${r.to.revision}`,
    '',
    'proxies per revision: before -> after',
    ...revs.map((x) => `  ${x}: ${d.before[x] ?? 0} -> ${d.after[x] ?? 0}`),
    ...lists.flatMap(([t, l]) => ['', `${t} (${l.length})`, ...l.map((x) => `  ${x}`)]),
  ];
  return {
    name: diffFileName(r, wave),
    title: `Proxy-status diff after wave ${wave} of ${r.id}`,
    content: `${body.join('\n')}\n`,
    comment: `The whole proxy-status diff after wave ${wave}: ${d.moved.length} moved, ${d.partial.length} partial, ${d.unchanged.length} unchanged, ${d.notSynced.length} not synced.`,
  };
}
