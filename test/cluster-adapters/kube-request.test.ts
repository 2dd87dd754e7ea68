// KubeClient.request against a loopback API STAND-IN that answers from a script (no cluster needed):
// attempts, Retry-After, the per-request timeout, the budget, a 403 stopping at once, cancellation.
// The same behaviour on the real kube-apiserver behind the fault proxy: faults-cluster.test.ts.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient, mergePatch, USER_AGENT } from '../../src/cluster/kube/client.js';
import { KubeNamespaceMover } from '../../src/cluster/kube/namespaces.js';
import { CodedError } from '../../src/errors.js';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const json =
  (status: number, body: object, headers: Record<string, string> = {}): Answer =>
  (_q, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const status = (code: number, message: string, headers: Record<string, string> = {}) =>
  json(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }, headers);
const NS_LIST = json(200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] });
const NS = json(200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'shop' } });
const RESET: Answer = (req) => req.socket.destroy();
const HANG: Answer = () => undefined;

let server: Server;
let script: Answer[] = [];
let seen: { method: string; at: number; contentType: string | undefined; agent: string | undefined }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'iub-kube-request-'));
let kubeconfig = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      at: Date.now(),
      contentType: req.headers['content-type'],
      agent: req.headers['user-agent'],
    });
    (script.shift() ?? status(500, 'script exhausted'))(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "${base}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: not-a-real-token } }]',
      'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
      'current-context: ctx',
    ].join('\n'),
  );
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  script = [];
  seen = [];
});

const client = (o: ConstructorParameters<typeof KubeClient>[1] = {}) => {
  const c = new KubeClient({ context: 'ctx', kubeconfig }, { retry: { baseDelayMs: 20 }, ...o });
  c.random = () => 1;
  return c;
};
const list = (c: KubeClient, signal?: AbortSignal) =>
  c.request('list Namespaces', (o) => c.core.listNamespace({}, o), { signal });

describe('KubeClient.request', () => {
  it('retries 500, 503, a reset and an etcd leader change, then answers; counts every attempt', async () => {
    script = [
      status(500, 'etcdserver: leader changed'),
      status(503, 'unavailable'),
      RESET,
      status(500, 'Internal error'),
      NS_LIST,
    ];
    const c = client();
    expect((await list(c)).items).toEqual([]);
    expect(seen).toHaveLength(5);
    expect(c.stats.requests).toBe(5);
    expect(c.stats.retries).toBe(4);
  });

  it('says it is the bot (User-Agent) on every attempt, so audit logs tell its requests apart', async () => {
    script = [status(500, 'etcdserver: leader changed'), NS_LIST];
    await list(client());
    expect(seen.map((s) => s.agent)).toEqual([USER_AGENT, USER_AGENT]);
  });

  it('waits as long as Retry-After says on a 429', async () => {
    script = [status(429, 'slow down', { 'retry-after': '1' }), NS_LIST];
    await list(client());
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('stops at once on a 403, with the cause and one attempt', async () => {
    script = [status(403, 'namespaces is forbidden: User "x" cannot list resource "namespaces"'), NS_LIST];
    const e = await list(client()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CodedError);
    expect(e).toMatchObject({ code: 'kube_api', details: { status: 403, attempts: 1, fault: 'permanent' } });
    expect((e as Error).message).toBe(
      'Kubernetes API: list Namespaces failed (HTTP 403): namespaces is forbidden: User "x" cannot list resource "namespaces"',
    );
    expect(seen).toHaveLength(1);
  });

  it('retries a 409 twice, then stops saying how many attempts were made', async () => {
    script = [status(409, 'conflict'), status(409, 'conflict'), status(409, 'conflict'), NS_LIST];
    const e = await list(client()).catch((x: unknown) => x);
    expect((e as Error).message).toBe(
      'Kubernetes API: list Namespaces failed after 3 attempts (HTTP 409): conflict',
    );
    expect(e).toMatchObject({ details: { attempts: 3, status: 409 } });
  });

  it('gives up an attempt after the request timeout and tries again', async () => {
    script = [HANG, NS_LIST];
    const c = client({ requestTimeoutMs: 300 });
    const t0 = Date.now();
    await list(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(seen).toHaveLength(2);
  });

  it('stops retrying when the budget is spent; the error names the timeout and the attempts', async () => {
    script = [HANG, HANG, HANG, HANG];
    const c = client({ requestTimeoutMs: 200, retry: { budgetMs: 500, baseDelayMs: 20 } });
    const e = await list(c).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(
      /^Kubernetes API: list Namespaces failed after [2-4] attempts: no answer within 200 ms \(KUBE_REQUEST_TIMEOUT\)$/,
    );
  });

  it('a cancelled call rejects at once with the signal reason and sends nothing more', async () => {
    script = [HANG, NS_LIST];
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('run superseded')), 200);
    await expect(list(client(), ac.signal)).rejects.toThrow('run superseded');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);
    await expect(list(client(), ac.signal)).rejects.toThrow('run superseded');
    expect(seen).toHaveLength(1);
  });

  it('a cancel during the backoff stops the retries', async () => {
    script = [status(429, 'slow down', { 'retry-after': '30' }), NS_LIST];
    const ac = new AbortController();
    const t0 = Date.now();
    const p = list(client(), ac.signal);
    setTimeout(() => ac.abort(new Error('rolled back')), 200);
    await expect(p).rejects.toThrow('rolled back');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);
  });

  it('a merge patch keeps its content type and is retried (it sets a value)', async () => {
    script = [RESET, NS];
    const c = client();
    await c.request('label Namespace shop', (o) =>
      c.core.patchNamespace({ name: 'shop', body: { metadata: { labels: { a: 'b' } } } }, mergePatch(o)),
    );
    expect(seen.map((s) => [s.method, s.contentType])).toEqual([
      ['PATCH', 'application/merge-patch+json'],
      ['PATCH', 'application/merge-patch+json'],
    ]);
    script = [status(500, 'boom'), NS];
    await new KubeNamespaceMover(c).point('shop', { revision: '1-26-3' });
    expect(seen).toHaveLength(4);
  });

  it('a request that is not idempotent is not sent twice after a 500', async () => {
    script = [status(500, 'boom'), NS];
    const c = client();
    const e = await c
      .request(
        'create Namespace shop',
        (o) => c.core.createNamespace({ body: { metadata: { name: 'shop' } } }, o),
        {
          idempotent: false,
        },
      )
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ details: { status: 500, attempts: 1 } });
    expect(seen).toHaveLength(1);
  });
});
