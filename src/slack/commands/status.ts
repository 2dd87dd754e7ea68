/** `/istio status [ID] [--details]`: one upgrade (with every diff line on --details) or the active ones. */
import type { StatusCommand } from '../../domain/command/types.js';
import { mayView } from '../../domain/policy.js';
import { diffDetailMessages } from '../blocks/diff.js';
import { infoMessage } from '../blocks/replies.js';
import { listMessage, statusMessage } from '../blocks/status.js';
import { type Asked, refuse } from '../context.js';

/** A response_url takes 5 messages: the status itself plus at most 4 parts of details. */
const DETAIL_MESSAGES = 4;

export async function status(ask: Asked, cmd: StatusCommand): Promise<void> {
  const { deps, actor } = ask;
  if (!cmd.id) {
    const v = mayView(deps.policy, actor.channel);
    if (!v.allowed) return refuse(ask, 'see upgrades here', v);
    const active = await deps.service.list({ activeOnly: true, limit: 20 });
    const visible = active.filter((r) => mayView(deps.policy, actor.channel, r.cluster).allowed);
    return ask.reply(listMessage(visible, 'Active upgrades'));
  }
  const r = await deps.service.get(cmd.id);
  if (!r)
    return ask.reply(
      infoMessage(
        `:grey_question: There is no upgrade \`${cmd.id}\`. \`/istio list\` shows the recent ones.`,
      ),
    );
  const v = mayView(deps.policy, actor.channel, r.cluster);
  if (!v.allowed) return refuse(ask, `see ${r.id} here`, v, r.id);
  await ask.reply(statusMessage(r));
  if (!cmd.details) return;
  const diffs = [...(await deps.store.diffs(r.id)).entries()].sort(([a], [b]) => a - b);
  if (diffs.length === 0)
    return ask.reply(infoMessage(`No proxy-status diff for ${r.id} yet: one is posted after each wave.`));
  const parts = diffs.flatMap(([wave, diff]) =>
    diffDetailMessages(r, wave, diff, { maxMessages: DETAIL_MESSAGES }),
  );
  const shown = parts.slice(0, DETAIL_MESSAGES);
  if (parts.length > DETAIL_MESSAGES) {
    shown[DETAIL_MESSAGES - 1] = infoMessage(
      `…${parts.length - DETAIL_MESSAGES + 1} more parts: ask for one wave's diff at a time in the thread, or run \`istio-upgrade-bot ps diff\`.`,
    );
  }
  for (const m of shown) await ask.reply(m);
}
