/**
 * STAND-IN for Slack's response URLs (test/support only; docs.slack.dev/interactivity/handling-user-interaction):
 * each slash command and interaction carries one; it accepts 5 POSTs within 30 minutes. The JSON body
 * is a message: `response_type` `ephemeral` (default) or `in_channel`; for an interaction,
 * `replace_original` / `delete_original` act on the message that held the button.
 */
import { randomUUID } from 'node:crypto';
import { validateBlocks } from './block-kit-limits.js';
import type { SlackState } from './state.js';

interface Entry {
  channel: string;
  user: string;
  messageTs?: string;
  uses: number;
  createdAt: number;
}

const MAX_USES = 5;
const TTL_MS = 30 * 60 * 1000;

export class ResponseUrls {
  private readonly entries = new Map<string, Entry>();
  /** Every POST to a response URL, for assertions. */
  readonly posts: { id: string; body: Record<string, unknown>; status: number }[] = [];

  constructor(
    private readonly state: SlackState,
    private readonly baseUrl: () => string,
  ) {}

  open(e: { channel: string; user: string; messageTs?: string }): string {
    const id = randomUUID();
    this.entries.set(id, { ...e, uses: 0, createdAt: Date.now() });
    return `${this.baseUrl()}/response/${id}`;
  }

  post(id: string, body: Record<string, unknown>): { status: number; body: string } {
    const r = this.handle(id, body);
    this.posts.push({ id, body, status: r.status });
    return r;
  }

  private handle(id: string, body: Record<string, unknown>): { status: number; body: string } {
    const e = this.entries.get(id);
    if (!e) return { status: 404, body: 'no_such_url' };
    if (Date.now() - e.createdAt > TTL_MS) return { status: 404, body: 'expired_url' };
    if (e.uses >= MAX_USES) return { status: 404, body: 'used_url' };
    e.uses += 1;
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? (body.blocks as Record<string, unknown>[]) : undefined;
    if (body.delete_original === true && e.messageTs) {
      const i = this.state.messages.findIndex((m) => m.channel === e.channel && m.ts === e.messageTs);
      if (i >= 0) this.state.messages.splice(i, 1);
      return { status: 200, body: 'ok' };
    }
    if (!text && !blocks) return { status: 400, body: 'no_text' };
    if (blocks && validateBlocks(blocks).length > 0) return { status: 400, body: 'invalid_blocks' };
    if (text.length > 40_000) return { status: 400, body: 'msg_too_long' };
    if (body.replace_original === true && e.messageTs) {
      const m = this.state.find(e.channel, e.messageTs);
      if (m) {
        m.text = text;
        if (blocks) m.blocks = blocks;
        else delete m.blocks;
        m.versions.push({ text, ...(blocks ? { blocks } : {}) });
      }
      return { status: 200, body: 'ok' };
    }
    if (body.response_type === 'in_channel') {
      const ts = this.state.nextTs();
      this.state.messages.push({
        channel: e.channel,
        ts,
        user: this.state.botUserId,
        bot_id: this.state.botId,
        text,
        versions: [{ text, ...(blocks ? { blocks } : {}) }],
        via: 'response_url',
        ...(blocks ? { blocks } : {}),
      });
      return { status: 200, body: 'ok' };
    }
    this.state.ephemerals.push({
      channel: e.channel,
      user: e.user,
      text,
      via: 'response_url',
      ...(blocks ? { blocks } : {}),
    });
    return { status: 200, body: 'ok' };
  }
}
