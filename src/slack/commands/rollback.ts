/**
 * `/istio rollback ID [reason…]`, from the upgrade's channel or an incident channel. From an incident
 * channel a reason is required; the rollback is posted there and in the upgrade's thread, and audited
 * by the engine.
 */
import type { RollbackCommand } from '../../domain/command/types.js';
import { mayControl, rollbackNeedsReason } from '../../domain/policy.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { rollbackRequestedMessage } from '../blocks/thread.js';
import { type Asked, refuse, whoIs } from '../context.js';
import { threadOf } from '../notifier.js';

export async function rollback(ask: Asked, cmd: RollbackCommand): Promise<void> {
  const { deps, actor } = ask;
  const r = await deps.service.get(cmd.id);
  if (!r)
    return ask.reply(
      infoMessage(
        `:grey_question: There is no upgrade \`${cmd.id}\`. \`/istio list\` shows the recent ones.`,
      ),
    );
  const verdict = mayControl(deps.policy, await whoIs(deps, actor), r, 'rollback');
  if (!verdict.allowed) return refuse(ask, `roll back ${r.id}`, verdict, r.id);
  const needs = rollbackNeedsReason(deps.policy, actor.channel, cmd.reason);
  if (!needs.allowed) return refuse(ask, `roll back ${r.id}`, needs, r.id);
  const reason = cmd.reason ?? `requested with /istio rollback in <#${actor.channel}>`;
  const res = await deps.service.rollback({ id: r.id, actor, reason });
  if (!res.ok) return ask.reply(domainErrorMessage(`roll back ${r.id}`, res.error));
  const msg = rollbackRequestedMessage(res.value, actor.user, reason, actor.channel);
  const thread = await threadOf(res.value, deps.store);
  if (thread) await deps.client.chat.postMessage({ channel: res.value.channel, thread_ts: thread, ...msg });
  if (actor.channel !== res.value.channel || !thread)
    await deps.client.chat.postMessage({ channel: actor.channel, ...msg });
  await ask.reply(infoMessage(`:rewind: Rolling back ${r.id}. Progress is posted in its thread.`));
}
