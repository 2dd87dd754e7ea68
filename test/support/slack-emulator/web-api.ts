/**
 * STAND-IN for Slack's Web API (test/support only): the methods the bot calls, with Slack's argument
 * checks and error names (docs.slack.dev/reference/methods/*): `not_authed`, `invalid_auth`,
 * `not_allowed_token_type`, `channel_not_found`, `not_in_channel`, `no_text`, `invalid_blocks`,
 * `invalid_blocks_format`, `msg_too_long`, `message_not_found`, `cant_update_message`,
 * `user_not_in_channel`, `no_such_subteam`, `unknown_method`, the file upload flow (files.ts), the App
 * Home's `views.publish`, `conversations.members` and `chat.getPermalink` (views.ts), and 429
 * `ratelimited` with Retry-After.
 */
import { validateBlocks } from './block-kit-limits.js';
import { completeUploadExternal, getUploadURLExternal } from './files.js';
import type { EmuMessage, SlackState } from './state.js';
import { conversationsMembers, getPermalink, viewsPublish } from './views.js';

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

type Args = Record<string, unknown>;
const MAX_TEXT = 40_000;

const fail = (error: string, extra: Record<string, unknown> = {}): ApiResponse => ({
  status: 200,
  body: { ok: false, error, ...extra },
});
const okBody = (body: Record<string, unknown> = {}): ApiResponse => ({
  status: 200,
  body: { ok: true, ...body },
});

export interface ApiContext {
  state: SlackState;
  /** Opens a Socket Mode ticket; returns the wss URL. */
  openSocket(): string;
  /** Where this emulator serves (upload URLs point at it). */
  baseUrl: string;
}

function parseBlocks(args: Args): { blocks?: Record<string, unknown>[]; error?: ApiResponse } {
  if (args.blocks === undefined || args.blocks === '') return {};
  let blocks: unknown = args.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return { error: fail('invalid_blocks_format') };
    }
  }
  if (!Array.isArray(blocks)) return { error: fail('invalid_blocks_format') };
  const problems = validateBlocks(blocks);
  if (problems.length > 0)
    return { error: fail('invalid_blocks', { errors: problems, response_metadata: { messages: problems } }) };
  return { blocks: blocks as Record<string, unknown>[] };
}

function content(args: Args): { text: string; blocks?: Record<string, unknown>[]; error?: ApiResponse } {
  const parsed = parseBlocks(args);
  if (parsed.error) return { text: '', error: parsed.error };
  const text = typeof args.text === 'string' ? args.text : '';
  if (text === '' && !parsed.blocks && args.attachments === undefined)
    return { text, error: fail('no_text') };
  if (text.length > MAX_TEXT) return { text, error: fail('msg_too_long') };
  return { text, ...(parsed.blocks ? { blocks: parsed.blocks } : {}) };
}

function channelFor(state: SlackState, args: Args): { id: string; error?: ApiResponse } {
  const id = typeof args.channel === 'string' ? args.channel : '';
  const ch = state.channels.get(id);
  if (!ch) return { id, error: fail('channel_not_found') };
  return { id };
}

