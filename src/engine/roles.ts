/** Process roles: one program, `ROLE=bot|worker|all` (default all); bot and workers scale separately on Redis. */
import { err, ok, type Result } from '../domain/result.js';

export type Role = 'bot' | 'worker' | 'all';
export const ROLES: readonly Role[] = ['bot', 'worker', 'all'];

export function parseRole(value: string | undefined): Result<Role> {
  const v = (value ?? 'all').trim().toLowerCase() || 'all';
  if ((ROLES as readonly string[]).includes(v)) return ok(v as Role);
  return err({
    code: 'config_invalid',
    message: `ROLE="${value}" is not a role.`,
    hint: 'Set ROLE to bot (Slack only), worker (upgrade steps only) or all (both, the default).',
  });
}

/** The Slack app (and the UpgradeService) runs in this process. */
export const runsBot = (r: Role): boolean => r !== 'worker';
/** A BullMQ worker runs in this process (engine.startWorker()). */
export const runsWorker = (r: Role): boolean => r !== 'bot';
