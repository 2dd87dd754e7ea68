// A direct read of the mesh passes its AbortSignal to every cluster read it makes: the read worker
// gives each read the asker's deadline as a signal, and a read that ignored it ran on after nobody waited.
import { describe, expect, it } from 'vitest';
import { directReads } from '../../src/engine/cluster-reads.js';
import type { ClusterPorts, ClusterRegistry } from '../../src/engine/ports.js';

describe('directReads.mesh', () => {
  it('hands its signal to every port call, and a cancelled read ends as an error', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const read =
      <T>(v: T) =>
      (signal?: AbortSignal) => {
        seen.push(signal);
        if (signal?.aborted) return Promise.reject(new Error('cancelled'));
        return Promise.resolve(v);
      };
    const ports = {
      inspector: {
        controlPlanes: read([]),
        tags: read([]),
        namespaces: read([]),
        gatewayNamespaces: read([]),
      },
      gatewayApi: { list: read([]) },
    } as unknown as ClusterPorts;
    const registry: ClusterRegistry = {
      names: () => ['prod'],
      defaultName: () => 'prod',
      get: () => ports,
    };
    const ac = new AbortController();
    expect((await directReads(registry).mesh('prod', ac.signal)).ok).toBe(true);
    expect(seen).toHaveLength(5);
    expect(seen.every((s) => s === ac.signal)).toBe(true);

    ac.abort();
    const res = await directReads(registry).mesh('prod', ac.signal);
    expect(res).toMatchObject({ ok: false, error: { code: 'kube_api' } });
  });
});
