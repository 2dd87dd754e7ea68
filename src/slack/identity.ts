/**
 * The Slack entry point's identity: every call it makes to the engine carries the user-group ids the
 * user belongs to (resolved from Slack), so the engine can enforce the policy itself (it is the guard
 * for every entry point; see src/engine/api.ts).
 */
import type { Actor, UpgradeService } from '../engine/api.js';
import type { GroupResolver } from './groups.js';

export function withIdentity(service: UpgradeService, groups: GroupResolver): UpgradeService {
  const who = async (a: Actor): Promise<Actor> => ({ ...a, groups: await groups.groupsOf(a.user) });
  return {
    ...service,
    request: async (r) => service.request({ ...r, requester: await who(r.requester) }),
    approve: async (d) => service.approve({ ...d, actor: await who(d.actor) }),
    rollback: async (r) => service.rollback({ ...r, actor: await who(r.actor) }),
    pause: async (id, a) => service.pause(id, await who(a)),
    resume: async (id, a) => service.resume(id, await who(a)),
    abort: async (id, a) => service.abort(id, await who(a)),
    retry: async (id, a) => service.retry(id, await who(a)),
    unlock: async (cluster, a) => service.unlock(cluster, await who(a)),
  };
}
