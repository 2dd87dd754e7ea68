// /metrics: Slack Web API and Kubernetes API failures are counted (src/wiring/api-error-metrics.ts),
// against local HTTP servers that answer like Slack and like a kube-apiserver.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterRegistry } from '../../src/cluster/registry.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/ops/metrics.js';
import {
  CountingWebClient,
  countKubeErrors,
  kubeErrorLabel,
  slackErrorLabel,
} from '../../src/wiring/api-error-metrics.js';

let server: Server;
let base = '';
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/api/chat.postMessage')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'channel_not_found' }));
    } else if (url.startsWith('/api/auth.test')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, user_id: 'U0BOT' }));
    } else if (/\/namespaces\/istio-system\/deployments(\?|$)/.test(url)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'Forbidden',
          message: 'forbidden',
          code: 403,
        }),
      );
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'iub-metrics-'));
});

afterAll(async () => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const value = async (m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (metric?.values ?? []).find((x) =>
    Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val),
  );
  return v?.value ?? 0;
};

describe('API error metrics', () => {
  it('counts failed Slack Web API calls by Slack error, not the successful ones', async () => {
    const m = createMetrics(async () => []);
    const client = new CountingWebClient(
      'xoxb-test',
      { slackApiUrl: `${base}/api/`, retryConfig: { retries: 0 } },
      m.slackErrors,
    );
    await client.auth.test();
    await expect(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })).rejects.toThrow(
      /channel_not_found/,
    );
    await expect(client.apiCall('chat.postMessage', { channel: 'C0NOPE', text: 'y' })).rejects.toThrow();
    expect(await value(m, 'istio_upgrade_bot_slack_api_errors_total', { error: 'channel_not_found' })).toBe(
      2,
    );
    const text = await m.registry.metrics();
    expect(text).toContain('istio_upgrade_bot_slack_api_errors_total{error="channel_not_found"} 2');
  });

  it('counts failed Kubernetes API requests by status, once per client, 404s excepted', async () => {
    const m = createMetrics(async () => []);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: c, cluster: { server: "${base}", insecure-skip-tls-verify: true } }]`,
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
        'current-context: ctx',
      ].join('\n'),
    );
    const registry = countKubeErrors(
      createClusterRegistry({
        clusters: [{ name: 'local', context: 'ctx', kubeconfig }],
        istioctlDir: dir,
        istioctlTimeoutMs: 1000,
        proxyStatusSource: 'kubernetes',
        logger: createLogger({ level: 'silent' }),
      }),
      m.kubeErrors,
    );
    const a = registry.get('local')!;
    expect(registry.get('local')).toBe(a); // wrapped once, the same adapters
    await expect(a.inspector.controlPlanes()).rejects.toMatchObject({ code: 'kube_api' });
    await expect(a.inspector.controlPlanes()).rejects.toThrow(/HTTP 403/);
    // a lookup of something absent is an answer, not an error
    await expect(a.installer.verify('r1')).rejects.toMatchObject({ code: 'verify_failed' });
    expect(await value(m, 'istio_upgrade_bot_kubernetes_api_errors_total', { code: 'http_403' })).toBe(2);
    expect(await value(m, 'istio_upgrade_bot_kubernetes_api_errors_total', { code: 'http_404' })).toBe(0);
    expect(registry.get('nope')).toBeUndefined();
  });

  it('labels errors', () => {
    expect(slackErrorLabel({ code: 'slack_webapi_platform_error', data: { error: 'ratelimited' } })).toBe(
      'ratelimited',
    );
    expect(slackErrorLabel({ code: 'slack_webapi_request_error' })).toBe('slack_webapi_request_error');
    expect(slackErrorLabel(new Error('x'))).toBe('unknown');
    expect(kubeErrorLabel({ code: 500 })).toBe('http_500');
    expect(kubeErrorLabel(new Error('ECONNREFUSED'))).toBe('network');
    expect(kubeErrorLabel({ code: 404 })).toBeNull();
  });
});
