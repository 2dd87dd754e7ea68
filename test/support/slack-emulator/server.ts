/**
 * SLACK EMULATOR — a stand-in for Slack, for tests and benchmarks only. Serves, on 127.0.0.1 and a
 * random port: the Web API under `/api/<method>` (web-api.ts), file uploads under `/upload/<id>`
 * (files.ts), response URLs under `/response/<id>`,
 * and the Socket Mode WebSocket under `/link` (socket-mode.ts). It delivers slash commands, button
 * clicks and Events API events (`app_home_opened`) to the app the way Slack does: signed HTTP POSTs
 * (HTTP mode; events as JSON `event_callback`s) or envelopes (Socket Mode), and records everything
 * (state.ts) for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formBody, signedRequest } from '../signed-request.js';
import { eventCallback } from './events.js';
import { receiveUpload } from './files.js';
import { ResponseUrls } from './response-urls.js';
import { SocketModeEndpoint } from './socket-mode.js';
import { SlackState } from './state.js';
import { handleApiCall } from './web-api.js';

export type Delivery = { mode: 'http'; url: string } | { mode: 'socket' };

export interface DeliveryResult {
  /** HTTP status of the app's answer (200 for an acked envelope in Socket Mode). */
  status: number;
  /** What the app put in its ack (a slash command's immediate response), if anything. */
  ack: Record<string, unknown> | undefined;
  ms: number;
}

export interface CommandInput {
  user: string;
  channel: string;
  text: string;
  command?: string;
}

export interface ClickInput {
  user: string;
  channel: string;
  /** ts of the message holding the button. */
  ts: string;
  actionId: string;
  /** Send this value instead of the button's (a tampered payload). */
  value?: string;
  /** Click the button as shown in an earlier version of the message (a client that had not yet
   * refreshed, or two people clicking at once). Default: the current version. */
  version?: number;
}

export class SlackEmulator {
  readonly state = new SlackState();
  readonly responses: ResponseUrls;
  readonly socket: SocketModeEndpoint;
  signingSecret = 'emulator-signing-secret';
  delivery: Delivery = { mode: 'socket' };
  /** Requests the app answered after Slack's 3 s (Slack shows the person `operation_timeout`). */
  readonly lateAcks: { type: string; ms: number }[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor() {
    this.responses = new ResponseUrls(this.state, () => this.baseUrl);
    this.socket = new SocketModeEndpoint(this.state, () => `ws://127.0.0.1:${this.port}`);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Base URL for `slackApiUrl` (WebClient appends the method name). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      if (!this.socket.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.socket.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const bytes = await readBody(req);
    if (url.pathname.startsWith('/upload/')) {
      const r = receiveUpload(this.state, url.pathname.slice(8), req.headers['content-type'] ?? '', bytes);
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end(r.body);
      return;
    }
    const raw = bytes.toString('utf8');
    const args = parseArgs(req.headers['content-type'] ?? '', raw);
    if (url.pathname.startsWith('/api/')) {
      const method = url.pathname.slice(5);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
      const stall = this.state.stall;
      if (stall && (!stall.methods || stall.methods.includes(method))) {
        // never answered: the client's timeout or cancel is all that ends it
        const entry = { method, closedByClient: false };
        this.state.stalled.push(entry);
        res.on('close', () => {
          entry.closedByClient = !res.writableEnded;
        });
        return;
      }
      const r = handleApiCall(
        { state: this.state, openSocket: () => this.socket.openTicket(), baseUrl: this.baseUrl },
        method,
        args,
        token,
      );
      const error = r.body.ok === false ? String(r.body.error) : undefined;
      this.state.calls.push({
        method,
        args,
        status: r.status,
        ok: r.body.ok === true,
        at: Date.now(),
        ...(error ? { error } : {}),
      });
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers });
      res.end(JSON.stringify(r.body));
      return;
    }
    if (url.pathname.startsWith('/response/')) {
      const r = this.responses.post(url.pathname.slice(10), args);
      res.writeHead(r.status, { 'content-type': 'text/plain' });
      res.end(r.body);
      return;
    }
    res.writeHead(404).end();
  }

