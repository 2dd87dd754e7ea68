/**
 * What every button handler does first: read who clicked where, decode the button's value (ids only),
 * load the record. A value that does not decode, an unknown upgrade, or a button that is not the
 * approval message the notifier posted for that upgrade is refused and audited.
 */
import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import type { Actor } from '../../engine/api.js';
import { scrubSecrets } from '../../log.js';
import { ANALYSIS_NONCE, analysisActionsKey } from '../blocks/analysis.js';
import { approvalKey, type ButtonRef, decodeButton } from '../blocks/approval.js';
import { infoMessage, refusalMessage } from '../blocks/replies.js';
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
  // The Roll back under a failed analysis is checked against that message, every other button
  // against the approval message.
  const underAnalysis = ref.nonce === ANALYSIS_NONCE && ref.wave > 0;
  const key = underAnalysis ? analysisActionsKey(ref.wave) : approvalKey(record, ref.wave || undefined);
  const posted = await tsOf(record, key, deps.store);
  if ((posted && posted !== ts) || (underAnalysis && !posted))
    return refuseClick(
      `this button does not belong to the ${underAnalysis ? `newest traffic analysis of wave ${ref.wave}` : 'approval message'} of ${record.id}.`,
      record.id,
    );
  return { ...ask, ref, record, message: { channel, ts }, client };
}

/** What a button handler reports while it works, so a failure can say what did and did not happen. */
export interface ClickProgress {
  /** The engine is about to be asked: from here a failure may or may not have been recorded. */
  asking(): void;
  /** Something changed (in words, e.g. "Wave 1 of up-7k3q is approved"). */
  changed(what: string): void;
}

function causeOf(e: unknown): string {
  const slack = (e as { data?: { error?: string } }).data?.error;
  if (slack) return `Slack answered \`${slack}\``;
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('slack_webapi_')) return 'Slack did not answer';
  const msg = e instanceof Error ? e.message : String(e);
  if (/ECONNREFUSED|Connection is closed|Redis|MaxRetriesPerRequest/i.test(msg))
    return 'the bot could not reach its Redis';
  return scrubSecrets(msg).slice(0, 300);
}

/**
 * Registers a button: acks first, then runs `handle`; on any failure the person who clicked is
 * answered ("could not …, nothing changed", or what did change), through the click's response_url
 * (it works while the Web API does not), else ephemerally.
 */
export function onClick(
  app: App,
  deps: SlackDeps,
  actionId: string,
  verb: string,
  handle: (c: Click, p: ClickProgress) => Promise<void>,
): void {
  app.action<BlockAction>(actionId, async ({ ack, body, client, respond }) => {
    await ack();
    let asked = false;
    let changed: string | undefined;
    let id: string | undefined;
    try {
      const c = await readClick(deps, body, client, verb);
      if (!c) return;
      id = c.record.id;
      await handle(c, {
        asking: () => {
          asked = true;
        },
        changed: (what) => {
          changed = what;
        },
      });
    } catch (err) {
      deps.logger.error(
        { err, user: body.user.id, action: actionId, upgradeId: id },
        'button handler failed',
      );
      const cause = causeOf(err);
      const status = id ? ` \`/istio status ${id}\` shows where it is.` : '';
      const text = changed
        ? `:warning: ${changed}, but then something failed (${cause}).${status}`
        : asked
          ? `:warning: Could not ${verb}: ${cause}. It may or may not have been recorded.${status}`
          : `:x: Could not ${verb}: ${cause}. Nothing changed.`;
      const msg = infoMessage(text);
      await respond({ response_type: 'ephemeral', replace_original: false, ...msg }).catch(async () => {
        const channel = body.channel?.id ?? body.container?.channel_id;
        if (channel)
          await client.chat
            .postEphemeral({ channel, user: body.user.id, ...msg })
            .catch((e: unknown) => deps.logger.error({ err: e }, 'could not answer the click either'));
      });
    }
  });
}
