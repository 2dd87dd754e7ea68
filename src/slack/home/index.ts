/**
 * The App Home tab: on `app_home_opened` (tab `home`), the viewer's clusters are decided from the
 * channels they are in and the roles the policy gives them (src/domain/viewer.ts), gathered
 * (gather.ts) and published with `views.publish` (view.ts). Nothing here can fail the view: a source
 * that fails shows `unavailable`; a publish Slack refuses is logged with Slack's reason. Every Slack
 * call has a deadline and is cancelled at it (abortable.ts).
 */
import type { App, webApi } from '@slack/bolt';
import type { Result } from '../../domain/result.js';
import { channelsIn, clustersVisibleTo } from '../../domain/viewer.js';
import type { ControlPlane } from '../../engine/ports.js';
import { deadline, withSignal } from '../abortable.js';
import type { SlackDeps } from '../context.js';
import { createHomeGatherer } from './gather.js';
import { createChannelMembers } from './members.js';
import { homeView } from './view.js';

/** The cluster read the Home tab needs (the engine's `reads.controlPlanes`). */
export type ControlPlaneQuery = (cluster: string, signal: AbortSignal) => Promise<Result<ControlPlane[]>>;

export interface HomeOptions {
  controlPlanes?: ControlPlaneQuery;
  now?: () => number;
  /** Each source's deadline (default 4 s). */
  readTimeoutMs?: number;
  /** How long channel members are reused (default 1 min). */
  membersTtlMs?: number;
}

const slackError = (e: unknown) => (e as { data?: { error?: string } }).data?.error;

async function permalinkOf(
  client: webApi.WebClient,
  channel: string,
  ts: string,
  signal: AbortSignal,
): Promise<string | null> {
  const res = await withSignal(signal, () => client.chat.getPermalink({ channel, message_ts: ts }));
  return res.permalink ?? null;
}

/** Longest `views.publish` may take (its retries included) before it is cancelled and logged. */
const PUBLISH_TIMEOUT_MS = 15_000;

export function registerHome(app: App, deps: SlackDeps, o: HomeOptions = {}): void {
  const members = createChannelMembers({
    client: deps.client,
    channels: channelsIn(deps.policy),
    logger: deps.logger,
    ...(o.membersTtlMs !== undefined ? { ttlMs: o.membersTtlMs } : {}),
  });
  const gather = createHomeGatherer({
    policy: deps.policy,
    service: deps.service,
    ...(o.controlPlanes ? { controlPlanes: o.controlPlanes } : {}),
    permalink: (channel, ts, signal) => permalinkOf(deps.client, channel, ts, signal),
    now: o.now ?? Date.now,
    ...(o.readTimeoutMs !== undefined ? { readTimeoutMs: o.readTimeoutMs } : {}),
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    const user = event.user;
    try {
      const [channels, groups] = await Promise.all([members.channelsOf(user), deps.groups.groupsOf(user)]);
      const clusters = clustersVisibleTo(deps.policy, { user, groups, channels });
      const view = homeView(await gather(clusters), deps.policy);
      await withSignal(deadline(PUBLISH_TIMEOUT_MS, 'views.publish'), () =>
        deps.client.views.publish({ user_id: user, view }),
      );
    } catch (err) {
      deps.logger.error(
        { err, user, slackError: slackError(err) },
        'could not publish the App Home (is the Home tab enabled in the app settings?)',
      );
    }
  });
}
