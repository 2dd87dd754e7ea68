/** Proxy-status texts → one snapshot per side → diff + the summary kept on the wave. */
import { diffSnapshots, parseProxyStatus } from '../../domain/proxystatus/index.js';
import type { ProxyDiff, Snapshot } from '../../domain/proxystatus/model.js';
import type { DiffSummary } from '../../domain/upgrade/record.js';

function merge(texts: string[], side: string, problems: string[]): Snapshot {
  const snap: Snapshot = { format: 'table-1.14', proxies: [] };
  for (const [i, t] of texts.entries()) {
    if (t.trim() === '') continue;
    const res = parseProxyStatus(t);
    if (!res.ok) {
      problems.push(
        `proxy-status ${side} #${i + 1} not understood: ${res.error.code} ${res.error.message} (line ${res.error.line})`,
      );
      continue;
    }
    snap.format = res.snapshot.format;
    const seen = new Set(snap.proxies.map((p) => `${p.pod}.${p.namespace}`));
    for (const p of res.snapshot.proxies) if (!seen.has(`${p.pod}.${p.namespace}`)) snap.proxies.push(p);
  }
  return snap;
}

export function diffTexts(before: string[], after: string[]) {
  const problems: string[] = [];
  const diff: ProxyDiff = diffSnapshots(merge(before, 'before', problems), merge(after, 'after', problems));
  const summary: DiffSummary = {
    moved: diff.moved.length,
    partial: diff.partial.length,
    unchanged: diff.unchanged.length,
    added: diff.added.length,
    removed: diff.removed.length,
    notSynced: diff.notSynced.length,
    before: diff.before,
    after: diff.after,
  };
  return { summary, diff, problems };
}