  /** Types `/istio <text>` as `user` in `channel` and delivers it to the app. */
  async command(input: CommandInput): Promise<DeliveryResult> {
    const responseUrl = this.responses.open({ channel: input.channel, user: input.user });
    const ch = this.state.channels.get(input.channel);
    const payload: Record<string, string> = {
      token: 'deprecated-verification-token',
      team_id: this.state.teamId,
      team_domain: 'emulator',
      channel_id: input.channel,
      channel_name: ch?.name ?? 'unknown',
      user_id: input.user,
      user_name: input.user.toLowerCase(),
      command: input.command ?? '/istio',
      text: input.text,
      api_app_id: this.state.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: `${Date.now()}.trigger`,
    };
    const r = await this.deliver('slash_commands', payload, formBody(payload));
    if (r.ack && (r.ack.text || r.ack.blocks)) {
      this.state.ephemerals.push({
        channel: input.channel,
        user: input.user,
        text: String(r.ack.text ?? ''),
        via: 'ack',
        ...(Array.isArray(r.ack.blocks) ? { blocks: r.ack.blocks as Record<string, unknown>[] } : {}),
      });
    }
    return r;
  }

  /** Clicks the button `actionId` of message `ts` as `user`. */
  async click(input: ClickInput): Promise<DeliveryResult> {
    const msg = this.state.find(input.channel, input.ts);
    if (!msg) throw new Error(`emulator: no message ${input.ts} in ${input.channel}`);
    const shown = input.version === undefined ? msg.blocks : msg.versions[input.version]?.blocks;
    const found = findButton(shown ?? [], input.actionId);
    if (!found) throw new Error(`emulator: message ${input.ts} has no button ${input.actionId}`);
    const { block_id, button } = found;
    const ch = this.state.channels.get(input.channel);
    const payload = {
      type: 'block_actions',
      user: {
        id: input.user,
        username: input.user.toLowerCase(),
        name: input.user.toLowerCase(),
        team_id: this.state.teamId,
      },
      api_app_id: this.state.appId,
      token: 'deprecated-verification-token',
      container: {
        type: 'message',
        message_ts: msg.ts,
        channel_id: msg.channel,
        is_ephemeral: false,
        ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}),
      },
      trigger_id: `${Date.now()}.trigger`,
      team: { id: this.state.teamId, domain: 'emulator' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: msg.channel, name: ch?.name ?? 'unknown' },
      message: {
        type: 'message',
        user: msg.user,
        bot_id: msg.bot_id,
        text: msg.text,
        blocks: shown,
        ts: msg.ts,
        ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}),
      },
      state: { values: {} },
      response_url: this.responses.open({ channel: msg.channel, user: input.user, messageTs: msg.ts }),
      actions: [
        {
          action_id: input.actionId,
          block_id,
          text: button.text,
          value: input.value ?? button.value,
          type: 'button',
          action_ts: `${Date.now() / 1000}`,
          ...(button.style ? { style: button.style } : {}),
        },
      ],
    };
    return this.deliver('interactive', payload, formBody({ payload: JSON.stringify(payload) }));
  }

  /**
   * `user` opens the app's Home tab: an `app_home_opened` event (tab `home`, the DM channel, and the
   * view last published for them, as Slack includes it once one exists).
   */
  async openHome(user: string): Promise<DeliveryResult> {
    const current = this.state.homeViews.get(user);
    return this.event({
      type: 'app_home_opened',
      user,
      channel: `D${user.slice(1)}`,
      tab: 'home',
      event_ts: this.state.nextTs(),
      ...(current ? { view: current.view } : {}),
    });
  }

  /** Delivers an Events API event in its `event_callback` wrapper. */
  async event(event: Record<string, unknown>): Promise<DeliveryResult> {
    const payload = eventCallback(this.state, event);
    return this.deliver('events_api', payload, JSON.stringify(payload));
  }

  private async deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    body: string,
  ): Promise<DeliveryResult> {
    if (this.delivery.mode === 'socket') {
      const a = await this.socket.deliver(type, payload);
      return {
        status: 200,
        ack: a.payload && Object.keys(a.payload).length ? a.payload : undefined,
        ms: a.ms,
      };
    }
    const r = await signedRequest(this.delivery.url, body, {
      secret: this.signingSecret,
      ...(type === 'events_api' ? { contentType: 'application/json' } : {}),
    });
    if (r.ms > 3000) this.lateAcks.push({ type, ms: r.ms });
    let ack: Record<string, unknown> | undefined;
    if (r.body) {
      try {
        ack = JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        ack = { text: r.body };
      }
    }
    return { status: r.status, ack, ms: r.ms };
  }
}

type Button = { text: unknown; value?: string; style?: string };

function findButton(
  blocks: Record<string, unknown>[],
  actionId: string,
): { block_id: string; button: Button } | undefined {
  for (const b of blocks) {
    const els = (b.type === 'actions' ? (b.elements as Record<string, unknown>[]) : [b.accessory]) ?? [];
    for (const e of els) {
      if (e && typeof e === 'object' && (e as Record<string, unknown>).action_id === actionId)
        return { block_id: String(b.block_id ?? ''), button: e as Button };
    }
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(raw));
}
