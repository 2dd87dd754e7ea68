/** `/istio unlock CLUSTER`: operators free a lock whose upgrade record is gone (the engine decides and audits). */
import type { UnlockCommand } from '../../domain/command/types.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import type { Asked } from '../context.js';

export async function unlock(ask: Asked, cmd: UnlockCommand): Promise<void> {
  const res = await ask.deps.service.unlock(cmd.cluster, ask.actor);
  if (!res.ok) return ask.reply(domainErrorMessage(`unlock ${cmd.cluster}`, res.error));
  await ask.reply(
    infoMessage(
      res.value.holder
        ? `:unlock: ${cmd.cluster} is free: the lock held by ${res.value.holder} (record gone or finished) was removed. New upgrades can start.`
        : `:unlock: ${cmd.cluster} was not locked; nothing to do.`,
    ),
  );
}
