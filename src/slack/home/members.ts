/**
 * Channel membership for the App Home, read with `conversations.members` (scopes `channels:read`,
 * `groups:read`; the bot must be in a private channel) for the channels the policy names only, and
 * cached per channel for `ttlMs` — one read per channel serves every viewer, so the calls are bounded
 * by the policy's channels, not by the people who open the Home tab.
 *
 * Bounded and fail-closed like the user groups (groups.ts): at most `maxPages` pages of 1,000 members
 * per channel (a larger channel counts only those; logged), all of them within `readTimeoutMs` (one
 * deadline for the channel's whole read, its Web API calls cancelled with it: abortable.ts), so the
 * Home tab is answered in bounded time whatever Slack does; a definitive refusal (channel not found,
 * missing scope, bad token) empties the channel at once; a transient failure uses the cached members
 * while they are younger than `maxAgeMs`, then none — a failure never shows more than Slack last said.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { deadline, withSignal } from '../abortable.js';
import { DEFINITIVE_ERRORS } from '../groups.js';

export interface ChannelMembers {
  /** The channels among `channels` that `user` is a member of. */
  channelsOf(user: string): Promise<Set<string>>;
}

const DEFINITIVE = new Set([...DEFINITIVE_ERRORS, 'channel_not_found', 'invalid_cursor', 'invalid_limit']);
const PAGE = 1000;

interface Entry {
  users: Set<string>;
  at: number;
}

const slackError = (e: unknown): string | undefined => (e as { data?: { error?: string } }).data?.error;

export function createChannelMembers(opts: {
  client: webApi.WebClient;
  channels: string[];
  logger: Logger;
  ttlMs?: number;
  maxAgeMs?: number;
  maxPages?: number;
  /** One channel's whole read (every page) within this (default 5 s); late counts as failed. */
  readTimeoutMs?: number;
  now?: () => number;
}): ChannelMembers {
  const ttl = opts.ttlMs ?? 60_000;
  const maxAge = Math.max(opts.maxAgeMs ?? 10 * 60_000, ttl);
  const maxPages = opts.maxPages ?? 10;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Set<string>>>();

  const readTimeout = opts.readTimeoutMs ?? 5_000;

  async function read(channel: string): Promise<Set<string>> {
    const users = new Set<string>();
    const signal = deadline(readTimeout, `conversations.members of ${channel}`);
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const res = await withSignal(signal, () =>
        opts.client.conversations.members({
          channel,
          limit: PAGE,
          ...(cursor ? { cursor } : {}),
        }),
      );
      for (const u of res.members ?? []) users.add(u);
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return users;
    }
    opts.logger.warn(
      { channel, counted: users.size, maxPages },
      'channel has more members than the App Home reads: only the first pages count',
    );
    return users;
  }

  async function fetchChannel(channel: string): Promise<Set<string>> {
    try {
      const users = await read(channel);
      cache.set(channel, { users, at: now() });
      return users;
    } catch (err) {
      const code = slackError(err);
      if (code && DEFINITIVE.has(code)) {
        cache.set(channel, { users: new Set(), at: now() });
        opts.logger.error(
          { err, channel, code },
          'conversations.members refused: nobody counts as a member of the channel (is the bot in it? scopes channels:read, groups:read?)',
        );
        return new Set();
      }
      const cached = cache.get(channel);
      const usable = cached !== undefined && now() - cached.at <= maxAge;
      if (!usable) cache.delete(channel);
      opts.logger.warn(
        { err, channel, usingCached: usable },
        'conversations.members failed; the App Home uses the recent members or none',
      );
      return usable ? cached.users : new Set();
    }
  }

  function members(channel: string): Promise<Set<string>> {
    const hit = cache.get(channel);
    if (hit && now() - hit.at < ttl) return Promise.resolve(hit.users);
    let p = inflight.get(channel);
    if (!p) {
      p = fetchChannel(channel).finally(() => inflight.delete(channel));
      inflight.set(channel, p);
    }
    return p;
  }

  return {
    async channelsOf(user) {
      const sets = await Promise.all(opts.channels.map(async (c) => [c, await members(c)] as const));
      return new Set(sets.filter(([, users]) => users.has(user)).map(([c]) => c));
    },
  };
}
