/**
 * `/istio rollback ID [reason…]`, from the upgrade's channel or an incident channel. From an incident
 * channel a reason is required; the rollback is posted there and in the upgrade's thread, and audited
 * by the engine. Once the engine accepted the rollback, that is the answer: a post that fails (the bot
 * is not in the incident channel, Slack is down) is said next to it, never instead of it.
 */
import type { RollbackCommand } from '../../domain/command/types.js';
import { mayControl, rollbackNeedsReason } from '../../domain/policy.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import type { SlackMessage } from '../blocks/text.js';
import { rollbackRequestedMessage } from '../blocks/thread.js';
import { type Asked, refuse, whoIs } from '../context.js';
import { threadOf } from '../notifier.js';

/** Slack's error code (`not_in_channel`…), or why there was none. */
const slackError = (e: unknown): string =>
  (e as { data?: { error?: string } }).data?.error ??
  ((e as { code?: string }).code === 'slack_webapi_http_error'
    ? 'Slack answered with an HTTP error'
    : 'Slack did not answer');

/** Posts the rollback notice; returns what could not be posted, in words. */
async function announce(ask: Asked, r: UpgradeRecord, msg: SlackMessage): Promise<string[]> {
  const { deps, actor } = ask;
  const problems: string[] = [];
  const post = async (channel: string, where: string, extra: { thread_ts?: string } = {}) => {
    try {
      await deps.client.chat.postMessage({ channel, ...extra, ...msg });
    } catch (err) {
      const code = slackError(err);
      deps.logger.warn({ err, upgradeId: r.id, channel }, 'could not post the rollback notice');
      problems.push(
        code === 'not_in_channel' || code === 'channel_not_found'
          ? `I could not post it in ${where}: I am not in <#${channel}>. Invite me there with \`/invite @istio-upgrade-bot\` so incident rollbacks are posted in it.`
          : `I could not post it in ${where} (${code}); \`/istio status ${r.id}\` shows the progress.`,
      );
    }
  };
  const thread = await threadOf(r, deps.store).catch(() => undefined);
  if (thread) await post(r.channel, 'its thread', { thread_ts: thread });
  if (actor.channel !== r.channel || !thread) await post(actor.channel, 'this channel');
  return problems;
}

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
  const problems = await announce(
    ask,
    res.value,
    rollbackRequestedMessage(res.value, actor.user, reason, actor.channel),
  );
  const said =
    res.value.state === 'rolled_back'
      ? `:rewind: ${r.id} is rolled back.`
      : `:rewind: Rolling back ${r.id}: the rollback has started. Progress is posted in its thread.`;
  await ask.reply(infoMessage([said, ...problems].join('\n')));
}
