/**
 * /healthz (the process is alive), /readyz (its dependencies answer), /metrics (Prometheus).
 * Each readiness check has its own timeout so a hung dependency makes the pod unready, not the probe hang.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => Promise<void>;

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

async function withTimeout(check: Check, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startHealthServer(opts: {
  port: number;
  host?: string;
  checks: Record<string, Check>;
  registry: Registry;
  checkTimeoutMs?: number;
}): Promise<HealthServer> {
  const timeout = opts.checkTimeoutMs ?? 2000;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const names = Object.keys(opts.checks);
      void Promise.allSettled(names.map((n) => withTimeout(opts.checks[n]!, timeout))).then((results) => {
        const body: Record<string, string> = {};
        results.forEach((r, i) => {
          body[names[i]!] =
            r.status === 'fulfilled' ? 'ok' : String((r.reason as Error)?.message ?? r.reason);
        });
        const ready = results.every((r) => r.status === 'fulfilled');
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      return;
    }
    if (path === '/metrics') {
      void opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
