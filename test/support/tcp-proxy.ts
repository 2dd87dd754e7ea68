/**
 * A tiny TCP proxy (test glue) between the engine and Redis, to cut the connection and restore it.
 * While cut, open sockets are destroyed and new ones are refused (closed at once).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server;
  private sockets = new Set<Socket>();
  private cut_ = false;
  port = 0;
  /** Connections refused while cut: how often a client tried to reconnect during the outage. */
  refused = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => {
      if (this.cut_) {
        this.refused++;
        client.destroy();
        return;
      }
      const up = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(up);
      up.pipe(client);
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.port;
  }

  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.cut_ = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cut_ = false;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
