import type { Step } from '../../domain/upgrade/record.js';
import { analyzeWave } from './analysis.js';
import type { StepHandler } from './context.js';
import { gateways, installControlPlane, plan, precheck, verifyControlPlane } from './controlplane.js';
import { checkOldUnused, gracePeriod, moveTags, uninstallOld } from './finish.js';
import { releaseHold, replaceNodes, upgradeAgents, verifyNodes } from './nodes.js';
import { autoStart } from './progressive.js';
import { compensate } from './rollback.js';
import { moveNamespaces, postDiff, restartWorkloads, verifySidecars, waitRollouts } from './wave.js';

export type { StepContext, StepHandler, StepOutcome } from './context.js';
export { StepDeferred, StepHalted } from './context.js';

/** Handlers for the steps a worker runs (approvals and `done` have none). */
export const HANDLERS: Partial<Record<Step | 'compensate' | 'finish_abort', StepHandler>> = {
  plan,
  precheck,
  install_control_plane: installControlPlane,
  verify_control_plane: verifyControlPlane,
  gateways,
  move_namespaces: moveNamespaces,
  restart_workloads: restartWorkloads,
  wait_rollouts: waitRollouts,
  verify_sidecars: verifySidecars,
  analyze_wave: analyzeWave,
  post_diff: postDiff,
  // ambient meshes (ADR 20): the node agents held, moved node wave by node wave, the hold given back
  upgrade_agents: upgradeAgents,
  replace_nodes: replaceNodes,
  verify_nodes: verifyNodes,
  release_hold: releaseHold,
  move_tags: moveTags,
  grace_period: gracePeriod,
  check_old_unused: checkOldUnused,
  uninstall_old: uninstallOld,
  // Progressive mode: a scheduled start, run when its bake time is over (ADR 15).
  await_wave_approval: autoStart,
  await_finish_approval: autoStart,
  compensate,
  // Runs once the cancelled step has let go of the upgrade: nothing to do on the cluster.
  finish_abort: async () => ({ detail: 'the running step has stopped' }),
};
