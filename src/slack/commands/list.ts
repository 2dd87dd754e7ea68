/** `/istio list [--refusals]`: recent upgrades, or the latest refused requests, for channels that may see them. */
import type { ListCommand } from '../../domain/command/types.js';
import { mayView } from '../../domain/policy.js';
import { listMessage, refusalsMessage } from '../blocks/status.js';
import { type Asked, refuse } from '../context.js';

export async function list(ask: Asked, cmd: ListCommand): Promise<void> {
  const { deps, actor } = ask;
  const v = mayView(deps.policy, actor.channel);
  if (!v.allowed) return refuse(ask, cmd.refusals ? 'list refusals here' : 'list upgrades here', v);
  if (cmd.refusals) {
    await ask.reply(refusalsMessage(await deps.service.refusals(20)));
    return;
  }
  const records = await deps.service.list({ limit: 20 });
  await ask.reply(listMessage(records.filter((r) => mayView(deps.policy, actor.channel, r.cluster).allowed)));
}
