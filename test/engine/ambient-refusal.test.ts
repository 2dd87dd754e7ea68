// Request time, ambient (ADR 20): an ambient mesh installed with Helm (control plane and both agents
// deployed Helm releases) whose node agents are within the skew is accepted with node waves (the run
// itself: ambient-node-waves.test.ts); the rest is refused exactly: with the node agents read through
// the AmbientDataPlane port, a mesh the ambient rules refuse gets that reason and its doc (skew, agents
// not Helm releases, an istioctl control plane). A failed agent read leaves the general refusal.
// Nothing is recorded for a refusal.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { AmbientDataPlaneView } from '../../src/domain/upgrade/ambient/index.js';
import type { Engine } from '../../src/engine/index.js';
import type { AmbientDataPlane, ClusterRegistry } from '../../src/engine/ports.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

const release = (name: string) => ({ name, namespace: 'istio-system', status: 'deployed' });
const agents = (tag: string, helm = true): AmbientDataPlaneView => ({
  daemonSets: [
    {
      agent: 'ztunnel',
      namespace: 'istio-system',
      name: 'ztunnel',
      release: helm ? release('ztunnel') : null,
    },
    {
      agent: 'cni',
      namespace: 'istio-system',
      name: 'istio-cni-node',
      release: helm ? release('istio-cni') : null,
    },
  ],
  pods: ['n1', 'n2'].flatMap((node) => [
    {
      agent: 'ztunnel' as const,
      node,
      pod: `ztunnel-${node}`,
      image: `docker.io/istio/ztunnel:${tag}`,
      ready: true,
    },
    {
      agent: 'cni' as const,
      node,
      pod: `cni-${node}`,
      image: `docker.io/istio/install-cni:${tag}`,
      ready: true,
    },
  ]),
  nodes: [{ name: 'n1' }, { name: 'n2' }],
  namespaces: ['app-b'],
  waypoints: [],
});

async function request(
  tag: string,
  read: () => Promise<AmbientDataPlaneView>,
  helmControlPlane = true,
  recorded = false,
) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, {
    ...meshState(),
    ambient: {
      ztunnel: ['istio-system/ztunnel'],
      cni: ['istio-system/istio-cni-node'],
      namespaces: ['app-b'],
    },
    ...(helmControlPlane ? { installers: { '1-23-1': 'helm' as const } } : {}),
  });
  const base = standinRegistry([cluster]);
  const ambient = { inspect: read } as unknown as AmbientDataPlane; // the read is all request time uses
  const registry: ClusterRegistry = { ...base, get: (n) => ({ ...base.get(n)!, ambient }) };
  engine = testEngine(prefix, registry, new RecordingNotifier());
  const res = await engine.service.request({ command: cmd, requester: ALICE });
  if (!recorded) expect(await engine.service.list({})).toEqual([]);
  return res;
}

describe('an ambient mesh is refused exactly', () => {
  it('within the skew, Helm everywhere: accepted, the node waves after the namespace waves', async () => {
    const res = await request('amb-ok', async () => agents('1.23.1'), true, true);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    // app-b is labelled ambient and injected (mid-migration): its pods have sidecars, which take
    // precedence over ztunnel, so it moves in a namespace wave like the others
    expect(res.value.waves.filter((w) => w.kind !== 'nodes').flatMap((w) => w.namespaces)).toContain('app-b');
    expect(res.value.waves.filter((w) => w.kind === 'nodes').map((w) => w.nodes)).toEqual([['n1'], ['n2']]);
    expect(res.value.ambient).toMatchObject({ namespace: 'istio-system', ambientNamespaces: ['app-b'] });
  });

  it('an istioctl control plane: refused, the node agents are moved only behind a Helm istiod', async () => {
    const res = await request('amb-ctl', async () => agents('1.23.1'), false);
    expect(res).toMatchObject({ ok: false, error: { code: 'ambient_not_helm' } });
    expect(!res.ok && res.error.message).toMatch(/its control plane is not a Helm release/);
  });

  it('outside the skew: the skew reason and the doc', async () => {
    const res = await request('amb-skew', async () => agents('1.22.0'));
    expect(res).toMatchObject({ ok: false, error: { code: 'ambient_skew' } });
    expect(!res.ok && res.error.message).toMatch(
      /ztunnel on n1 runs 1\.22\.0, 2 minors behind the target 1\.24\.2 \(at most 1\).*https:\/\/istio\.io\/latest\/docs\/ambient\/upgrade\/helm\//,
    );
  });

  it('agents that are not Helm releases: refused for that', async () => {
    const res = await request('amb-nohelm', async () => agents('1.23.1', false));
    expect(res).toMatchObject({ ok: false, error: { code: 'ambient_not_helm' } });
    expect(!res.ok && res.error.message).toMatch(
      /ztunnel DaemonSet istio-system\/ztunnel is not a Helm release/,
    );
  });

  it('a failed agent read leaves the general refusal', async () => {
    const res = await request('amb-fail', async () => {
      throw new Error('nodes is forbidden');
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'ambient_mesh' } });
    expect(!res.ok && res.error.message).not.toMatch(/node agents now/);
  });

  it('the node agents per node are read for /istio ps (ztunnel has no sync diff)', async () => {
    await request('amb-nodes', async () => {
      const v = agents('1.23.1');
      v.pods[0] = { ...v.pods[0]!, image: 'docker.io/istio/ztunnel:1.24.2' };
      return v;
    });
    expect(await engine!.reads.nodeVersions('prod')).toEqual({
      ok: true,
      value: [
        { node: 'n1', ztunnel: '1.24.2', cni: '1.23.1' },
        { node: 'n2', ztunnel: '1.23.1', cni: '1.23.1' },
      ],
    });
  });
});
