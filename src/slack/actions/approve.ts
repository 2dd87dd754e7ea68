/**
 * **Approve wave N** (and **Approve finish**). The record decides: the approval must still be pending
 * with this button's nonce (otherwise "already approved by … at …"), and the policy must allow this
 * user (four eyes, approvers, the channel). Then the engine approves and the message is replaced by the
 * decision.
 */
import type { App } from '@slack/bolt';
import { mayApprove } from '../../domain/policy.js';
import { ACTION, decidedMessage, decisionFor, decisionText } from '../blocks/approval.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { audit, refuse, type SlackDeps, whoIs } from '../context.js';
import { CLOSED_CODES, offerWindowStart } from './approve-at.js';
import { onClick } from './click.js';

export function registerApprove(app: App, deps: SlackDeps): void {
  onClick(app, deps, ACTION.approve, 'approve', async (c, progress) => {
    const { record: r, ref, client } = c;
    const wave = ref.wave || undefined;
    const a = r.approval;
    const pending =
      r.state === 'awaiting_approval' &&
      a !== undefined &&
      a.nonce === ref.nonce &&
      (a.wave ?? 0) === ref.wave;
    if (!pending) {
      const d = decisionFor(r, wave);
      const why = d
        ? `${decisionText(r, d)}.`
        : a
          ? `this button does not match the approval ${r.id} waits for now (${a.wave ? `wave ${a.wave}` : 'finish'}): use the buttons on the latest approval message.`
          : `this approval is no longer pending (${r.id} is ${r.state.replace('_', ' ')}).`;
      await c.reply(infoMessage(`:information_source: Nothing to do: ${why}`));
      await audit(deps, r.id, c.actor, 'approve', `stale click: ${why}`);
      if (d) await client.chat.update({ ...c.message, ...decidedMessage(r, d) });
      return;
    }
    const verdict = mayApprove(deps.policy, await whoIs(deps, c.actor), r);
    if (!verdict.allowed) return refuse(c, `approve ${wave ? `wave ${wave} of ` : ''}${r.id}`, verdict, r.id);
    progress.asking();
    const res = await deps.service.approve({ id: r.id, nonce: ref.nonce, actor: c.actor });
    if (!res.ok) {
      // outside the change windows: the approval message offers to start at the next one
      const label = CLOSED_CODES.has(res.error.code) ? await offerWindowStart(c, deps, r) : undefined;
      const hint = label
        ? `Or click *${label}* on the approval message: approved now, it starts when the window opens.`
        : res.error.hint;
      return c.reply(domainErrorMessage(`approve ${r.id}`, { ...res.error, ...(hint ? { hint } : {}) }));
    }
    progress.changed(`${wave ? `Wave ${wave} of ${r.id}` : `The finish of ${r.id}`} is approved`);
    const d = decisionFor(res.value, wave);
    if (d) await client.chat.update({ ...c.message, ...decidedMessage(res.value, d) });
  });
}
