/**
 * STAND-IN for Slack's file upload flow (test/support only), the three calls `files.uploadV2` makes
 * (docs.slack.dev/messaging/working-with-files#uploading_files):
 * 1. `files.getUploadURLExternal` (filename, length in bytes) → `upload_url`, `file_id`;
 * 2. a POST of the bytes to `upload_url` (raw, or multipart form data as the Node SDK sends them),
 *    answered `200 OK - <bytes>`;
 * 3. `files.completeUploadExternal` (files: [{id, title}], channel_id, thread_ts, initial_comment)
 *    shares the files: a message in the channel or thread carrying them.
 * Errors as Slack names them: `invalid_arguments`, `file_not_found` (unknown id, or bytes never
 * uploaded), `file_upload_size_mismatch`, `already_completed`, `channel_not_found`, `not_in_channel`,
 * `thread_not_found`.
 */
import { randomBytes } from 'node:crypto';
import type { EmuFile, EmuMessage, SlackState } from './state.js';
import type { ApiResponse } from './web-api.js';

type Args = Record<string, unknown>;
const fail = (error: string): ApiResponse => ({ status: 200, body: { ok: false, error } });

export function getUploadURLExternal(state: SlackState, baseUrl: string, args: Args): ApiResponse {
  const filename = typeof args.filename === 'string' ? args.filename : '';
  const length = Number(args.length);
  if (!filename || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
  const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
  state.files.set(id, { id, name: filename, title: filename, length, completed: false });
  return { status: 200, body: { ok: true, upload_url: `${baseUrl}/upload/${id}`, file_id: id } };
}

/** Step 2: the bytes. Multipart bodies (the Node SDK's) carry the file in their one part. */
export function receiveUpload(
  state: SlackState,
  id: string,
  contentType: string,
  raw: Buffer,
): { status: number; body: string } {
  const f = state.files.get(id);
  if (!f || f.completed) return { status: 404, body: 'not found' };
  let bytes = raw;
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (contentType.startsWith('multipart/form-data') && boundary) {
    const b = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
    const start = raw.indexOf(b);
    const headEnd = raw.indexOf('\r\n\r\n', start);
    const end = raw.indexOf(Buffer.concat([Buffer.from('\r\n'), b]), headEnd);
    if (start < 0 || headEnd < 0 || end < 0) return { status: 400, body: 'bad multipart body' };
    bytes = raw.subarray(headEnd + 4, end);
  }
  f.content = bytes.toString('utf8');
  f.bytes = Buffer.from(bytes);
  f.uploadedBytes = bytes.length;
  return { status: 200, body: `OK - ${bytes.length}` };
}

export function completeUploadExternal(state: SlackState, args: Args): ApiResponse {
  let list: unknown = args.files;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      return fail('invalid_arguments');
    }
  }
  if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
  const files: EmuFile[] = [];
  for (const x of list as { id?: unknown; title?: unknown }[]) {
    const f = state.files.get(String(x.id ?? ''));
    if (!f || f.uploadedBytes === undefined) return fail('file_not_found');
    if (f.completed) return fail('already_completed');
    if (f.uploadedBytes !== f.length) return fail('file_upload_size_mismatch');
    files.push(f);
    if (typeof x.title === 'string' && x.title) f.title = x.title;
  }
  const channel = typeof args.channel_id === 'string' ? args.channel_id : undefined;
  const thread = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
  if (channel) {
    const ch = state.channels.get(channel);
    if (!ch) return fail('channel_not_found');
    if (!ch.members.has(state.botUserId)) return fail('not_in_channel');
    if (thread && !state.find(channel, thread)) return fail('thread_not_found');
  }
  for (const f of files) f.completed = true;
  if (channel) {
    const text = typeof args.initial_comment === 'string' ? args.initial_comment : '';
    const msg: EmuMessage = {
      channel,
      ts: state.nextTs(),
      user: state.botUserId,
      bot_id: state.botId,
      text,
      versions: [{ text }],
      via: 'api',
      files,
      ...(thread ? { thread_ts: thread } : {}),
    };
    state.messages.push(msg);
  }
  return {
    status: 200,
    body: { ok: true, files: files.map((f) => ({ id: f.id, title: f.title, name: f.name })) },
  };
}
