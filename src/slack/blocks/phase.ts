/**
 * One thread message per phase of an upgrade — the control plane, each wave, the finish, a rollback —
 * updated in place as a checklist with live progress, so the thread reads in about ten messages.
 * Pure: the notifier passes what it knows (the notes of finished steps, the step running now).
 */
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { undoWords } from './notes.js';
import { type Block, clip, context, cutList, esc, LIMITS, type SlackMessage, section } from './text.js';

export type Phase =
  | { kind: 'control' }
  | { kind: 'wave'; wave: number }
  | { kind: 'finish' }
  /** An ambient mesh's node agents: the held upgrade before the node waves, the hold given back after. */
  | { kind: 'agents' }
  | { kind: 'rollback' };

const CONTROL = ['precheck', 'install_control_plane', 'verify_control_plane', 'gateways'] as const;
const WAVE = [
  'move_namespaces',
  'restart_workloads',
  'wait_rollouts',
  'verify_sidecars',
  'analyze_wave',
  'post_diff',
] as const;
/** The wave's steps: the traffic analysis only when the upgrade carries an analysis spec. */
const waveSteps = (r: UpgradeRecord): readonly string[] =>
  r.analysis ? WAVE : WAVE.filter((s) => s !== 'analyze_wave');
const FINISH = ['move_tags', 'grace_period', 'check_old_unused', 'uninstall_old'] as const;
/** A node wave's steps (ADR 20), and the node agents' own phase around the node waves. */
const NODE_WAVE = ['replace_nodes', 'verify_nodes'] as const;
const AGENTS = ['upgrade_agents', 'release_hold'] as const;
const inWave = (step: string) =>
  (WAVE as readonly string[]).includes(step) || (NODE_WAVE as readonly string[]).includes(step);

/** The phase a step belongs to; none for plan, approvals, done and abort. */
export function phaseOf(step: string, wave: number | undefined): Phase | undefined {
  if ((CONTROL as readonly string[]).includes(step)) return { kind: 'control' };
  if (inWave(step) && wave !== undefined) return { kind: 'wave', wave };
  if ((AGENTS as readonly string[]).includes(step)) return { kind: 'agents' };
  if ((FINISH as readonly string[]).includes(step)) return { kind: 'finish' };
  if (step === 'compensate') return { kind: 'rollback' };
  return undefined;
}

/** Where the phase message's ts is kept (`record.messages` and the notifier's store). */
export const phaseKey = (p: Phase): string =>
  p.kind === 'wave' ? `phase:wave:${p.wave}` : `phase:${p.kind}`;

/** Where a finished step's note is kept. Rollback notes are numbered by the undos left after them. */
export function noteKey(step: string, wave: number | undefined, r: UpgradeRecord): string {
  if (step === 'compensate') return `rollback:${String(r.compensations.length).padStart(4, '0')}`;
  return inWave(step) ? `${step}:w${wave}` : step;
}

export interface PhaseView {
  /** Notes of finished steps by `noteKey`. */
  notes: Record<string, string>;
  /** The step the event is about and how it stands. */
  current?: { step: string; status: 'running' | 'done' | 'failed' };
  /** Live rollout progress while the wave waits for its rollouts. */
  progress?: { ready: number; total: number };
}

const ICON = {
  done: ':white_check_mark:',
  running: ':hourglass_flowing_sand:',
  failed: ':x:',
  pending: ':white_circle:',
};
type Status = keyof typeof ICON;

function label(r: UpgradeRecord, step: string, wave?: number): string {
  const to = `\`${esc(r.to.revision)}\``;
  const from = `\`${esc(r.from.revision)}\``;
  const labels: Record<string, string> = {
    precheck: 'Pre-check with `istioctl x precheck`',
    install_control_plane: `Install istiod ${to} beside ${from}`,
    verify_control_plane: `Check that istiod ${to} is ready`,
    gateways: `Move the gateways to ${to}`,
    move_namespaces: `Point the namespaces at ${to}`,
    restart_workloads: 'Restart their workloads',
    wait_rollouts: 'Wait for the rollouts',
    verify_sidecars: `Check that every pod runs ${to}`,
    analyze_wave: 'Analyse the traffic of the wave',
    post_diff: `Compare \`istioctl proxy-status\` before and after wave ${wave ?? ''}`.trimEnd(),
    move_tags: `Move the revision tags (\`default\` and the others on ${from}) to ${to}`,
    grace_period: 'Wait the grace period',
    check_old_unused: `Check that no pod uses ${from} any more`,
    uninstall_old: `Uninstall ${from}`,
    upgrade_agents: `\`helm upgrade\` ztunnel and istio-cni to ${esc(r.to.version)}, held at \`OnDelete\` (no pod replaced)`,
    release_hold: 'Give ztunnel and istio-cni their update strategy back (after the last node wave)',
    replace_nodes: `Replace the ztunnel and istio-cni pods on the wave's nodes`,
    verify_nodes: `Check that each node runs ztunnel and istio-cni ${esc(r.to.version)}`,
  };
  return labels[step] ?? esc(step);
}

