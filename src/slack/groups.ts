/**
 * User-group membership for policy checks, resolved with `usergroups.users.list` (scope
 * `usergroups:read`) and cached briefly. Only the groups the policy names are resolved. When Slack
 * cannot be asked, a stale answer is used if there is one; otherwise the user counts as in no group
 * (fail closed: a group-based approval is refused, never granted by an error).
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.js';

export interface GroupResolver {
  /** The ids, among the policy's groups, of those `user` belongs to. */
  groupsOf(user: string): Promise<string[]>;
}

interface Entry {
  users: Set<string>;
  at: number;
}

export function createGroupResolver(opts: {
  client: webApi.WebClient;
  groups: string[];
  logger: Logger;
  ttlMs?: number;
  now?: () => number;
}): GroupResolver {
  const ttl = opts.ttlMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Set<string>>>();

  async function fetchGroup(id: string): Promise<Set<string>> {
    try {
      const res = await opts.client.usergroups.users.list({ usergroup: id });
      const users = new Set(res.users ?? []);
      cache.set(id, { users, at: now() });
      return users;
    } catch (e) {
      const stale = cache.get(id);
      opts.logger.warn(
        { err: e, usergroup: id, stale: Boolean(stale) },
        'usergroups.users.list failed; using the cached members if any',
      );
      return stale?.users ?? new Set();
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
