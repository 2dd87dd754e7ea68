// The composition root's factory: clusters by name, a default, lazily built adapters, source choice.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IstioctlProxyStatus } from '../../src/cluster/proxy-status/istioctl.js';
import { KubernetesProxyStatus } from '../../src/cluster/proxy-status/kubernetes.js';
import { SynczProxyStatus } from '../../src/cluster/proxy-status/syncz.js';
import { type ClusterRegistryOptions, createClusterRegistry } from '../../src/cluster/registry.js';
import { createLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'iub-registry-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'a', cluster: { server: 'https://127.0.0.1:1' } },
      { name: 'b', cluster: { server: 'https://127.0.0.1:2' } },
    ],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [
      { name: 'ctx-eu', context: { cluster: 'a', user: 'u' } },
      { name: 'ctx-us', context: { cluster: 'b', user: 'u' } },
    ],
    'current-context': 'ctx-eu',
  }),
);

const base: ClusterRegistryOptions = {
  clusters: [
    { name: 'prod-eu1', context: 'ctx-eu', kubeconfig },
    { name: 'prod-us1', context: 'ctx-us', kubeconfig },
    { name: 'broken', context: 'no-such-context', kubeconfig },
  ],
  istioctlDir: dir,
  istioctlTimeoutMs: 1000,
  proxyStatusSource: 'istioctl',
  logger: createLogger({ level: 'silent' }),
};

describe('createClusterRegistry', () => {
  it('names clusters, picks the default, builds each once', () => {
    const r = createClusterRegistry(base);
    expect(r.names()).toEqual(['prod-eu1', 'prod-us1', 'broken']);
    expect(r.defaultName()).toBe('prod-eu1');
    const us = r.get('prod-us1');
    expect(us?.kube.kc.getCurrentContext()).toBe('ctx-us');
    expect(r.get('prod-us1')).toBe(us);
    expect(r.get('nope')).toBeUndefined();
    expect(createClusterRegistry({ ...base, defaultCluster: 'prod-us1' }).defaultName()).toBe('prod-us1');
  });

  it('a bad context fails that cluster only, with a coded error', () => {
    const r = createClusterRegistry(base);
    expect(() => r.get('broken')).toThrow(/context "no-such-context" is not in the kubeconfig/);
    expect(r.get('prod-eu1')).toBeDefined();
  });

  it('refuses an unknown default and an empty list', () => {
    expect(() => createClusterRegistry({ ...base, defaultCluster: 'x' })).toThrow(/DEFAULT_CLUSTER "x"/);
    expect(() => createClusterRegistry({ ...base, clusters: [] })).toThrow(/no cluster/);
  });

  it.each([
    ['istioctl', IstioctlProxyStatus],
    ['syncz', SynczProxyStatus],
    ['kubernetes', KubernetesProxyStatus],
  ] as const)('PROXY_STATUS_SOURCE=%s', (source, cls) => {
    const r = createClusterRegistry({ ...base, proxyStatusSource: source });
    expect(r.get('prod-eu1')?.proxyStatus).toBeInstanceOf(cls);
  });
});