const METHODS: Record<string, (ctx: ApiContext, args: Args) => ApiResponse> = {
  'auth.test': ({ state }) =>
    okBody({
      url: 'https://emulator.slack.test/',
      team: 'Emulator',
      user: 'istio-upgrade-bot',
      team_id: state.teamId,
      user_id: state.botUserId,
      bot_id: state.botId,
      is_enterprise_install: false,
    }),

  'chat.postMessage': ({ state }, args) => {
    const ch = channelFor(state, args);
    if (ch.error) return ch.error;
    if (!state.channels.get(ch.id)!.members.has(state.botUserId)) return fail('not_in_channel');
    const c = content(args);
    if (c.error) return c.error;
    const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
    if (threadTs && !state.find(ch.id, threadTs)) return fail('thread_not_found');
    const msg: EmuMessage = {
      channel: ch.id,
      ts: state.nextTs(),
      user: state.botUserId,
      bot_id: state.botId,
      text: c.text,
      versions: [{ text: c.text, ...(c.blocks ? { blocks: c.blocks } : {}) }],
      via: 'api',
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(c.blocks ? { blocks: c.blocks } : {}),
    };
    state.messages.push(msg);
    return okBody({ channel: ch.id, ts: msg.ts, message: { ...msg, versions: undefined } });
  },

  'chat.update': ({ state }, args) => {
    const ch = channelFor(state, args);
    if (ch.error) return ch.error;
    const msg = state.find(ch.id, String(args.ts ?? ''));
    if (!msg) return fail('message_not_found');
    if (msg.user !== state.botUserId) return fail('cant_update_message');
    const c = content(args);
    if (c.error) return c.error;
    msg.text = c.text;
    if (c.blocks) msg.blocks = c.blocks;
    else delete msg.blocks;
    msg.versions.push({ text: c.text, ...(c.blocks ? { blocks: c.blocks } : {}) });
    return okBody({ channel: ch.id, ts: msg.ts, text: msg.text });
  },

  'chat.postEphemeral': ({ state }, args) => {
    const ch = channelFor(state, args);
    if (ch.error) return ch.error;
    const user = typeof args.user === 'string' ? args.user : '';
    if (!state.users.has(user)) return fail('user_not_found');
    if (!state.channels.get(ch.id)!.members.has(user)) return fail('user_not_in_channel');
    const c = content(args);
    if (c.error) return c.error;
    state.ephemerals.push({
      channel: ch.id,
      user,
      text: c.text,
      via: 'api',
      ...(c.blocks ? { blocks: c.blocks } : {}),
      ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
    });
    return okBody({ message_ts: state.nextTs() });
  },

  'usergroups.users.list': ({ state }, args) => {
    const users = state.usergroups.get(String(args.usergroup ?? ''));
    if (!users) return fail('no_such_subteam');
    return okBody({ users: [...users] });
  },

  'apps.connections.open': (ctx) => okBody({ url: ctx.openSocket() }),

  'views.publish': ({ state }, args) => viewsPublish(state, args),
  'conversations.members': ({ state }, args) => conversationsMembers(state, args),
  'chat.getPermalink': ({ state }, args) => getPermalink(state, args),

  'files.getUploadURLExternal': ({ state, baseUrl }, args) => getUploadURLExternal(state, baseUrl, args),
  'files.completeUploadExternal': ({ state }, args) => completeUploadExternal(state, args),
};

/** The scope each method needs (docs.slack.dev/reference/methods/<method>, "Required scopes"). */
const SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  'conversations.members': 'channels:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};

/** Handles one Web API call; `token` comes from the Authorization header or the `token` argument. */
export function handleApiCall(
  ctx: ApiContext,
  method: string,
  args: Args,
  token: string | undefined,
): ApiResponse {
  const { state } = ctx;
  if (state.outage && (!state.outage.methods || state.outage.methods.includes(method)))
    return { status: state.outage.status, body: { ok: false, error: 'service_unavailable' } };
  const limited = rateLimited(state, method);
  if (limited) return limited;
  if (!token) return fail('not_authed');
  const handler = METHODS[method];
  if (!handler) return fail('unknown_method');
  if (method === 'apps.connections.open') {
    if (token.startsWith('xoxb-') || token.startsWith('xoxp-')) return fail('not_allowed_token_type');
    if (token !== state.appToken) return fail('invalid_auth');
  } else {
    if (token.startsWith('xapp-')) return fail('not_allowed_token_type');
    if (token !== state.botToken) return fail('invalid_auth');
    const needed = SCOPES[method];
    if (needed && !state.botScopes.has(needed))
      return fail('missing_scope', { needed, provided: [...state.botScopes].join(',') });
  }
  return handler(ctx, args);
}

function rateLimited(state: SlackState, method: string): ApiResponse | null {
  const mode = state.rateLimit;
  if (!mode) return null;
  const applies = mode.methods ? mode.methods.includes(method) : method !== 'apps.connections.open';
  if (!applies) return null;
  const n = (state.rateCounters.get(method) ?? 0) + 1;
  state.rateCounters.set(method, n);
  if (n % (mode.every ?? 2) !== 0) return null;
  return {
    status: 429,
    headers: { 'retry-after': String(mode.retryAfter ?? 1) },
    body: { ok: false, error: 'ratelimited' },
  };
}
