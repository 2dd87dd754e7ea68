/**
 * An ambient mesh in Slack (ADR 20): the plan's section on the node agents (releases, held upgrade,
 * ambient namespaces not restarted, waypoints), a node wave's line, approval text and `/istio status
 * --wave` facts, and the per-node ztunnel / istio-cni table posted after each node wave, where a
 * sidecar wave gets its proxy-status diff. Pure; within Block Kit limits.
 */

import type { NodeVersions } from '../../domain/upgrade/ambient/index.js';
import { notRestarted, renderNodeVersions } from '../../domain/upgrade/ambient/index.js';
import type { UpgradeRecord, Wave } from '../../domain/upgrade/record.js';
import { WAVE_ICON } from './labels.js';
import {
  type Block,
  clip,
  context,
  cutList,
  esc,
  LIMITS,
  mention,
  type SlackMessage,
  section,
} from './text.js';

const code = (s: string) => `\`${esc(s)}\``;
const list = (xs: string[], maxChars = 400, more = (n: number) => `+${n} more`) =>
  cutList(xs.map(code), { maxChars, more }).text.replace(/\n/g, ', ');
const nodesWord = (n: number) => `${n} node${n === 1 ? '' : 's'}`;

/** How many nodes run the target on every agent, from the table (null: no table yet). */
function atTarget(r: UpgradeRecord, rows: NodeVersions[] | undefined): string | null {
  if (!rows) return null;
  const n = rows.filter(
    (x) => x.ztunnel === r.to.version && (x.cni === r.to.version || x.cni === '—'),
  ).length;
  return `${n} of ${nodesWord(rows.length)} on ${esc(r.to.version)}`;
}

/** One node wave in the plan and `/istio status`. */
export function nodeWaveLine(r: UpgradeRecord, w: Wave, start?: string): string {
  const nodes = w.nodes ?? [];
  const more = (n: number) => `+${n} more: \`/istio status ${r.id} --wave ${w.index}\``;
  let line = `${WAVE_ICON[w.status]} *Wave ${w.index}* (node wave, ${nodesWord(nodes.length)}): ${list(nodes, 400, more)}`;
  if (start) line += ` · ${start}`;
  const why = [...new Set(Object.values(w.reasons ?? {}))];
  if (w.status === 'pending') {
    const cordon = w.cordon?.length ? `; cordoned while replaced: ${list(w.cordon, 200)}` : '';
    line += `\n      _ztunnel and istio-cni replaced on these nodes${why.length ? ` (${esc(clip(why.join('; '), 160))})` : ''}${cordon}_`;
  }
  if (w.progress && (w.status === 'running' || r.currentWave === w.index))
    line += `\n      nodes verified *${w.progress.ready}/${w.progress.total}*`;
  if (w.approvedBy) line += ` — approved by ${mention(w.approvedBy)}`;
  const at = atTarget(r, w.nodeVersions);
  if (at) line += ` — ${at}`;
  return line;
}

/** The plan's section on the ambient data plane (absent: no ztunnel to move). */
export function ambientText(r: UpgradeRecord): string | undefined {
  const a = r.ambient;
  if (!a) return undefined;
  const nodeWaves = r.waves.filter((w) => w.kind === 'nodes');
  const sidecarWaves = r.waves.filter((w) => w.kind !== 'nodes').map((w) => w.namespaces);
  const quiet = notRestarted(sidecarWaves, a.ambientNamespaces);
  const inWaves = a.ambientNamespaces.filter((n) => !quiet.includes(n));
  const cordon = nodeWaves.some((w) => w.cordon?.length);
  const lines = [
    `*Ambient data plane* — ${a.releases.map((x) => code(x.release)).join(' and ')} in ${code(a.namespace)}${a.running.length ? ` (now: ${esc(a.running.join(', '))})` : ''}: after the namespace waves, \`helm upgrade\` to ${esc(r.to.version)} held at \`OnDelete\` (no pod replaced), then ${nodeWaves.length} node wave(s), each approved like a namespace wave: ${cordon ? 'cordon its nodes, ' : ''}replace their ztunnel and istio-cni pods, check each node runs ${esc(r.to.version)}${cordon ? ', uncordon' : ''}; after the last one the update strategy is given back. Never a drain.`,
    quiet.length ? `Ambient namespaces, not restarted (ztunnel serves their pods): ${list(quiet)}` : '',
    inWaves.length
      ? `Labelled ambient but injected (their pods have sidecars, which take precedence), moved in their wave: ${list(inWaves)}`
      : '',
    a.waypoints.length
      ? `Waypoints, moved with the tags and checked on ${code(r.to.revision)} after the tag move: ${list(a.waypoints)}`
      : '',
    a.upToDate.length ? `Nodes already on ${esc(r.to.version)} (no wave): ${list(a.upToDate)}` : '',
    `A rollback rolls ${a.releases.map((x) => code(x.release)).join(' and ')} back with \`helm rollback\` (every replaced node rolls back) and uncordons what the bot cordoned.`,
  ];
  return clip(lines.filter(Boolean).join('\n'), LIMITS.sectionText);
}

