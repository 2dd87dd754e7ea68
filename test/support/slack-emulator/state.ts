/**
 * STAND-IN for Slack's workspace state (test/support only): channels, users, user groups, the messages
 * and ephemeral messages the bot produced, and a record of every call, for assertions.
 */
import type { EmuHomeView } from './views.js';

export interface EmuMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id: string;
  text: string;
  blocks?: Record<string, unknown>[];
  /** Every version of the message, the first one included. */
  versions: { text: string; blocks?: Record<string, unknown>[] }[];
  /** Posted through a response_url rather than the Web API. */
  via: 'api' | 'response_url';
  /** Files shared with this message (files.completeUploadExternal). */
  files?: EmuFile[];
}

export interface EmuFile {
  id: string;
  name: string;
  title: string;
  /** Bytes announced to files.getUploadURLExternal. */
  length: number;
  /** What was uploaded (UTF-8), and how many bytes. */
  content?: string;
  /** What was uploaded, byte for byte (a PNG is not UTF-8). */
  bytes?: Buffer;
  uploadedBytes?: number;
  completed: boolean;
}

export interface EmuEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: Record<string, unknown>[];
  thread_ts?: string;
  via: 'api' | 'response_url' | 'ack';
}

export interface EmuCall {
  method: string;
  args: Record<string, unknown>;
  status: number;
  ok: boolean;
  error?: string;
  at: number;
}

export interface RateLimitMode {
  /** Methods to limit (default: every method except apps.connections.open). */
  methods?: string[];
  /** Every n-th call of a limited method gets a 429 (default 2: every other call). */
  every?: number;
  /** Retry-After seconds (Slack sends whole seconds). */
  retryAfter?: number;
}

export interface Channel {
  id: string;
  name: string;
  members: Set<string>;
  /** A private channel: only its members (the bot included) can read its member list. */
  private?: boolean;
}

export class SlackState {
  readonly teamId = 'T0EMULATOR';
  readonly appId = 'A0EMULATOR';
  readonly botUserId = 'U0BOT';
  readonly botId = 'B0BOT';
  botToken = 'xoxb-emulator-bot-token';
  appToken = 'xapp-1-emulator-app-token';
  readonly channels = new Map<string, Channel>();
  readonly users = new Set<string>();
  readonly usergroups = new Map<string, string[]>();
  readonly messages: EmuMessage[] = [];
  readonly ephemerals: EmuEphemeral[] = [];
  readonly calls: EmuCall[] = [];
  readonly files = new Map<string, EmuFile>();
  /** The bot token's scopes (slack/manifest.yml); a method needing another answers `missing_scope`. */
  readonly botScopes = new Set([
    'commands',
    'chat:write',
    'usergroups:read',
    'files:write',
    'channels:read',
    'groups:read',
  ]);
  /** The app's Home tab is enabled (manifest `features.app_home.home_tab_enabled`). */
  homeTabEnabled = true;
  /** Each user's published Home tab (views.publish). */
  readonly homeViews = new Map<string, EmuHomeView>();
  rateLimit: RateLimitMode | null = null;
  /** Every Web API call (of `methods`, default all) answers this HTTP status (a Slack outage: 5xx). */
  outage: { status: number; methods?: string[] } | null = null;
  /** Web API calls (of `methods`, default all) that Slack never answers (a hung connection). */
  stall: { methods?: string[] } | null = null;
  /** Each stalled call, and whether the client gave up on it (closed its connection). */
  readonly stalled: { method: string; closedByClient: boolean }[] = [];
  readonly rateCounters = new Map<string, number>();
  private lastTs = 0;

  addUser(id: string): this {
    this.users.add(id);
    for (const c of this.channels.values()) c.members.add(id);
    return this;
  }

  /** A channel every known user (or only `members`; and, unless `botMember: false`, the bot) is in. */
  addChannel(
    id: string,
    name = id.toLowerCase(),
    opts: { botMember?: boolean; members?: string[]; private?: boolean } = {},
  ): this {
    const members = new Set(opts.members ?? this.users);
    if (opts.botMember !== false) members.add(this.botUserId);
    this.channels.set(id, { id, name, members, ...(opts.private ? { private: true } : {}) });
    return this;
  }

  addUsergroup(id: string, users: string[]): this {
    this.usergroups.set(id, users);
    return this;
  }

  /** Unique, increasing message timestamps in Slack's `seconds.micros` form. */
  nextTs(): string {
    const now = Date.now() * 1000;
    this.lastTs = Math.max(now, this.lastTs + 1);
    const s = Math.floor(this.lastTs / 1e6);
    const us = String(this.lastTs % 1e6).padStart(6, '0');
    return `${s}.${us}`;
  }

  /** Top-level messages in a channel, oldest first. */
  channelMessages(channel: string): EmuMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === undefined);
  }

  /** Replies in a thread, oldest first (the parent excluded). */
  thread(channel: string, threadTs: string): EmuMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);
  }

  find(channel: string, ts: string): EmuMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  ephemeralsFor(user: string): EmuEphemeral[] {
    return this.ephemerals.filter((e) => e.user === user);
  }
}

/**
 * Every piece of text a person sees in a message (its fallback text and every text of its blocks,
 * buttons and confirmations included), one per line, as Slack would show it to a reader.
 */
export function visibleText(m: { text?: string; blocks?: unknown[] }): string {
  const out: string[] = m.text ? [m.text] : [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else if (k !== 'value' && k !== 'action_id' && k !== 'block_id') walk(x);
      }
  };
  walk(m.blocks ?? []);
  return out.join('\n');
}

/** Raw JSON as it leaks into text: an object with a quoted key, or an array of quoted strings. */
export const RAW_JSON = /\{\s*"[^"]*"\s*:|\[\s*"[^"]*"\s*[,\]]/;
