// The ambient skew rules (istio.io "Upgrade with Helm", ambient): ztunnel and istio-cni at 1.x work
// with a control plane at 1.x and 1.x+1 only — checked before anything moves.
import { describe, expect, it } from 'vitest';
import {
  type AgentPod,
  checkAmbientSkew,
  imageVersion,
} from '../../../../src/domain/upgrade/ambient/index.js';

const pod = (agent: 'ztunnel' | 'cni', node: string, tag: string): AgentPod => ({
  agent,
  node,
  pod: `${agent === 'cni' ? 'istio-cni-node' : 'ztunnel'}-${node}`,
  image: `docker.io/istio/${agent === 'cni' ? 'install-cni' : 'ztunnel'}:${tag}`,
  ready: true,
});

describe('imageVersion', () => {
  it.each([
    ['docker.io/istio/ztunnel:1.25.3', '1.25.3'],
    ['docker.io/istio/ztunnel:1.25.3-distroless', '1.25.3'],
    ['registry:5000/istio/ztunnel:1.31-dev', '1.31-dev'],
    ['docker.io/istio/install-cni:1.31-dev-distroless', '1.31-dev'],
    ['docker.io/istio/ztunnel:latest', null],
    ['docker.io/istio/ztunnel@sha256:abc', null],
    ['ztunnel', null],
  ])('%s → %s', (image, want) => expect(imageVersion(image)).toBe(want));
});

describe('checkAmbientSkew', () => {
  const cases: {
    name: string;
    from: string;
    to: string;
    pods: AgentPod[];
    max?: number;
    ok: boolean;
    says?: RegExp[];
  }[] = [
    {
      name: 'one minor up, agents at the control plane: supported',
      from: '1.25.3',
      to: '1.26.1',
      pods: [pod('ztunnel', 'n1', '1.25.3'), pod('cni', 'n1', '1.25.3')],
      ok: true,
    },
    {
      name: 'a patch: supported',
      from: '1.25.3',
      to: '1.25.5',
      pods: [pod('ztunnel', 'n1', '1.25.3')],
      ok: true,
    },
    {
      name: 'two minors up: the agents would be two behind the new istiod',
      from: '1.25.3',
      to: '1.27.0',
      pods: [pod('ztunnel', 'n1', '1.25.3'), pod('cni', 'n2', '1.25.3')],
      ok: false,
      says: [
        /ztunnel on n1 runs 1\.25\.3, 2 minors behind the target 1\.27\.0 \(at most 1\)/,
        /istio-cni on n2/,
      ],
    },
    {
      name: 'a ztunnel newer than the control plane now',
      from: '1.25.3',
      to: '1.26.0',
      pods: [pod('ztunnel', 'n1', '1.26.0')],
      ok: false,
      says: [/newer than the control plane 1\.25\.3/],
    },
    {
      name: 'a downgrade leaves the agents newer than the target',
      from: '1.26.1',
      to: '1.25.3',
      pods: [pod('ztunnel', 'n1', '1.26.1')],
      ok: false,
      says: [/newer than the target 1\.25\.3/],
    },
    {
      name: 'an agent whose tag is no version cannot be checked',
      from: '1.25.3',
      to: '1.26.0',
      pods: [pod('ztunnel', 'n1', 'latest')],
      ok: false,
      says: [/no Istio version/],
    },
    {
      name: 'a node already at the target before the control plane is: refused (agents newer than istiod)',
      from: '1.25.3',
      to: '1.26.0',
      pods: [pod('ztunnel', 'n1', '1.26.0'), pod('ztunnel', 'n2', '1.25.3')],
      ok: false,
      says: [/newer than the control plane/],
    },
    {
      name: 'a test mesh with a deliberate override (6 minors)',
      from: '1.25.3',
      to: '1.31-dev',
      pods: [pod('ztunnel', 'n1', '1.25.3')],
      max: 6,
      ok: true,
    },
  ];
  it.each(cases)('$name', (c) => {
    const r = checkAmbientSkew({
      from: c.from,
      to: c.to,
      pods: c.pods,
      ...(c.max === undefined ? {} : { maxMinorSkew: c.max }),
    });
    expect(r.ok).toBe(c.ok);
    if (!r.ok) {
      expect(r.error.code).toBe('ambient_skew');
      for (const s of c.says ?? []) expect(r.error.message).toMatch(s);
      expect(r.error.message).toContain('https://istio.io/latest/docs/ambient/upgrade/helm/');
      expect(r.error.hint).toBeTruthy();
    }
  });

  it('says what runs now', () => {
    const r = checkAmbientSkew({
      from: '1.25.3',
      to: '1.26.0',
      pods: [pod('ztunnel', 'n1', '1.25.3'), pod('ztunnel', 'n2', '1.25.3'), pod('cni', 'n1', '1.25.3')],
    });
    expect(r.ok && r.value.running).toEqual(['istio-cni 1.25.3 on 1 node', 'ztunnel 1.25.3 on 2 nodes']);
  });
});
