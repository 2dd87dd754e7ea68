/**
 * STAND-IN for the Web API methods of the App Home (test/support only), with Slack's argument checks
 * and error names:
 * - `views.publish` (docs.slack.dev/reference/methods/views.publish): `user_id` and `view` (a JSON
 *   string or, from a JSON body, an object) are required (`invalid_arguments`); an unknown user is
 *   `user_not_found`; a view that is not `{type: "home", blocks: [...]}` within the home view's limits
 *   (100 blocks, `private_metadata` 3,000, `callback_id` 255 characters, every block's own limits) is
 *   `invalid_arguments` with the problems in `response_metadata.messages`; over 250 kB is
 *   `view_too_large`; a Home tab the app has not enabled is `not_enabled`; a `hash` other than the
 *   current view's is `hash_conflict`. It answers with the stored view (its `id` and new `hash`).
 * - `conversations.members`: `channel`, `cursor`, `limit` (default 100, at most 1000): pages of member
 *   ids with `response_metadata.next_cursor`; `channel_not_found` (unknown, or private without the
 *   bot), `invalid_cursor`, `invalid_limit`.
 * - `chat.getPermalink`: `channel`, `message_ts` → `permalink` (`channel_not_found`,
 *   `message_not_found`).
 */
import { validateBlocks } from './block-kit-limits.js';
import type { SlackState } from './state.js';

type Args = Record<string, unknown>;
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({
  status: 200,
  body: { ok: false, error, ...extra },
});
const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { ok: true, ...body } });

export const HOME_LIMITS = { blocks: 100, privateMetadata: 3000, callbackId: 255, bytes: 250_000 } as const;

/** The Home tab of one user as the app last published it; every published version kept. */
export interface EmuHomeView {
  id: string;
  hash: string;
  view: Record<string, unknown>;
  versions: Record<string, unknown>[];
}

const invalid = (messages: string[]) =>
  fail('invalid_arguments', { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });

export function viewsPublish(state: SlackState, args: Args): Answer {
  const user = typeof args.user_id === 'string' ? args.user_id : '';
  if (!user || args.view === undefined) return invalid(['missing required field: user_id or view']);
  let view: unknown = args.view;
  if (typeof view === 'string') {
    if (view.length > HOME_LIMITS.bytes) return fail('view_too_large');
    try {
      view = JSON.parse(view);
    } catch {
      return invalid(['view: must be a JSON-encoded string']);
    }
  } else if (JSON.stringify(view).length > HOME_LIMITS.bytes) return fail('view_too_large');
  if (!state.users.has(user)) return fail('user_not_found');
  if (!state.homeTabEnabled) return fail('not_enabled');
  const v = view as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof view !== 'object' || view === null || v.type !== 'home')
    problems.push('view.type: must be home (views.publish publishes Home tabs)');
  else {
    problems.push(...validateBlocks(v.blocks, HOME_LIMITS.blocks).map((p) => `view.${p}`));
    if (typeof v.private_metadata === 'string' && v.private_metadata.length > HOME_LIMITS.privateMetadata)
      problems.push(`view.private_metadata: must be less than ${HOME_LIMITS.privateMetadata + 1} characters`);
    if (typeof v.callback_id === 'string' && v.callback_id.length > HOME_LIMITS.callbackId)
      problems.push(`view.callback_id: must be less than ${HOME_LIMITS.callbackId + 1} characters`);
  }
  if (problems.length) return invalid(problems);
  const current = state.homeViews.get(user);
  if (typeof args.hash === 'string' && args.hash !== '' && current && args.hash !== current.hash)
    return fail('hash_conflict');
  const id = current?.id ?? `V0${user.slice(1)}`;
  const hash = `${Math.floor(Date.now() / 1000)}.${state.nextTs().replace('.', '')}`;
  const stored = { ...v, id, team_id: state.teamId, app_id: state.appId, bot_id: state.botId, hash };
  state.homeViews.set(user, { id, hash, view: stored, versions: [...(current?.versions ?? []), stored] });
  return ok({ view: stored });
}

export function conversationsMembers(state: SlackState, args: Args): Answer {
  const ch = state.channels.get(typeof args.channel === 'string' ? args.channel : '');
  if (!ch || (ch.private && !ch.members.has(state.botUserId))) return fail('channel_not_found');
  const limit = args.limit === undefined || args.limit === '' ? 100 : Number(args.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return fail('invalid_limit');
  const members = [...ch.members];
  let start = 0;
  if (typeof args.cursor === 'string' && args.cursor !== '') {
    const m = /^dXNlcj([0-9]+)$/.exec(args.cursor);
    start = m ? Number(m[1]) : -1;
    if (start < 0 || start >= members.length) return fail('invalid_cursor');
  }
  const page = members.slice(start, start + limit);
  const next = start + limit < members.length ? `dXNlcj${start + limit}` : '';
  return ok({ members: page, response_metadata: { next_cursor: next } });
}

export function getPermalink(state: SlackState, args: Args): Answer {
  const channel = typeof args.channel === 'string' ? args.channel : '';
  if (!state.channels.has(channel)) return fail('channel_not_found');
  const ts = typeof args.message_ts === 'string' ? args.message_ts : '';
  const msg = state.find(channel, ts);
  if (!msg) return fail('message_not_found');
  const thread = msg.thread_ts ? `?thread_ts=${msg.thread_ts}&cid=${channel}` : '';
  return ok({
    channel,
    permalink: `https://emulator.slack.test/archives/${channel}/p${ts.replace('.', '')}${thread}`,
  });
}
