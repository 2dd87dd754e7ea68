/**
 * The record of a new upgrade, as its request was accepted: the plan, the traffic analysis and mode,
 * the Gateway API gateways, the installer, and the first two audit lines. Pure: the service checks
 * the request and writes the record (compare-and-set).
 */
import type { UpgradeCommand } from '../command/types.js';
import type { AmbientPlan } from './ambient/plan.js';
import { ambientUpgrade, nodeWaveRecords } from './ambient/upgrade.js';
import type { AnalysisChoice } from './analysis-choice.js';
import type { GatewayApiPlan } from './gateway-api.js';
import type { InstallationPlan } from './installation.js';
import type { UpgradePlan } from './plan.js';
import type { UpgradeRecord } from './record.js';

export interface NewUpgrade {
  id: string;
  cluster: string;
  at: string;
  command: UpgradeCommand;
  requester: { user: string; channel: string };
  plan: UpgradePlan;
  choice: AnalysisChoice;
  gatewayApi: GatewayApiPlan;
  installation: InstallationPlan;
  /** An ambient mesh's node agents (ADR 20): node waves after the namespace waves (absent: none). */
  ambient?: AmbientPlan;
}

export function newRecord(i: NewUpgrade): UpgradeRecord {
  const { cluster, at, command, requester, plan, choice, gatewayApi, installation, ambient } = i;
  return {
    id: i.id,
    cluster,
    from: plan.from,
    to: plan.to,
    move: plan.move,
    strategy: plan.strategy,
    ...(plan.tags ? { tags: plan.tags } : {}),
    // The traffic analysis and mode as the policy says now: the upgrade keeps them to the end.
    ...choice,
    ...(gatewayApi.gateways.length > 0 ? { gatewayApi: gatewayApi } : {}),
    waves: [
      ...plan.waves.map((namespaces, j) => ({
        index: j + 1,
        namespaces,
        status: 'pending' as const,
        ...(plan.reasons[j] ? { reasons: plan.reasons[j] } : {}),
      })),
      ...(ambient ? nodeWaveRecords(ambient, plan.waves.length) : []),
    ],
    ...(ambient ? { ambient: ambientUpgrade(ambient) } : {}),
    dryRun: command.dryRun,
    requester: requester.user,
    channel: requester.channel,
    state: 'running',
    step: 'plan',
    decisions: [],
    compensations: [],
    // the Helm canary path when the old istiod is a Helm release (absent: istioctl)
    ...(installation.helm ? { installer: installation.helm } : {}),
    messages: {},
    audit: [
      {
        at,
        actor: requester.user,
        channel: requester.channel,
        action: 'requested',
        detail: `${plan.from.version} → ${plan.to.version} (${command.strategy}${command.dryRun ? ', dry run' : ''}${choice.analysis ? `, analysis ${choice.analysis.name}` : command.analysis === 'none' ? ', no analysis' : ''}${choice.progressive ? `, progressive (${choice.progressive.source === 'command' ? '--auto' : 'policy'}, bake ${Math.round(choice.progressive.bakeMs / 1000)}s)` : ''})`,
      },
      {
        at,
        actor: requester.user,
        channel: requester.channel,
        action: 'installation',
        detail: `${installation.installers.join('; ')}. Commands: ${installation.commands.join('; ')}`,
      },
    ],
    createdAt: at,
    updatedAt: at,
    rev: 1,
    seq: 1,
  };
}
