/**
 * Routes `/istio …` to one handler per subcommand. Acks first, always within Slack's 3 s: parse errors
 * and help are answered in the ack itself (ephemeral); everything else is acked empty and answered
 * through the response URL once the policy and the engine have spoken.
 */
import type { App } from '@slack/bolt';
import { parseCommand } from '../../domain/command/index.js';
import type { IstioCommand } from '../../domain/command/types.js';
import { isCodedError } from '../../errors.js';
import { commandErrorMessage, domainErrorMessage } from '../blocks/replies.js';
import type { Asked, SlackDeps } from '../context.js';
import { abort } from './abort.js';
import { help } from './help.js';
import { list } from './list.js';
import { pause } from './pause.js';
import { ps } from './ps.js';
import { resume } from './resume.js';
import { retry } from './retry.js';
import { rollback } from './rollback.js';
import { status } from './status.js';
import { unlock } from './unlock.js';
import { upgrade } from './upgrade.js';

type Handlers = {
  [K in Exclude<IstioCommand['kind'], 'help'>]: (
    ask: Asked,
    cmd: Extract<IstioCommand, { kind: K }>,
  ) => Promise<void>;
};

const HANDLERS: Handlers = { upgrade, status, list, rollback, abort, pause, resume, retry, ps, unlock };

export function registerCommands(app: App, deps: SlackDeps, name = '/istio'): void {
  app.command(name, async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...commandErrorMessage(parsed.error) });
      return;
    }
    const cmd = parsed.value;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...help(cmd) });
      return;
    }
    await ack();
    // Yield once: requests already waiting on the socket get parsed and acked before this one's
    // follow-up work (policy, Redis, the reply), so acks stay fast under bursts.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const ask: Asked = {
      deps,
      actor: { user: command.user_id, channel: command.channel_id },
      reply: async (m) => {
        await respond({ response_type: 'ephemeral', ...m });
      },
    };
    try {
      await (HANDLERS[cmd.kind] as (a: Asked, c: IstioCommand) => Promise<void>)(ask, cmd);
    } catch (err) {
      deps.logger.error({ err, user: command.user_id, subcommand: cmd.kind }, '/istio failed');
      const code = isCodedError(err) ? err.code : 'internal_error';
      const message = err instanceof Error ? err.message : String(err);
      await ask.reply(domainErrorMessage(`run \`/istio ${cmd.kind}\``, { code, message })).catch(() => {});
    }
  });
}
