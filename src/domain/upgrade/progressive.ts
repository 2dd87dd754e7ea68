/**
 * Progressive mode (issue 13, ADR 15): when a wave's traffic analysis passed, the next wave starts by
 * itself after a bake time instead of waiting for a click. Pure. The machine asks `autoStartReason` when
 * it enters an approval step; with a reason, it schedules the start (`record.autoStart`, a delayed step
 * run) instead of opening an approval. Wave 1 and the finish still need approvals unless the policy
 * says `autoFirstWave` / `autoFinish`. Nothing here knows about change windows: the engine's auto-start
 * step checks them when the time comes and defers the start to the next opening.
 */
import type { Position } from './order.js';
import type { Approval, UpgradeRecord } from './record.js';

export interface ProgressiveSpec {
  /** Time between a passed analysis (or a ready control plane) and the next start, ms. */
  bakeMs: number;
  /** Wave 1 starts without an approval too, `bakeMs` after the control plane and gateways are ready. */
  autoFirstWave: boolean;
  /** The finish (tags, grace period, uninstall of the old revision) starts without an approval too. */
  autoFinish: boolean;
  /** Who asked for it: the cluster's policy, or `--auto` on the upgrade command. */
  source: 'policy' | 'command';
}

/** A start the engine will make without a click (record.autoStart while it waits). */
export interface AutoStart {
  step: Approval['step'];
  wave?: number;
  /** When it starts (ISO): the end of the bake time, or the next change window's opening. */
  at: string;
  /** Why no approval is needed (`progressive, wave 1 analysis passed`). */
  reason: string;
  /** Set when the start was moved to a change window's opening: why. */
  deferred?: string;
  /** A person approved it outside the change windows to start at the next opening (issue 15): who.
   * Absent: progressive mode starts it without an approval. */
  approvedBy?: string;
}

/** The bake time of `--auto` when the cluster's policy names none. */
export const DEFAULT_BAKE_MS = 10 * 60_000;

/** Why entering `pos` starts by itself, or null when a person approves it. */
export function autoStartReason(r: UpgradeRecord, pos: Position): string | null {
  const p = r.progressive;
  if (!p || !r.analysis) return null;
  const passed = (wave: number) => r.waves[wave - 1]?.analysis?.verdict === 'passed';
  if (pos.step === 'await_wave_approval') {
    const w = pos.wave ?? 1;
    // a node wave (ADR 20) has no traffic analysis before it: a person approves it
    if (r.waves[w - 1]?.kind === 'nodes') return null;
    if (w === 1) return p.autoFirstWave ? 'progressive, the control plane is ready' : null;
    return passed(w - 1) ? `progressive, wave ${w - 1} analysis passed` : null;
  }
  if (pos.step === 'await_finish_approval') {
    if (!p.autoFinish) return null;
    const last = r.waves.length;
    if (last === 0) return 'progressive, no waves';
    return passed(last) ? `progressive, wave ${last} analysis passed` : null;
  }
  return null;
}

/** What the start is, in words: `wave 2` or `the finish`. */
export const autoStartTarget = (a: Pick<AutoStart, 'step' | 'wave'>): string =>
  a.step === 'await_finish_approval' ? 'the finish' : `wave ${a.wave ?? 1}`;
