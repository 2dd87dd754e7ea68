/**
 * A fault-injecting proxy STAND-IN on loopback, in front of the real test kube-apiserver: it answers a
 * configurable fraction of requests (evenly spread, or at random with a seed) with 429 (+Retry-After),
 * 500 (an etcd hiccup, as the apiserver says it), a connection reset before the request is forwarded,
 * or a reply lost after the server processed it; and it can stall one request for N seconds (then
 * forward it, whether the caller still waits or not, as a slow network would).
 *
 * It terminates TLS itself (a self-signed certificate made with openssl; the kubeconfig it writes
 * trusts it) and forwards to the real apiserver with the caller's credentials: a bearer token is passed
 * on as is; a client certificate cannot be forwarded through TLS, so when the caller presents the
 * certificate of the source kubeconfig, the proxy presents that same certificate upstream (it was given
 * the key with the kubeconfig). A caller with neither reaches the apiserver anonymously.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request as httpsRequest, createServer as httpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';

export type InjectedFault = '429' | '500' | 'reset' | 'lost-reply';

export interface FaultMix {
  /** Fraction of requests answered with a fault, 0..1. */
  rate: number;
  /** Faults to choose from (in turn). Default: all four. */
  kinds?: InjectedFault[];
  /** Retry-After of a 429, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Evenly spread (default) rather than random. */
  spread?: boolean;
}

export interface ProxyStats {
  requests: number;
  forwarded: number;
  injected: Record<InjectedFault, number>;
  stalled: number;
  /** Every request: `METHOD path`, its User-Agent and what the proxy did with it. */
  log: { method: string; path: string; agent: string; outcome: InjectedFault | 'stalled' | 'forwarded' }[];
}

interface Stall {
  seconds: number;
  match: (method: string, path: string) => boolean;
  began: () => void;
}

