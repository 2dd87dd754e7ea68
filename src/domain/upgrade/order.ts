/**
 * The order of steps (canary-workflow.md): pure helpers the state machine and the engine share.
 */
import type { Step, UpgradeRecord, UpgradeState } from './record.js';
import { TERMINAL_STATES } from './record.js';

/** Steps that belong to a wave (they carry `currentWave`). */
export const WAVE_STEPS: readonly Step[] = [
  'await_wave_approval',
  'move_namespaces',
  'restart_workloads',
  'wait_rollouts',
  'verify_sidecars',
  'analyze_wave',
  'post_diff',
  'replace_nodes',
  'verify_nodes',
];

export const APPROVAL_STEPS: readonly Step[] = ['await_wave_approval', 'await_finish_approval'];

export interface Position {
  step: Step;
  wave?: number;
}

/** The shape of an upgrade's waves: `nodeWaves` of an ambient mesh (ADR 20) come after the namespace
 * waves; `ambient`: the node agents' steps run (upgrade_agents, the node waves, release_hold). */
export interface AmbientLayout {
  nodeWaves: number;
}

/** The step after `pos` for an upgrade with `waveCount` waves. `plan` of a dry run has no next.
 * `analyzed`: the upgrade has a traffic analysis (`record.analysis`), run after each wave's sidecars
 * are verified and before its proxy-status diff. `ambient`: the last `nodeWaves` of the waves are
 * node waves, run after the node agents' releases are upgraded (held), and followed by the hold
 * given back, before the finish. */
export function nextPosition(
  pos: Position,
  waveCount: number,
  dryRun: boolean,
  analyzed = false,
  ambient?: AmbientLayout,
): Position | null {
  const w = pos.wave ?? 1;
  const nsWaves = waveCount - (ambient?.nodeWaves ?? 0);
  const afterNamespaceWaves: Position = ambient
    ? { step: 'upgrade_agents' }
    : { step: 'await_finish_approval' };
  switch (pos.step) {
    case 'plan':
      return dryRun ? null : { step: 'precheck' };
    case 'precheck':
      return { step: 'install_control_plane' };
    case 'install_control_plane':
      return { step: 'verify_control_plane' };
    case 'verify_control_plane':
      return { step: 'gateways' };
    case 'gateways':
      return nsWaves > 0 ? { step: 'await_wave_approval', wave: 1 } : afterNamespaceWaves;
    case 'await_wave_approval':
      return { step: ambient && w > nsWaves ? 'replace_nodes' : 'move_namespaces', wave: w };
    case 'move_namespaces':
      return { step: 'restart_workloads', wave: w };
    case 'restart_workloads':
      return { step: 'wait_rollouts', wave: w };
    case 'wait_rollouts':
      return { step: 'verify_sidecars', wave: w };
    case 'verify_sidecars':
      return { step: analyzed ? 'analyze_wave' : 'post_diff', wave: w };
    case 'analyze_wave':
      return { step: 'post_diff', wave: w };
    case 'post_diff':
      return w < nsWaves ? { step: 'await_wave_approval', wave: w + 1 } : afterNamespaceWaves;
    case 'upgrade_agents':
      return nsWaves < waveCount
        ? { step: 'await_wave_approval', wave: nsWaves + 1 }
        : { step: 'release_hold' };
    case 'replace_nodes':
      return { step: 'verify_nodes', wave: w };
    case 'verify_nodes':
      return w < waveCount ? { step: 'await_wave_approval', wave: w + 1 } : { step: 'release_hold' };
    case 'release_hold':
      return { step: 'await_finish_approval' };
    case 'await_finish_approval':
      return { step: 'move_tags' };
    case 'move_tags':
      return { step: 'grace_period' };
    case 'grace_period':
      return { step: 'check_old_unused' };
    case 'check_old_unused':
      return { step: 'uninstall_old' };
    case 'uninstall_old':
      return { step: 'done' };
    case 'done':
      return null;
  }
}

/** The step after `pos` for this record (its waves, analysis and node waves). */
export function positionAfter(r: UpgradeRecord, pos: Position): Position | null {
  const ambient = r.ambient ? { nodeWaves: r.waves.filter((w) => w.kind === 'nodes').length } : undefined;
  return nextPosition(pos, r.waves.length, r.dryRun, r.analysis !== undefined, ambient);
}

export const isTerminal = (s: UpgradeState): boolean => TERMINAL_STATES.includes(s);

/** States in which the cluster lock is held and the upgrade counts as active. */
export const isActive = (s: UpgradeState): boolean => !isTerminal(s);

/** Rollback is possible until the old control plane starts being removed. */
export function canRollBack(r: UpgradeRecord): boolean {
  return !isTerminal(r.state) && r.state !== 'aborting' && r.step !== 'uninstall_old' && r.step !== 'done';
}

/** A step of this record may be running on a worker right now (so abort must wait for it). */
export function mayHaveRunningStep(r: UpgradeRecord): boolean {
  return r.state === 'running' || r.state === 'rolling_back' || r.state === 'paused';
}

/** What a worker must run for a record (its one current job), or null when nothing should run. */
export interface StepRun {
  id: string;
  seq: number;
  /** `compensate`: the next undo of a rollback. `finish_abort`: takes the run over from a step being
   * cancelled and only then marks the upgrade aborted (and frees the cluster). */
  step: Step | 'compensate' | 'finish_abort';
  wave?: number;
}

export function currentRun(r: UpgradeRecord): StepRun | null {
  const seq = r.seq ?? 0;
  if (r.state === 'rolling_back') return { id: r.id, seq, step: 'compensate' };
  if (r.state === 'aborting') return { id: r.id, seq, step: 'finish_abort' };
  if (r.state !== 'running') return null;
  if (r.step === 'done') return null;
  // An approval step runs only as a scheduled start of progressive mode (record.autoStart).
  if (APPROVAL_STEPS.includes(r.step) && !r.autoStart) return null;
  return r.currentWave === undefined
    ? { id: r.id, seq, step: r.step }
    : { id: r.id, seq, step: r.step, wave: r.currentWave };
}
