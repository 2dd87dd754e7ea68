/** **Pause** on an approval message: stops the upgrade from going on until `/istio resume`. */
import type { App } from '@slack/bolt';
import { mayControl } from '../../domain/policy.js';
import { ACTION, decidedMessage } from '../blocks/approval.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { refuse, type SlackDeps, whoIs } from '../context.js';
import { onClick } from './click.js';

export function registerPause(app: App, deps: SlackDeps): void {
  onClick(app, deps, ACTION.pause, 'pause', async (c, progress) => {
    const { record: r, client } = c;
    const verdict = mayControl(deps.policy, await whoIs(deps, c.actor), r, 'pause');
    if (!verdict.allowed) return refuse(c, `pause ${r.id}`, verdict, r.id);
    progress.asking();
    const res = await deps.service.pause(r.id, c.actor);
    if (!res.ok) return c.reply(domainErrorMessage(`pause ${r.id}`, res.error));
    progress.changed(`${r.id} is paused (\`/istio resume ${r.id}\` asks for approval again)`);
    const d = res.value.decisions.at(-1);
    if (d?.outcome === 'paused') {
      await client.chat.update({
        ...c.message,
        ...decidedMessage(res.value, { ...d, ...(c.ref.wave ? { wave: c.ref.wave } : {}) }),
      });
    }
    await c.reply(
      infoMessage(
        `:double_vertical_bar: ${r.id} is paused. \`/istio resume ${r.id}\` asks for approval again.`,
      ),
    );
  });
}