function checklist(r: UpgradeRecord, steps: readonly string[], wave: number | undefined, v: PhaseView) {
  const at = v.current ? steps.indexOf(v.current.step) : -1;
  const noteOf = (s: string) => v.notes[wave === undefined ? s : `${s}:w${wave}`];
  return steps.map((s, i) => {
    const note = noteOf(s);
    let status: Status = i < at || note !== undefined ? 'done' : 'pending';
    if (i === at) status = v.current!.status;
    let line = `${ICON[status]} ${label(r, s, wave)}`;
    if (status === 'done' && note) line += ` — ${note}`;
    if (status === 'running' && s === 'wait_rollouts' && v.progress)
      line += ` — *${v.progress.ready}/${v.progress.total}* workloads ready`;
    if (status === 'running' && s === 'verify_nodes' && v.progress)
      line += ` — *${v.progress.ready}/${v.progress.total}* nodes verified`;
    if (status === 'failed') line += ' — *failed*, see below';
    return { line, status };
  });
}

function overall(items: { status: Status }[]): Status {
  if (items.some((i) => i.status === 'failed')) return 'failed';
  if (items.every((i) => i.status === 'done')) return 'done';
  return items.some((i) => i.status !== 'pending') ? 'running' : 'pending';
}

function rollbackItems(r: UpgradeRecord, v: PhaseView) {
  const done = Object.entries(v.notes)
    .filter(([k]) => k.startsWith('rollback:'))
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([, note]) => ({ line: `${ICON.done} ${note}`, status: 'done' as Status }));
  const left = [...r.compensations].reverse();
  const cur = v.current && v.current.status !== 'done' ? left.shift() : undefined;
  const items = [...done];
  if (cur)
    items.push({
      line: `${ICON[v.current!.status as Status]} ${undoWords(r, cur)}${v.current!.status === 'failed' ? ' — *failed*, see below' : ''}`,
      status: v.current!.status as Status,
    });
  for (const c of left) items.push({ line: `${ICON.pending} ${undoWords(r, c)}`, status: 'pending' });
  if (v.current?.status === 'running' && v.progress && cur?.kind === 'move_namespaces_back')
    items[items.length - left.length - 1]!.line +=
      ` — *${v.progress.ready}/${v.progress.total}* workloads ready`;
  return items;
}

function title(r: UpgradeRecord, p: Phase): string {
  switch (p.kind) {
    case 'control':
      return `Control plane \`${esc(r.to.revision)}\``;
    case 'wave':
      return `Wave ${p.wave} of ${r.waves.length}`;
    case 'finish':
      return 'Finish';
    case 'agents':
      return 'ztunnel and istio-cni';
    case 'rollback':
      return `Rollback of ${r.id}`;
  }
}

const plain = (s: string) => s.replace(/:[a-z_]+: /g, '').replace(/[`*]/g, '');

/** The checklist message of one phase. */
export function phaseMessage(r: UpgradeRecord, p: Phase, v: PhaseView): SlackMessage {
  const items =
    p.kind === 'rollback'
      ? rollbackItems(r, v)
      : checklist(
          r,
          p.kind === 'control'
            ? CONTROL
            : p.kind === 'finish'
              ? FINISH
              : p.kind === 'agents'
                ? AGENTS
                : r.waves[p.wave - 1]?.kind === 'nodes'
                  ? NODE_WAVE
                  : waveSteps(r),
          p.kind === 'wave' ? p.wave : undefined,
          v,
        );
  const state = overall(items);
  const head = `${ICON[state]} *${title(r, p)}*`;
  const blocks: Block[] = [];
  const nodeWave = p.kind === 'wave' ? r.waves[p.wave - 1] : undefined;
  if (nodeWave?.kind === 'nodes') {
    const nodes = nodeWave.nodes ?? [];
    const ns = cutList(
      nodes.map((n) => `\`${esc(n)}\``),
      { maxChars: 1500, more: (n) => `+${n} more: \`/istio status ${r.id} --wave ${nodeWave.index}\`` },
    ).text.replace(/\n/g, ', ');
    blocks.push(section(`${head}: node wave, ${nodes.length} node(s): ${ns}`));
  } else if (p.kind === 'wave') {
    const w = r.waves[p.wave - 1];
    const ns = cutList(
      (w?.namespaces ?? []).map((n) => `\`${esc(n)}\``),
      {
        maxChars: 1500,
        more: (n) => `+${n} more: \`/istio status ${r.id} --wave ${p.wave}\` lists them all`,
      },
    ).text.replace(/\n/g, ', ');
    blocks.push(section(`${head}: ${w?.namespaces.length ?? 0} namespace(s): ${ns}`));
  } else blocks.push(section(head));
  const list = cutList(
    items.map((i) => i.line),
    { maxChars: LIMITS.sectionText, more: (n) => `…${n} more: \`/istio status ${r.id}\`` },
  );
  blocks.push(section(list.text));
  if (state === 'running')
    blocks.push(context(`Updated in place as the steps run · \`/istio status ${r.id}\``));
  const text = `${plain(title(r, p))} (${state}): ${items.map((i) => `${i.status}: ${plain(i.line)}`).join('; ')}`;
  return { text: clip(text, LIMITS.messageText), blocks };
}
