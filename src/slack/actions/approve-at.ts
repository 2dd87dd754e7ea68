/**
 * **Start at …** (issue 15): outside the cluster's change windows, approve a wave (or the finish) to
 * start when the next window opens. The button carries the opening it shows; the engine records the
 * approval and schedules the start only if that is still the next opening, otherwise it refuses with
 * the new time and the approval message gets a button for it. A plain **Approve** refused because the
 * cluster is closed also redraws the approval message with this button (`offerWindowStart`).
 */
import type { App } from '@slack/bolt';
import { mayApprove } from '../../domain/policy.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { approvalMessage, decidedMessage, decisionFor, namespacesFit } from '../blocks/approval.js';
import { namespacesFileName } from '../blocks/files.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { START_AT_ACTION, startLabel, windowStart } from '../blocks/window.js';
import { refuse, type SlackDeps, whoIs } from '../context.js';
import { type Click, onClick } from './click.js';

/** Codes of an approval refused for the calendar, which a start at the next window answers. */
export const CLOSED_CODES = new Set(['outside_change_window', 'change_freeze', 'window_changed']);

/**
 * Redraws the approval message with a **Start at …** button for the next opening (when one opens
 * within a week) and says so; returns the label, or undefined when there is no opening to offer.
 */
export async function offerWindowStart(
  c: Click,
  deps: SlackDeps,
  r: UpgradeRecord,
): Promise<string | undefined> {
  const start = windowStart(deps.policy.clusters[r.cluster], (deps.now ?? Date.now)());
  const wave = r.approval?.wave;
  if (!start || r.state !== 'awaiting_approval') return undefined;
  const file = wave && !namespacesFit(r, wave) ? namespacesFileName(r, wave) : undefined;
  await c.client.chat.update({ ...c.message, ...approvalMessage(r, deps.policy.fourEyes, file, start) });
  return startLabel(start);
}

export function registerApproveAt(app: App, deps: SlackDeps): void {
  onClick(app, deps, START_AT_ACTION, 'approve', async (c, progress) => {
    const { record: r, ref, client } = c;
    const wave = ref.wave || undefined;
    const a = r.approval;
    if (ref.startAt === undefined) return c.reply(infoMessage(':x: This button does not say when to start.'));
    if (r.state !== 'awaiting_approval' || a?.nonce !== ref.nonce || (a.wave ?? 0) !== ref.wave) {
      const d = decisionFor(r, wave);
      await c.reply(
        infoMessage(
          `:information_source: Nothing to do: ${d ? 'this approval was already decided' : `${r.id} is ${r.state.replace('_', ' ')}`}.`,
        ),
      );
      if (d) await client.chat.update({ ...c.message, ...decidedMessage(r, d) });
      return;
    }
    const verdict = mayApprove(deps.policy, await whoIs(deps, c.actor), r);
    if (!verdict.allowed) return refuse(c, `approve ${wave ? `wave ${wave} of ` : ''}${r.id}`, verdict, r.id);
    progress.asking();
    const startAt = new Date(ref.startAt * 1000).toISOString();
    const res = await deps.service.approve({ id: r.id, nonce: ref.nonce, actor: c.actor, startAt });
    if (!res.ok) {
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
