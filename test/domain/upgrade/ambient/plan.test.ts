// The ambient part of a plan: what the bot upgrades (Helm releases of ztunnel and istio-cni, node
// waves), what it never restarts (ambient namespaces), and what it refuses, with the reason and the doc.
import { describe, expect, it } from 'vitest';
import {
  type AgentDaemonSet,
  type AgentPod,
  type AmbientDataPlaneView,
  nodeVersions,
  planAmbient,
  renderNodeVersions,
  unverifiedNodes,
} from '../../../../src/domain/upgrade/ambient/index.js';

const ds = (agent: 'ztunnel' | 'cni', over: Partial<AgentDaemonSet> = {}): AgentDaemonSet => ({
  agent,
  namespace: 'istio-system',
  name: agent === 'cni' ? 'istio-cni-node' : 'ztunnel',
  release: { name: agent === 'cni' ? 'istio-cni' : 'ztunnel', namespace: 'istio-system', status: 'deployed' },
  ...over,
});
const pod = (
  agent: 'ztunnel' | 'cni',
  node: string,
  tag: string,
  over: Partial<AgentPod> = {},
): AgentPod => ({
  agent,
  node,
  pod: `${agent}-${node}`,
  image: `docker.io/istio/${agent === 'cni' ? 'install-cni' : 'ztunnel'}:${tag}`,
  ready: true,
  ...over,
});
const view = (over: Partial<AmbientDataPlaneView> = {}): AmbientDataPlaneView => ({
  daemonSets: [ds('ztunnel'), ds('cni')],
  pods: ['n1', 'n2'].flatMap((n) => [pod('ztunnel', n, '1.25.3'), pod('cni', n, '1.25.3')]),
  nodes: [{ name: 'n1' }, { name: 'n2' }],
  namespaces: ['shop'],
  waypoints: ['shop/waypoint'],
  ...over,
});
const input = {
  from: { version: '1.25.3', revision: '1-25-3' },
  to: { version: '1.26.1', revision: '1-26-1' },
  controlPlaneHelm: true,
};
const DOC = 'https://istio.io/latest/docs/ambient/upgrade/helm/';

describe('planAmbient', () => {
  it('plans ztunnel then istio-cni in place, a node wave per node, ambient namespaces never restarted', () => {
    const r = planAmbient(view(), input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.releases).toEqual([
      { agent: 'ztunnel', release: 'ztunnel' },
      { agent: 'cni', release: 'istio-cni' },
    ]);
    expect(r.value.nodeWaves.map((w) => w.nodes)).toEqual([['n1'], ['n2']]);
    expect(r.value.ambientNamespaces).toEqual(['shop']);
    expect(r.value.waypoints).toEqual(['shop/waypoint']);
    expect(r.value.running).toEqual(['istio-cni 1.25.3 on 2 nodes', 'ztunnel 1.25.3 on 2 nodes']);
    expect(r.value.commands[0]).toMatch(/^helm upgrade ztunnel ztunnel --version 1\.26\.1 -n istio-system/);
    expect(r.value.commands[1]).toMatch(/^helm upgrade istio-cni cni --version 1\.26\.1/);
    expect(r.value.commands[2]).toMatch(
      /^node wave 1 \(n1\): replace the ztunnel and istio-cni pods, verify/,
    );
  });

  it('a node already at the target (a patch re-run) gets no wave', () => {
    const pods = [
      pod('ztunnel', 'n1', '1.25.5'),
      pod('cni', 'n1', '1.25.5'),
      pod('ztunnel', 'n2', '1.25.3'),
      pod('cni', 'n2', '1.25.3'),
    ];
    const r = planAmbient(view({ pods }), {
      ...input,
      from: { version: '1.25.5', revision: 'x' },
      to: { version: '1.25.5', revision: '1-25-5' },
    });
    expect(r.ok && r.value.upToDate).toEqual(['n1']);
    expect(r.ok && r.value.nodeWaves.map((w) => w.nodes)).toEqual([['n2']]);
  });

  it('ztunnel without istio-cni: ztunnel alone', () => {
    const r = planAmbient(
      view({ daemonSets: [ds('ztunnel')], pods: [pod('ztunnel', 'n1', '1.25.3')] }),
      input,
    );
    expect(r.ok && r.value.releases).toEqual([{ agent: 'ztunnel', release: 'ztunnel' }]);
    expect(r.ok && r.value.nodeWaves.map((w) => w.nodes)).toEqual([['n1']]);
  });

  it.each([
    { name: 'control plane not Helm', v: view(), i: { controlPlaneHelm: false }, code: 'ambient_not_helm' },
    {
      name: 'ztunnel not a Helm release',
      v: view({ daemonSets: [ds('ztunnel', { release: null })] }),
      i: {},
      code: 'ambient_not_helm',
    },
    {
      name: 'istio-cni release failed',
      v: view({
        daemonSets: [
          ds('ztunnel'),
          ds('cni', { release: { name: 'istio-cni', namespace: 'istio-system', status: 'failed' } }),
        ],
      }),
      i: {},
      code: 'ambient_release_not_deployed',
    },
    {
      name: 'two ztunnel DaemonSets (revisioned)',
      v: view({ daemonSets: [ds('ztunnel'), ds('ztunnel', { name: 'ztunnel-1-26' })] }),
      i: {},
      code: 'ambient_revisioned_agents',
    },
    {
      name: 'ambient namespaces without ztunnel',
      v: view({ daemonSets: [], pods: [] }),
      i: {},
      code: 'ambient_no_ztunnel',
    },
    {
      name: 'skew: two minors',
      v: view(),
      i: { to: { version: '1.27.0', revision: '1-27-0' } },
      code: 'ambient_skew',
    },
  ])('refuses: $name', ({ v, i, code }) => {
    const r = planAmbient(v, { ...input, ...i });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(`${r.error.message} ${r.error.hint}`).toContain(DOC);
  });
});

describe('per-node verification and versions (in place of proxy-status)', () => {
  const pods = [
    pod('ztunnel', 'n1', '1.26.1'),
    pod('cni', 'n1', '1.26.1'),
    pod('ztunnel', 'n2', '1.25.3'),
    pod('ztunnel', 'n2', '1.26.1', { pod: 'ztunnel-new', ready: false }),
    pod('cni', 'n2', '1.25.3', { terminating: true }),
  ];
  it('verifies each node: one ready pod of each agent on the version', () => {
    expect(unverifiedNodes(['n1'], pods, '1.26.1')).toEqual([]);
    expect(unverifiedNodes(['n2'], pods, '1.26.1')).toEqual([
      'n2: ztunnel pod ztunnel-n2 runs 1.25.3, not 1.26.1',
      'n2: ztunnel pod ztunnel-new is not ready',
      'n2: no istio-cni pod',
    ]);
  });
  it('renders the versions per node', () => {
    const text = renderNodeVersions(nodeVersions(['n1', 'n2'], pods), '1.26.1');
    expect(text.split('\n')).toEqual([
      '1 of 2 nodes run 1.26.1',
      'NODE  ZTUNNEL                     ISTIO-CNI',
      'n1    1.26.1                      1.26.1',
      'n2    1.25.3, 1.26.1 (not ready)  —',
    ]);
  });
});
