// Gateway API gateways (issue 14): which istiod claims each (istiod's tag_watcher IsMine), when the
// upgrade moves it, what the plan says, the istio#59959 warning and the refusal of a gateway that
// would never move.
import { describe, expect, it } from 'vitest';
import {
  type GatewayApiGateway,
  ISTIO_GATEWAY_CONTROLLER,
  istioGatewayClasses,
  type MeshRevisions,
  moveOf,
  planGatewayApi,
  rollDropsTraffic,
  servingRevision,
  type UpgradeShape,
} from '../../../src/domain/upgrade/gateway-api.js';

const gw = (p: Partial<GatewayApiGateway> = {}): GatewayApiGateway => ({
  namespace: 'ingress',
  name: 'web',
  revLabel: null,
  namespaceRev: null,
  managed: true,
  deployment: 'web-istio',
  renderedBy: '1-25-3',
  ...p,
});

const mesh: MeshRevisions = {
  controlPlanes: [{ revision: '1-25-3' }],
  tags: [
    { tag: 'default', revision: '1-25-3' },
    { tag: 'prod-stable', revision: '1-25-3' },
  ],
};

const labels: UpgradeShape = {
  from: { version: '1.25.3', revision: '1-25-3' },
  to: { version: '1.31.0', revision: '1-31-0' },
  strategy: 'labels',
  waves: [['app-a'], ['ingress', 'app-b']],
};
const tags: UpgradeShape = {
  ...labels,
  strategy: 'tags',
  tags: { stable: 'prod-stable', canary: 'prod-canary' },
};

describe('servingRevision: the revision whose istiod claims the Gateway (IsMine)', () => {
  it.each([
    ['no label anywhere: the default tag', gw(), mesh, '1-25-3'],
    ['its own label names a revision', gw({ revLabel: '1-25-3' }), mesh, '1-25-3'],
    ['its own label names a tag', gw({ revLabel: 'prod-stable' }), mesh, '1-25-3'],
    ['its own label wins over its namespace', gw({ revLabel: 'x', namespaceRev: '1-25-3' }), mesh, null],
    ['its namespace label, when it has none', gw({ namespaceRev: 'prod-stable' }), mesh, '1-25-3'],
    ['no default tag: nobody (istio#56767)', gw(), { ...mesh, tags: [] }, null],
    [
      'an istiod without revision is the default',
      gw(),
      { controlPlanes: [{ revision: 'default' }], tags: [] },
      'default',
    ],
    ['a label naming nothing installed: nobody', gw({ revLabel: '1-20-0' }), mesh, null],
  ])('%s', (_what, g, m, want) => {
    expect(servingRevision(g, m)).toBe(want);
  });
});

describe('moveOf: when the upgrade moves a gateway now on the old revision', () => {
  it.each([
    [
      'labelled with the old revision: the bot relabels it before the waves',
      gw({ revLabel: '1-25-3' }),
      labels,
      { at: 'gateways' },
    ],
    [
      'labelled with a tag: when the tag moves at the finish',
      gw({ revLabel: 'prod-stable' }),
      labels,
      { at: 'finish', tag: 'prod-stable' },
    ],
    [
      'following default, namespace in no wave: at the finish',
      gw({ namespace: 'edge' }),
      labels,
      { at: 'finish', tag: 'default' },
    ],
    [
      'following default, its namespace in wave 2: the wave labels the namespace',
      gw(),
      labels,
      { at: 'wave', wave: 2 },
    ],
    [
      'following its namespace label, in wave 2',
      gw({ namespaceRev: '1-25-3' }),
      labels,
      { at: 'wave', wave: 2 },
    ],
    [
      'its namespace a tag, in no wave: with that tag at the finish',
      gw({ namespace: 'edge', namespaceRev: 'prod-stable' }),
      labels,
      { at: 'finish', tag: 'prod-stable' },
    ],
    [
      'labelled with the canary tag (tags strategy): wave 1',
      gw({ revLabel: 'prod-canary' }),
      tags,
      { at: 'wave', wave: 1 },
    ],
  ])('%s', (_what, g, u, want) => {
    const m = { ...mesh, tags: [...mesh.tags, { tag: 'prod-canary', revision: '1-25-3' }] };
    expect(moveOf(g, m, u)).toEqual(want);
  });

  it('following a namespace labelled with the old revision, in no wave: never', () => {
    const m = moveOf(gw({ namespace: 'edge', namespaceRev: '1-25-3' }), mesh, labels);
    expect(m).toEqual({ at: 'none', why: expect.stringContaining('namespace `edge` is in no wave') });
  });
});

describe('rollDropsTraffic: target versions affected by istio#59959 (fixed 1.29.5 / 1.31.0)', () => {
  it.each([
    ['1.28.6', true],
    ['1.29.4', true],
    ['1.29.5', false],
    ['1.30.2', true],
    ['1.31-dev', true],
    ['1.31.0-rc.1', true],
    ['1.31.0', false],
    ['1.32.1', false],
  ])('%s → %s', (v, want) => {
    expect(rollDropsTraffic(v)).toBe(want);
  });
});

