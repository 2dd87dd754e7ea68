/** `/istio upgrade <version> …`: policy check, then the engine plans it; the notifier opens the thread. */
import type { UpgradeCommand } from '../../domain/command/types.js';
import { mayRequest } from '../../domain/policy.js';
import { PLAN_REFUSED } from '../../engine/api.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { esc } from '../blocks/text.js';
import { type Asked, audit, refuse, whoIs } from '../context.js';

export async function upgrade(ask: Asked, cmd: UpgradeCommand): Promise<void> {
  const { deps, actor } = ask;
  const cluster = cmd.cluster ?? deps.defaultCluster;
  const verdict = mayRequest(deps.policy, await whoIs(deps, actor), cluster);
  // fixed action names (they label a metric); what was asked goes into the audited reason
  const what = `${cmd.version} on ${cluster}`;
  if (!verdict.allowed)
    return refuse(ask, 'request an upgrade', { ...verdict, reason: `${what}: ${verdict.reason}` });
  const res = await deps.service.request({ command: { ...cmd, cluster }, requester: actor });
  if (!res.ok) {
    await ask.reply(domainErrorMessage('plan the upgrade', res.error));
    return audit(deps, undefined, actor, PLAN_REFUSED, `${res.error.code}: ${what}: ${res.error.message}`);
  }
  const r = res.value;
  await ask.reply(
    infoMessage(
      `:memo: Planned *${r.id}*: ${esc(r.from.version)} → ${esc(r.to.version)} on \`${esc(r.cluster)}\`, ${r.waves.length} wave(s)${r.dryRun ? ' (dry run: nothing will change)' : ''}. Follow it in the thread in <#${r.channel}>.`,
    ),
  );
}
