/** `/istio list`: recent upgrades on the clusters this channel may see. */
import { mayView } from '../../domain/policy.js';
import { listMessage } from '../blocks/status.js';
import { type Asked, refuse } from '../context.js';

export async function list(ask: Asked): Promise<void> {
  const { deps, actor } = ask;
  const v = mayView(deps.policy, actor.channel);
  if (!v.allowed) return refuse(ask, 'list upgrades here', v);
  const records = await deps.service.list({ limit: 20 });
  await ask.reply(listMessage(records.filter((r) => mayView(deps.policy, actor.channel, r.cluster).allowed)));
}
