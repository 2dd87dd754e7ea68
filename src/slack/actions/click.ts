/**
 * What every button handler does first: read who clicked where, decode the button's value (ids only),
 * load the record. A value that does not decode, an unknown upgrade, or a button that is not the
 * approval message the notifier posted for that upgrade is refused and audited.
 */
import type { BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import type { Actor } from '../../engine/api.js';
import { approvalKey, type ButtonRef, decodeButton } from '../blocks/approval.js';
import { refusalMessage } from '../blocks/replies.js';
import type { SlackMessage } from '../blocks/text.js';
import { type Asked, audit, type SlackDeps } from '../context.js';
import { tsOf } from '../notifier.js';

export interface Click extends Asked {
  ref: ButtonRef;
  record: UpgradeRecord;
  /** The message that holds the button. */
  message: { channel: string; ts: string };
  client: webApi.WebClient;
}

export async function readClick(
  deps: SlackDeps,
  body: BlockAction,
  client: webApi.WebClient,
  verb: string,
): Promise<Click | null> {
  const action = body.actions[0] as ButtonAction | undefined;
  const channel = body.channel?.id ?? body.container?.channel_id ?? '';
  const ts = body.message?.ts ?? body.container?.message_ts ?? '';
  const threadTs = (body.message?.thread_ts as string | undefined) ?? body.container?.thread_ts;
  const actor: Actor = { user: body.user.id, channel };
  const ask: Asked = {
    deps,
    actor,
    reply: async (m: SlackMessage) => {
      await client.chat.postEphemeral({
        channel,
        user: actor.user,
        ...m,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
    },
  };
  const refuseClick = async (reason: string, id?: string) => {
    await ask.reply(refusalMessage(verb, reason));
    await audit(deps, id, actor, verb, reason);
    return null;
  };
  const ref = decodeButton(action?.value);
  if (!ref)
    return refuseClick('this button is not one of mine (its value does not read as an upgrade button).');
  const record = await deps.service.get(ref.id);
  if (!record) return refuseClick(`there is no upgrade \`${ref.id}\`.`);
  const posted = await tsOf(record, approvalKey(record, ref.wave || undefined), deps.store);
  if (posted && posted !== ts)
    return refuseClick(`this button does not belong to the approval message of ${record.id}.`, record.id);
  return { ...ask, ref, record, message: { channel, ts }, client };
}