describe('planGatewayApi', () => {
  it('lists every gateway with who serves it, what it follows and when it moves; warns for an affected target', () => {
    const res = planGatewayApi(
      [
        gw({ name: 'by-label', revLabel: '1-25-3', deployment: 'by-label-istio' }),
        gw({ namespace: 'edge', name: 'by-default', deployment: 'by-default-istio' }),
        gw({ namespace: 'edge', name: 'fixed', managed: false, deployment: 'fixed-istio' }),
      ],
      mesh,
      { ...labels, to: { version: '1.30.1', revision: '1-30-1' } },
    );
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value.gateways).toEqual([
      {
        gateway: 'edge/by-default',
        deployment: 'edge/by-default-istio',
        servedBy: '1-25-3',
        follows: 'the `default` tag (no `istio.io/rev` label)',
        moves: 'moves at the finish, when `default` moves to `1-30-1`',
      },
      {
        gateway: 'edge/fixed',
        deployment: 'edge/fixed-istio',
        servedBy: '1-25-3',
        follows: 'the `default` tag (no `istio.io/rev` label)',
        moves: 'not deployed by istiod (it has addresses): not moved',
      },
      {
        gateway: 'ingress/by-label',
        deployment: 'ingress/by-label-istio',
        servedBy: '1-25-3',
        follows: 'its label `istio.io/rev=1-25-3` (a revision)',
        moves: 'the bot sets its label to `1-30-1` after the canary is ready, before wave 1',
      },
    ]);
    expect(res.value.warnings).toEqual([expect.stringContaining('istio#59959')]);
    expect(res.value.warnings[0]).toContain('1.30.1 is affected');
  });

  it('no warning for a fixed target, nor when nothing moves', () => {
    const fixed = planGatewayApi([gw({ revLabel: '1-25-3' })], mesh, labels);
    expect(fixed.ok && fixed.value.warnings).toEqual([]);
    const other = planGatewayApi([gw({ revLabel: '1-20-0' })], mesh, {
      ...labels,
      to: { version: '1.29.1', revision: '1-29-1' },
    });
    expect(other.ok && other.value.warnings).toEqual([]);
    expect(other.ok && other.value.gateways[0]?.moves).toContain('no revision claims it now');
  });

  it('a gateway no revision serves yet that follows default: the finish makes the new revision deploy it', () => {
    const res = planGatewayApi([gw({ namespace: 'edge' })], { ...mesh, tags: [] }, labels);
    expect(res.ok && res.value.gateways[0]?.moves).toBe(
      'no revision claims it now (no `default` tag or no such tag/revision, istio#56767); the finish points `default` at `1-31-0`, which then deploys it',
    );
  });

  it('refuses a gateway on the old revision that would never move, saying why and what to do', () => {
    const res = planGatewayApi([gw({ namespace: 'edge', namespaceRev: '1-25-3' })], mesh, labels);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('gateway_api_stuck');
    expect(res.error.message).toContain('edge/web');
    expect(res.error.message).toContain('namespace `edge` is in no wave');
    expect(res.error.hint).toContain('--waves');
  });

  it('no gateways: an empty plan', () => {
    expect(planGatewayApi([], mesh, labels)).toEqual({ ok: true, value: { gateways: [], warnings: [] } });
  });
});

describe('istioGatewayClasses (the classes istiod deploys gateways for)', () => {
  const c = (name: string, controllerName: string) => ({ name, controllerName });
  const WAYPOINT = 'istio.io/mesh-controller';
  it.each<[string, { name: string; controllerName: string }[], string[]]>([
    ['no GatewayClass objects: the builtin `istio` only', [], ['istio']],
    [
      'the classes istiod creates: `istio`; waypoints, east-west and remote are other controllers',
      [
        c('istio', ISTIO_GATEWAY_CONTROLLER),
        c('istio-waypoint', WAYPOINT),
        c('istio-east-west', 'istio.io/eastwest-controller'),
        c('istio-remote', 'istio.io/unmanaged-gateway'),
      ],
      ['istio'],
    ],
    [
      'a custom class with istiod’s controller name is deployed like `istio`',
      [c('istio', ISTIO_GATEWAY_CONTROLLER), c('edge', ISTIO_GATEWAY_CONTROLLER), c('nginx', 'k8s.io/nginx')],
      ['edge', 'istio'],
    ],
    [
      'a custom class before istiod created `istio`: both',
      [c('edge', ISTIO_GATEWAY_CONTROLLER)],
      ['edge', 'istio'],
    ],
    [
      'a GatewayClass named `istio` of another controller takes the name over (istiod looks the class up first)',
      [c('istio', 'example.com/other')],
      [],
    ],
    [
      'the waypoint, east-west and remote names stay ambient’s or unmanaged, whatever controller they name',
      [c('istio-waypoint', ISTIO_GATEWAY_CONTROLLER), c('istio-remote', ISTIO_GATEWAY_CONTROLLER)],
      ['istio'],
    ],
  ])('%s', (_what, classes, want) => {
    expect([...istioGatewayClasses(classes)].sort()).toEqual(want);
  });
});