/** The approval text of a node wave. */
export function nodeWaveApprovalText(r: UpgradeRecord, w: Wave): string {
  const nodes = w.nodes ?? [];
  const more = (n: number) => `+${n} more: \`/istio status ${r.id} --wave ${w.index}\``;
  const cordon = w.cordon?.length ? `cordons ${list(w.cordon, 300)}, ` : '';
  return `:raised_hand: *Wave ${w.index} of ${r.waves.length} of ${r.id} is ready* on \`${esc(r.cluster)}\` — a node wave, ${nodesWord(nodes.length)}: ${list(nodes, 1500, more)}\nApproving ${cordon}replaces the ztunnel and istio-cni pods on these nodes with ${esc(r.to.version)} and checks each node runs it${cordon ? ', then uncordons' : ''}. Ambient pods are not restarted; long-lived connections through these nodes' ztunnel may be cut.`;
}

/** `/istio status ID --wave N` of a node wave: its facts, nodes and per-node table. */
export function nodeWaveSections(r: UpgradeRecord, w: Wave): string[] {
  const nodes = w.nodes ?? [];
  const facts = [
    `${WAVE_ICON[w.status]} *Wave ${w.index} of ${r.waves.length} of ${r.id}* on \`${esc(r.cluster)}\`: ${w.status.replace('_', ' ')}, a node wave: ztunnel and istio-cni on ${nodesWord(nodes.length)} to ${esc(r.to.version)}`,
    w.cordon?.length ? `Cordoned while their pods are replaced: ${list(w.cordon, 600)}` : '',
    w.progress ? `Nodes verified ${w.progress.ready}/${w.progress.total}` : '',
  ].filter(Boolean);
  const table = w.nodeVersions ? tableText(r, w.nodeVersions) : '';
  return [facts.join('\n'), `*Nodes* (${nodes.length})\n${list(nodes, 2500)}`, ...(table ? [table] : [])];
}

function tableText(r: UpgradeRecord, rows: NodeVersions[]): string {
  const lines = renderNodeVersions(rows, r.to.version).split('\n');
  const cut = cutList(lines.map(esc), {
    maxChars: LIMITS.sectionText - 120,
    more: (n) => `…${n} more nodes: \`/istio ps ${r.cluster}\``,
  });
  return `\`\`\`\n${cut.text}\n\`\`\``;
}

/** Posted after a node wave: each node's ztunnel and istio-cni version (no sync diff for ztunnel). */
export function nodeVersionsMessage(r: UpgradeRecord, wave: number, rows: NodeVersions[]): SlackMessage {
  const blocks: Block[] = [
    section(`*Wave ${wave} of ${r.id}: ztunnel and istio-cni per node*`),
    section(tableText(r, rows)),
    context(
      `ztunnel has no proxy-status sync diff: this table stands in for it · \`/istio ps ${r.cluster}\``,
    ),
  ];
  const at = atTarget(r, rows);
  return { text: clip(`Wave ${wave} of ${r.id}: ${at ?? 'node versions'}`, LIMITS.messageText), blocks };
}