/** A small seeded PRNG (mulberry32), so a run's faults can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const statusBody = (code: number, reason: string, message: string) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });

export class KubeFaultProxy {
  readonly stats: ProxyStats = {
    requests: 0,
    forwarded: 0,
    injected: { '429': 0, '500': 0, reset: 0, 'lost-reply': 0 },
    stalled: 0,
    log: [],
  };
  /** A kubeconfig that reaches the apiserver through this proxy, with the source's credentials. */
  kubeconfig = '';
  private mix: Required<FaultMix> = {
    rate: 0,
    kinds: ['429', '500', 'reset', 'lost-reply'],
    retryAfterSeconds: 1,
    spread: true,
  };
  private next = 0;
  private seen = 0;
  private random: () => number;
  private stall: Stall | undefined;
  private server: Server | undefined;
  private readonly upstream: URL;
  private plainAgent!: Agent;
  private certAgent: Agent | undefined;
  private callerCertFingerprint: string | undefined;

  private constructor(
    private readonly source: KubeConfig,
    private readonly dir: string,
    seed: number,
  ) {
    this.random = prng(seed);
    const cluster = source.getCurrentCluster();
    if (!cluster) throw new Error('the source kubeconfig has no current cluster');
    this.upstream = new URL(cluster.server);
  }

  /** Starts the proxy for the source kubeconfig's current context; files go to `dir`. */
  static async start(o: { kubeconfig: string; dir: string; seed?: number }): Promise<KubeFaultProxy> {
    const kc = new KubeConfig();
    kc.loadFromFile(o.kubeconfig);
    const p = new KubeFaultProxy(kc, o.dir, o.seed ?? 11);
    await p.listen();
    return p;
  }

  setFaults(mix: FaultMix): void {
    this.mix = { ...this.mix, ...mix };
  }

  /** Holds the next request that `match`es for `seconds`, then forwards it; resolves when it is held. */
  stallNext(seconds: number, match: (method: string, path: string) => boolean = () => true): Promise<void> {
    return new Promise<void>((began) => {
      this.stall = { seconds, match, began };
    });
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
    this.plainAgent.destroy();
    this.certAgent?.destroy();
  }

  private async listen(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const { key, cert } = await selfSigned(this.dir);
    const cluster = this.source.getCurrentCluster()!;
    const user = this.source.getCurrentUser();
    const ca = await pem(cluster.caData, cluster.caFile);
    this.plainAgent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
    const certPem = await pem(user?.certData, user?.certFile);
    const keyPem = await pem(user?.keyData, user?.keyFile);
    if (certPem && keyPem) {
      this.certAgent = new Agent({ keepAlive: true, cert: certPem, key: keyPem, ...(ca ? { ca } : {}) });
      this.callerCertFingerprint = new X509Certificate(certPem).fingerprint256;
    }
    const server = httpsServer({ key, cert, requestCert: true, rejectUnauthorized: false }, (req, res) =>
      this.handle(req, res),
    );
    server.on('clientError', (_e, socket) => socket.destroy());
    // port-forward and exec upgrade the connection (SPDY/WebSocket): tunnelled as they are, no faults
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    const out = new KubeConfig();
    out.loadFromOptions({
      clusters: [
        {
          name: 'via-fault-proxy',
          server: `https://127.0.0.1:${port}`,
          caData: Buffer.from(cert).toString('base64'),
        },
      ],
      users: [
        {
          name: 'caller',
          ...(user?.token ? { token: user.token } : {}),
          ...(certPem && keyPem
            ? {
                certData: Buffer.from(certPem).toString('base64'),
                keyData: Buffer.from(keyPem).toString('base64'),
              }
            : {}),
        },
      ],
      contexts: [{ name: 'via-fault-proxy', cluster: 'via-fault-proxy', user: 'caller' }],
      currentContext: 'via-fault-proxy',
    });
    this.kubeconfig = join(this.dir, 'kubeconfig-via-fault-proxy');
    await writeFile(this.kubeconfig, out.exportConfig(), { mode: 0o600 });
  }

  /**
   * Spread: exactly `rate` of the requests, evenly (every 10th at 0.1), so a run of a given size always
   * sees the same number of faults; random: each request independently (seeded).
   */
  private pickFault(): InjectedFault | null {
    if (this.mix.rate <= 0) return null;
    this.seen++;
    const hit = this.mix.spread
      ? Math.floor(this.seen * this.mix.rate) > Math.floor((this.seen - 1) * this.mix.rate)
      : this.random() < this.mix.rate;
    if (!hit) return null;
    const kind = this.mix.kinds[this.next % this.mix.kinds.length]!;
    this.next++;
    return kind;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    this.stats.requests++;
    const agent = req.headers['user-agent'] ?? '';
    const entry: ProxyStats['log'][number] = { method, path, agent, outcome: 'forwarded' };
    this.stats.log.push(entry);
    const stall = this.stall?.match(method, path) ? this.stall : undefined;
    const fault = stall ? null : this.pickFault();
    if (fault === 'reset') {
      this.stats.injected.reset++;
      entry.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    // the body is read first (small: patches, creates), so a held request can be sent on after its
    // caller has gone
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (stall) {
        this.stall = undefined;
        this.stats.stalled++;
        entry.outcome = 'stalled';
        stall.began();
        setTimeout(() => this.forward(req, res, body, false), stall.seconds * 1000);
        return;
      }
      if (fault) {
        this.stats.injected[fault]++;
        entry.outcome = fault;
      }
      if (fault === '429') {
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(this.mix.retryAfterSeconds),
        });
        res.end(statusBody(429, 'TooManyRequests', 'Too many requests, please try again later.'));
      } else if (fault === '500') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(statusBody(500, 'InternalError', 'Internal error occurred: etcdserver: leader changed'));
      } else {
        this.forward(req, res, body, fault === 'lost-reply');
      }
    });
  }

  /** The agent that presents the caller's credentials upstream (see the file comment). */
  private agentFor(req: IncomingMessage): Agent {
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    const presentedOurs =
      this.certAgent !== undefined &&
      !!peer?.fingerprint256 &&
      peer.fingerprint256 === this.callerCertFingerprint;
    return presentedOurs ? this.certAgent! : this.plainAgent;
  }

  /** An upgrade request (port-forward, exec): counted, then both directions piped as they are. */
  private tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.stats.requests++;
    this.stats.forwarded++;
    const agent = req.headers['user-agent'] ?? '';
    this.stats.log.push({ method: req.method ?? 'GET', path: req.url ?? '/', agent, outcome: 'forwarded' });
    const up = httpsRequest({
      host: this.upstream.hostname,
      port: this.upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: this.upstream.host },
      agent: this.agentFor(req),
    });
    const statusLine = (r: IncomingMessage) => {
      const lines = [`HTTP/1.1 ${r.statusCode} ${r.statusMessage ?? ''}`];
      for (let i = 0; i < r.rawHeaders.length; i += 2)
        lines.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
      return `${lines.join('\r\n')}\r\n\r\n`;
    };
    up.on('upgrade', (upRes, upSocket, upHead) => {
      socket.write(statusLine(upRes));
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.pipe(socket).pipe(upSocket);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      socket.on('close', () => upSocket.destroy());
    });
    // refused (no upgrade): the answer goes back as it is, then the connection closes
    up.on('response', (upRes) => {
      socket.write(statusLine(upRes));
      upRes.pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    up.end();
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, loseReply: boolean): void {
    this.stats.forwarded++;
    const up = httpsRequest(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.upstream.host },
        agent: this.agentFor(req),
      },
      (upRes) => {
        if (loseReply || res.destroyed) {
          // processed by the server; the caller never hears back (or has gone already). A watch
          // never ends by itself: its connection is cut once the server has answered.
          upRes.resume();
          if (req.url?.includes('watch=true')) {
            req.socket.destroy();
            up.destroy();
          } else upRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    // a caller that goes away (a cancelled or finished watch) ends the upstream request too
    if (!loseReply && !res.destroyed) res.on('close', () => up.destroy());
    up.end(body);
  }
}

/** PEM text from kubeconfig `*-data` (base64) or a file; undefined when neither is set. */
async function pem(data: string | undefined, file: string | undefined): Promise<string | undefined> {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  return file ? readFile(file, 'utf8') : undefined;
}

/** A self-signed certificate for IP 127.0.0.1 (its own CA), made with openssl. */
async function selfSigned(dir: string): Promise<{ key: string; cert: string }> {
  const keyPath = join(dir, 'kube-fault-proxy.key');
  const certPath = join(dir, 'kube-fault-proxy.crt');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath];
  args.push('-days', '2', '-subj', '/CN=kube-fault-proxy', '-addext', 'subjectAltName=IP:127.0.0.1');
  await execa('openssl', args, { timeout: 30_000, stdin: 'ignore' });
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}
