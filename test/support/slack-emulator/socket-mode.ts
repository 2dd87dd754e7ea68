/**
 * STAND-IN for Slack's Socket Mode endpoint (test/support only), speaking the envelope protocol
 * (docs.slack.dev/apis/events-api/using-socket-mode): `apps.connections.open` hands out a one-time
 * wss URL; on connect the server sends `{type:"hello", num_connections, connection_info, debug_info}`;
 * each request arrives as `{envelope_id, type: "slash_commands"|"interactive"|"events_api", payload,
 * accepts_response_payload}`; the app acknowledges with `{envelope_id, payload?}`; the server may send
 * `{type:"disconnect", reason}`. Unacknowledged envelopes time out after 3 s like Slack's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SlackState } from './state.js';

export interface EnvelopeAck {
  /** The `payload` the app sent back in its ack (a slash command's immediate response), if any. */
  payload: Record<string, unknown> | undefined;
  ms: number;
}

interface Pending {
  resolve: (a: EnvelopeAck) => void;
  reject: (e: Error) => void;
  t0: number;
  timer: NodeJS.Timeout;
}

export class SocketModeEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, Pending>();
  private pinger: NodeJS.Timeout | undefined;
  /** Every frame the app sent (acks), for assertions. */
  readonly received: Record<string, unknown>[] = [];

  constructor(
    private readonly state: SlackState,
    private readonly baseWsUrl: () => string,
    private readonly ackTimeoutMs = 3000,
  ) {
    this.wss.on('connection', (ws) => this.onConnection(ws));
    this.pinger = setInterval(() => {
      for (const ws of this.sockets) ws.ping();
    }, 5000);
    this.pinger.unref();
  }

  get connections(): number {
    return this.sockets.size;
  }

  openTicket(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.baseWsUrl()}/link/?ticket=${ticket}&app_id=${this.state.appId}`;
  }

  /** Handles an HTTP upgrade; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/link')) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    return true;
  }

  private onConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      this.received.push(frame);
      const id = typeof frame.envelope_id === 'string' ? frame.envelope_id : '';
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve({
        payload: frame.payload as Record<string, unknown> | undefined,
        ms: performance.now() - p.t0,
      });
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'emulator', approximate_connection_time: 18060 },
        connection_info: { app_id: this.state.appId },
      }),
    );
  }

  /** Sends an envelope to one connected app instance and resolves with its ack. */
  deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
  ): Promise<EnvelopeAck> {
    const ws = [...this.sockets].at(-1);
    if (!ws) return Promise.reject(new Error('emulator: no Socket Mode connection'));
    const envelope_id = randomUUID();
    return new Promise<EnvelopeAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope_id);
        reject(new Error(`emulator: envelope ${type} not acknowledged within ${this.ackTimeoutMs} ms`));
      }, this.ackTimeoutMs);
      this.pending.set(envelope_id, { resolve, reject, t0: performance.now(), timer });
      ws.send(
        JSON.stringify({
          envelope_id,
          type,
          payload,
          accepts_response_payload: type === 'slash_commands',
          ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
        }),
      );
    });
  }

  /** Asks every connected client to reconnect, as Slack does before recycling a host. */
  sendDisconnect(reason = 'refresh_requested'): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ type: 'disconnect', reason }));
  }

  close(): void {
    clearInterval(this.pinger);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }
}
