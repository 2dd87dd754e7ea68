/**
 * What command and action handlers share: the engine's service, the policy, group resolution, the
 * notifier's store, and helpers to answer and to refuse (every refusal is answered ephemerally and
 * audited).
 */

import type { webApi } from '@slack/bolt';
import type { Policy, Verdict, Who } from '../domain/policy.js';
import type { Snapshot } from '../domain/proxystatus/model.js';
import type { NodeVersions } from '../domain/upgrade/ambient/index.js';
import type { Actor, UpgradeService } from '../engine/api.js';
import type { Logger } from '../log.js';
import { refusalMessage } from './blocks/replies.js';
import type { SlackMessage } from './blocks/text.js';
import type { GroupResolver } from './groups.js';
import type { NotifierStore } from './store.js';

/** Proxy status of a cluster, when this process has a cluster connection (not in ROLE=bot); `nodes`:
 * an ambient mesh's ztunnel and istio-cni versions per node (no sync diff for them; additive). */
export type ProxyStatusQuery = (q: {
  cluster: string;
  namespace?: string;
}) => Promise<Snapshot & { nodes?: NodeVersions[] }>;

export interface SlackDeps {
  service: UpgradeService;
  policy: Policy;
  groups: GroupResolver;
  store: NotifierStore;
  logger: Logger;
  client: webApi.WebClient;
  defaultCluster: string;
  proxyStatus?: ProxyStatusQuery;
  /** The clock for what the Slack side says about time (when waves can start); default Date.now. */
  now?: () => number;
}

/** One request from a person: who, where, and how to answer them privately. */
export interface Asked {
  deps: SlackDeps;
  actor: Actor;
  /** Answers only the person who asked (ephemeral). */
  reply(msg: SlackMessage): Promise<void>;
}

export async function whoIs(deps: SlackDeps, actor: Actor): Promise<Who> {
  return { user: actor.user, channel: actor.channel, groups: await deps.groups.groupsOf(actor.user) };
}

/**
 * Records a refusal: in the refusal log (`/istio list --refusals`) and the upgrade's audit log when
 * there is an upgrade; in the process log always, also when Redis cannot be written.
 */
export async function audit(
  deps: SlackDeps,
  id: string | undefined,
  actor: Actor,
  action: string,
  reason: string,
): Promise<void> {
  deps.logger.warn(
    { audit: true, upgradeId: id, user: actor.user, channel: actor.channel, action, reason },
    'refused',
  );
  try {
    await deps.service.auditRefusal(id, actor, action, reason);
  } catch (err) {
    deps.logger.error({ err, upgradeId: id, action }, 'could not write the refusal to the audit log');
  }
}

/** Answers a refusal ephemerally and audits it. */
export async function refuse(
  ask: Asked,
  action: string,
  verdict: Extract<Verdict, { allowed: false }> | { code: string; reason: string },
  id?: string,
): Promise<void> {
  await ask.reply(refusalMessage(action, verdict.reason));
  await audit(ask.deps, id, ask.actor, action, `${verdict.code}: ${verdict.reason}`);
}
