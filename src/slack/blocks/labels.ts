/** Words people read for states and steps. Pure. */
import type { Step, UpgradeRecord, UpgradeState, Wave } from '../../domain/upgrade/record.js';

export const STATE_LABEL: Record<UpgradeState, string> = {
  running: ':hourglass_flowing_sand: running',
  awaiting_approval: ':raised_hand: waiting for approval',
  paused: ':double_vertical_bar: paused',
  stopped: ':x: stopped: needs a person',
  rolling_back: ':rewind: rolling back',
  rolled_back: ':leftwards_arrow_with_hook: rolled back',
  aborting: ':no_entry: aborting: stopping the running step',
  aborted: ':no_entry: aborted',
  done: ':white_check_mark: done',
  planned: ':memo: planned (dry run)',
};

export const WAVE_ICON: Record<Wave['status'], string> = {
  pending: ':white_circle:',
  awaiting_approval: ':raised_hand:',
  running: ':hourglass_flowing_sand:',
  done: ':white_check_mark:',
  failed: ':x:',
  rolled_back: ':leftwards_arrow_with_hook:',
};

export function stepLabel(step: Step | string, r: UpgradeRecord, wave?: number): string {
  const w = wave ?? r.currentWave;
  const to = `\`${r.to.revision}\``;
  const from = `\`${r.from.revision}\``;
  const labels: Record<Step, string> = {
    plan: 'Plan',
    precheck: 'Pre-check (`istioctl x precheck`)',
    install_control_plane: `Install control plane ${to} beside ${from}`,
    verify_control_plane: `Verify control plane ${to}`,
    gateways: `Move gateways to ${to}`,
    await_wave_approval: `Wait for approval of wave ${w}`,
    move_namespaces: `Point wave ${w} namespaces at ${to}`,
    restart_workloads: `Restart the workloads of wave ${w}`,
    wait_rollouts: `Wait for the rollouts of wave ${w}`,
    verify_sidecars: `Verify the sidecars of wave ${w}`,
    analyze_wave: `Traffic analysis of wave ${w}`,
    post_diff: `Proxy-status diff of wave ${w}`,
    upgrade_agents: `Upgrade ztunnel and istio-cni to ${r.to.version} with Helm, held (no pod replaced yet)`,
    replace_nodes: `Replace ztunnel and istio-cni on the nodes of wave ${w}`,
    verify_nodes: `Verify each node of wave ${w} runs ${r.to.version}`,
    release_hold: 'Give ztunnel and istio-cni their update strategy back',
    await_finish_approval: 'Wait for approval to finish',
    move_tags: `Move revision tags to ${to}`,
    grace_period: 'Grace period',
    check_old_unused: `Check that nothing uses ${from} any more`,
    uninstall_old: `Uninstall ${from}`,
    done: 'Done',
  };
  // a start progressive mode scheduled (or an approval for the next window): no one is waited for
  if (r.autoStart && step === r.autoStart.step && r.state === 'running')
    return `${r.autoStart.step === 'await_finish_approval' ? 'Finish' : `Wave ${w}`} starts at ${r.autoStart.at.slice(11, 16)} UTC${r.autoStart.approvedBy ? '' : ' without approval'}`;
  return (labels as Record<string, string>)[step] ?? `\`${step}\``;
}
