/** Shared by pause/resume/abort/retry: find the record, check the policy, ask the engine, answer. */
import { type ControlAction, mayControl } from '../../domain/policy.js';
import type { Result } from '../../domain/result.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { domainErrorMessage, infoMessage } from '../blocks/replies.js';
import { type Asked, refuse, whoIs } from '../context.js';

export async function control(
  ask: Asked,
  id: string,
  action: ControlAction,
  call: (r: UpgradeRecord) => Promise<Result<UpgradeRecord>>,
  done: (r: UpgradeRecord) => string,
): Promise<void> {
  const { deps, actor } = ask;
  const r = await deps.service.get(id);
  if (!r)
    return ask.reply(
      infoMessage(`:grey_question: There is no upgrade \`${id}\`. \`/istio list\` shows the recent ones.`),
    );
  const verdict = mayControl(deps.policy, await whoIs(deps, actor), r, action);
  if (!verdict.allowed) return refuse(ask, `${action} ${id}`, verdict, id);
  const res = await call(r);
  if (!res.ok) return ask.reply(domainErrorMessage(`${action} ${id}`, res.error));
  await ask.reply(infoMessage(done(res.value)));
}
