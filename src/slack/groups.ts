/**
 * User-group membership for policy checks, resolved with `usergroups.users.list` (scope
 * `usergroups:read`) and cached for `ttlMs`. Only the groups the policy names are resolved.
 *
 * When Slack cannot be asked, rights must not outlive what Slack last said for long, and never what
 * it says now:
 * - a definitive answer (the group does not exist, the token is not valid or may not read groups)
 *   empties the group at once: nobody is in it until Slack names its members again;
 * - a transient failure (network, 5xx, rate limit, timeout, or no answer within `readTimeoutMs`: the
 *   call is then cancelled, abortable.ts) uses the cached members only while they
 *   are younger than `maxAgeMs`; past that the group is empty (fail closed: a group-based approval is
 *   refused, never granted by an error).
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.js';
import { deadline, withSignal } from './abortable.js';

export interface GroupResolver {
  /** The ids, among the policy's groups, of those `user` belongs to. */
  groupsOf(user: string): Promise<string[]>;
}

interface Entry {
  users: Set<string>;
  at: number;
}

/** Slack errors that say what the membership is (none), not that Slack could not say it. */
export const DEFINITIVE_ERRORS = new Set([
  'no_such_subteam',
  'subteam_not_found',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'not_allowed_token_type',
  'team_access_not_granted',
]);

export const DEFAULT_GROUPS_TTL_MS = 60_000;
export const DEFAULT_GROUPS_MAX_AGE_MS = 10 * 60_000;

const slackError = (e: unknown): string | undefined => (e as { data?: { error?: string } }).data?.error;

export function createGroupResolver(opts: {
  client: webApi.WebClient;
  groups: string[];
  logger: Logger;
  /** How long an answer is used without asking again (default 1 min). */
  ttlMs?: number;
  /** How long cached members may stand in for Slack while it cannot answer (default 10 min). */
  maxAgeMs?: number;
  /** One group's read within this, its call cancelled at it (default 15 s); late counts as failed. */
  readTimeoutMs?: number;
  now?: () => number;
}): GroupResolver {
  const ttl = opts.ttlMs ?? DEFAULT_GROUPS_TTL_MS;
  const maxAge = Math.max(opts.maxAgeMs ?? DEFAULT_GROUPS_MAX_AGE_MS, ttl);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Set<string>>>();

  async function fetchGroup(id: string): Promise<Set<string>> {
    try {
      const signal = deadline(opts.readTimeoutMs ?? 15_000, `usergroups.users.list of ${id}`);
      const res = await withSignal(signal, () => opts.client.usergroups.users.list({ usergroup: id }));
      const users = new Set(res.users ?? []);
      cache.set(id, { users, at: now() });
      return users;
    } catch (err) {
      const code = slackError(err);
      if (code && DEFINITIVE_ERRORS.has(code)) {
        cache.set(id, { users: new Set(), at: now() });
        opts.logger.error(
          { err, usergroup: id, code },
          'usergroups.users.list refused: the group counts as empty (nobody gets rights through it)',
        );
        return new Set();
      }
      const cached = cache.get(id);
      const age = cached ? now() - cached.at : undefined;
      const usable = cached !== undefined && age !== undefined && age <= maxAge;
      if (!usable) cache.delete(id);
      opts.logger.warn(
        { err, usergroup: id, cachedAgeMs: age ?? null, maxAgeMs: maxAge, usingCached: usable },
        usable
          ? 'usergroups.users.list failed; using the cached members (younger than the maximum age)'
          : 'usergroups.users.list failed and no recent answer is cached: the group counts as empty',
      );
      return usable ? cached.users : new Set();
    }
  }

  function members(id: string): Promise<Set<string>> {
    const hit = cache.get(id);
    if (hit && now() - hit.at < ttl) return Promise.resolve(hit.users);
    let p = inflight.get(id);
    if (!p) {
      p = fetchGroup(id).finally(() => inflight.delete(id));
      inflight.set(id, p);
    }
    return p;
  }

  return {
    async groupsOf(user) {
      const sets = await Promise.all(opts.groups.map(async (g) => [g, await members(g)] as const));
      return sets.filter(([, users]) => users.has(user)).map(([g]) => g);
    },
  };
}
