/**
 * A loopback HTTP proxy that counts the requests it forwards (by path) — put in front of a real
 * Prometheus to count the queries an analysis makes on the wire (benchmarks). Not a stand-in: it
 * forwards every request and answer unchanged.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class CountingHttpProxy {
  private server: Server | null = null;
  readonly counts = new Map<string, number>();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Requests forwarded since the last reset, in all or for paths starting with `prefix`. */
  total(prefix = ''): number {
    let n = 0;
    for (const [p, c] of this.counts) if (p.startsWith(prefix)) n += c;
    return n;
  }

  reset(): void {
    this.counts.clear();
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
      const up = request(
        { host: this.host, port: this.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}
