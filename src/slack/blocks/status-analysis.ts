/**
 * The traffic analysis in `/istio status ID` (issue 13): which spec gates the waves, each analysed
 * wave's verdict with its short reason, the control-plane gate's rows of wave 1, and a start that
 * progressive mode scheduled. Pure.
 */
import type { WaveAnalysisResult } from '../../domain/upgrade/analysis.js';
import { autoStartTarget } from '../../domain/upgrade/progressive.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { analysisRows } from './analysis.js';
import { hhmm } from './progressive.js';
import { clip, esc } from './text.js';

const ICON: Record<WaveAnalysisResult['verdict'], string> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  inconclusive: ':grey_question:',
};

const secs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

/** The lines of the status' analysis section, or none when the upgrade has no analysis. */
export function statusAnalysisLines(r: UpgradeRecord, now = Date.now()): string[] {
  const spec = r.analysis;
  if (!spec) return [];
  const mode = r.progressive
    ? `; progressive (${r.progressive.source === 'command' ? '`--auto`' : 'policy'}): next wave ${secs(r.progressive.bakeMs)} after a passed analysis`
    : '';
  const lines = [
    `*Traffic analysis* \`${esc(spec.name)}\`: ${spec.count} check(s) ${secs(spec.intervalMs)} apart, ${spec.failureLimit} failure(s) tolerated, on failure ${spec.onFailure}${spec.controlPlane ? ', control-plane gate in wave 1' : ''}${mode}`,
  ];
  for (const w of r.waves) {
    const a = w.analysis;
    if (!a) continue;
    lines.push(`${ICON[a.verdict]} Wave ${w.index}: *${a.verdict}* — ${esc(clip(a.reason, 200))}`);
    const cp = analysisRows({
      ...a,
      measurements: a.measurements.filter((m) => m.target.startsWith('istiod ')),
    });
    if (cp.length) lines.push(`\`\`\`${cp.map(esc).join('\n')}\`\`\``);
  }
  if (r.autoStart) {
    const what = autoStartTarget(r.autoStart);
    lines.push(
      `:fast_forward: ${what.charAt(0).toUpperCase()}${what.slice(1)} starts at ${hhmm(r.autoStart.at, now)} without approval (${esc(r.autoStart.reason)})${r.autoStart.deferred ? `, waiting for the change window` : ''}`,
    );
  }
  return lines;
}
