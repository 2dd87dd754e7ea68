/** Proxy-status texts → one summary per side → diff + the summary kept on the wave. */
import { diffSummaries, parseProxyStatus } from '../../domain/proxystatus/index.js';
import type { ProxyDiff, Snapshot } from '../../domain/proxystatus/model.js';
import { summarize } from '../../domain/proxystatus/summary.js';
import type { DiffSummary } from '../../domain/upgrade/record.js';
import type { Baseline } from './baseline.js';

/** The texts parsed into one snapshot (a proxy listed by two texts counts once), with what failed. */
function merge(texts: string[], side: string, problems: string[]): Snapshot {
  const snap: Snapshot = { format: 'table-1.14', proxies: [] };
  const seen = new Set<string>();
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
    // only proxies an earlier text listed are dropped (a text's own repeats are kept, as they were)
    const from = snap.proxies.length;
    for (const p of res.snapshot.proxies) if (!seen.has(`${p.pod}.${p.namespace}`)) snap.proxies.push(p);
    for (let j = from; j < snap.proxies.length; j++) {
      const p = snap.proxies[j]!;
      seen.add(`${p.pod}.${p.namespace}`);
    }
  }
  return snap;
}

/** One side's texts as the diff reads them. */
export function mergedSummary(texts: string[], side: 'before' | 'after'): Baseline {
  const problems: string[] = [];
  return { summary: summarize(merge(texts, side, problems).proxies), problems };
}

/** Each side: its raw texts, or already read (a stored baseline, mergedSummary). */
export function diffTexts(before: Baseline | string[], after: Baseline | string[]) {
  const b = Array.isArray(before) ? mergedSummary(before, 'before') : before;
  const a = Array.isArray(after) ? mergedSummary(after, 'after') : after;
  const problems = [...b.problems, ...a.problems];
  const diff: ProxyDiff = diffSummaries(b.summary, a.summary);
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
