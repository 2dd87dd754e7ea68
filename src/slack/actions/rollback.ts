/** **Roll back** on an approval message: allowed at any moment before the end, by the policy. */
import type { App } from '@slack/bolt';
import { mayControl } from '../../domain/policy.js';
import { TERMINAL_STATES } from '../../domain/upgrade/record.js';
import { ACTION, decidedMessage } from '../blocks/approval.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { mention, section, when } from '../blocks/text.js';
import { refuse, type SlackDeps, whoIs } from '../context.js';
import { onClick } from './click.js';

export function registerRollback(app: App, deps: SlackDeps): void {
  onClick(app, deps, ACTION.rollback, 'roll back', async (c, progress) => {
    const { record: r, client } = c;
    if (TERMINAL_STATES.includes(r.state) || r.state === 'rolling_back') {
      return c.reply(infoMessage(`:information_source: ${r.id} is already ${r.state.replace('_', ' ')}.`));
    }
    const verdict = mayControl(deps.policy, await whoIs(deps, c.actor), r, 'rollback');
    if (!verdict.allowed) return refuse(c, `roll back ${r.id}`, verdict, r.id);
    const reason = `Roll back button on the approval of ${c.ref.wave ? `wave ${c.ref.wave}` : 'the finish'}`;
    progress.asking();
    const res = await deps.service.rollback({ id: r.id, actor: c.actor, reason });
    if (!res.ok) return c.reply(domainErrorMessage(`roll back ${r.id}`, res.error));
    progress.changed(`The rollback of ${r.id} has started (progress in its thread)`);
    const d = res.value.decisions.at(-1);
    const msg =
      d && d.outcome === 'rolled_back'
        ? decidedMessage(res.value, { ...d, ...(c.ref.wave ? { wave: c.ref.wave } : {}) })
        : {
            text: `Rollback of ${r.id} requested by ${c.actor.user}`,
            blocks: [
              section(
                `:rewind: Rollback of ${r.id} requested by ${mention(c.actor.user)} ${when(new Date().toISOString())}`,
              ),
            ],
          };
    await client.chat.update({ ...c.message, ...msg });
  });
}
