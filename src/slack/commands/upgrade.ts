/**
 * `/istio upgrade <version> …`: the cluster (`--cluster`, else the one this channel is bound to), the
 * policy check, then the engine plans it; the notifier opens the thread.
 */
import type { UpgradeCommand } from '../../domain/command/types.js';
import { mayRequest } from '../../domain/policy.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { esc } from '../blocks/text.js';
import { ambiguousText, chooseCluster, drivableNote } from '../clusters.js';
import { type Asked, refuse, whoIs } from '../context.js';

export async function upgrade(ask: Asked, cmd: UpgradeCommand): Promise<void> {
  const { deps, actor } = ask;
  const choice = chooseCluster(deps.policy, actor.channel, cmd.cluster, deps.defaultCluster);
  if ('ambiguous' in choice)
    return refuse(ask, 'request an upgrade', {
      code: 'which_cluster',
      reason: ambiguousText(choice.ambiguous, `/istio upgrade ${cmd.version}`),
    });
  const { cluster } = choice;
  const verdict = mayRequest(deps.policy, await whoIs(deps, actor), cluster);
  // a fixed action name (it labels a metric); what was asked goes into the audited reason
  if (!verdict.allowed)
    return refuse(ask, 'request an upgrade', {
      ...verdict,
      reason: `${cmd.version} on ${cluster}: ${verdict.reason}${verdict.code === 'not_requester' ? '' : ` ${drivableNote(deps.policy, actor.channel)}`}`,
    });
  const res = await deps.service.request({ command: { ...cmd, cluster }, requester: actor });
  // the engine writes its own refusals to the refusal log
  if (!res.ok) return ask.reply(domainErrorMessage('plan the upgrade', res.error));
  const r = res.value;
  await ask.reply(
    infoMessage(
      `:memo: Planned *${r.id}*: ${esc(r.from.version)} → ${esc(r.to.version)} on \`${esc(r.cluster)}\`, ${r.waves.length} wave(s)${r.dryRun ? ' (dry run: nothing will change)' : ''}. Follow it in the thread in <#${r.channel}>.`,
    ),
  );
}
