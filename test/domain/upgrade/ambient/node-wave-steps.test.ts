// Node waves in the record and the state machine (ADR 20): the order (namespace waves, the agents'
// held upgrade, node waves behind the same approval, the hold given back, the finish), wave status,
// the rollback's undo of the agents, and an ambient request accepted or left to its refusal.
import { describe, expect, it } from 'vitest';
import {
  type AmbientDataPlaneView,
  acceptAmbient,
  nodeWaveRecords,
  notRestarted,
  planAmbient,
} from '../../../../src/domain/upgrade/ambient/index.js';
import type { InstallationView } from '../../../../src/domain/upgrade/installation.js';
import { type MachineEvent, transition } from '../../../../src/domain/upgrade/machine.js';
import { currentRun, nextPosition, positionAfter } from '../../../../src/domain/upgrade/order.js';
import type { UpgradePlan } from '../../../../src/domain/upgrade/plan.js';
import type { Step, UpgradeRecord } from '../../../../src/domain/upgrade/record.js';
import { AT, rec } from '../fixtures.js';

const fresh = { nonce: 'n2', approvalTtlMs: 60_000 };
const done = (step: Step | 'compensate', seq = 1): MachineEvent => ({
  type: 'step_done',
  step,
  seq,
  at: AT,
  ...fresh,
});
const AMBIENT = {
  namespace: 'istio-system',
  releases: [
    { agent: 'ztunnel' as const, release: 'ztunnel' },
    { agent: 'cni' as const, release: 'istio-cni' },
  ],
  ambientNamespaces: ['shop'],
  waypoints: ['shop/waypoint'],
  upToDate: [],
  running: ['ztunnel 1.23.1 on 2 nodes'],
};
/** One namespace wave, then two node waves. */
const ambientRec = (over: Partial<UpgradeRecord> = {}) =>
  rec({
    waves: [
      { index: 1, namespaces: ['a'], status: 'pending' },
      { index: 2, kind: 'nodes', namespaces: [], nodes: ['n1'], status: 'pending' },
      { index: 3, kind: 'nodes', namespaces: [], nodes: ['n2'], cordon: ['n2'], status: 'pending' },
    ],
    ambient: AMBIENT,
    ...over,
  });
const at = (r: UpgradeRecord) => `${r.step}${r.currentWave ? `#${r.currentWave}` : ''}`;

describe('the order of an ambient upgrade', () => {
  // [step, wave, expected next] with 1 namespace wave and 2 node waves
  const cases: [Step, number | undefined, string][] = [
    ['gateways', undefined, 'await_wave_approval#1'],
    ['await_wave_approval', 1, 'move_namespaces#1'],
    ['post_diff', 1, 'upgrade_agents'],
    ['upgrade_agents', undefined, 'await_wave_approval#2'],
    ['await_wave_approval', 2, 'replace_nodes#2'],
    ['replace_nodes', 2, 'verify_nodes#2'],
    ['verify_nodes', 2, 'await_wave_approval#3'],
    ['verify_nodes', 3, 'release_hold'],
    ['release_hold', undefined, 'await_finish_approval'],
    ['await_finish_approval', undefined, 'move_tags'],
  ];
  it.each(cases)('%s (wave %s) → %s', (step, wave, want) => {
    const p = nextPosition(wave === undefined ? { step } : { step, wave }, 3, false, false, { nodeWaves: 2 });
    expect(p && `${p.step}${p.wave ? `#${p.wave}` : ''}`).toBe(want);
  });

  it('no namespace wave: from the gateways straight to the agents; no node wave: held, then given back', () => {
    expect(nextPosition({ step: 'gateways' }, 2, false, false, { nodeWaves: 2 })).toEqual({
      step: 'upgrade_agents',
    });
    expect(nextPosition({ step: 'upgrade_agents' }, 0, false, false, { nodeWaves: 0 })).toEqual({
      step: 'release_hold',
    });
  });

  it('a record without ambient (an older one) keeps the sidecar order', () => {
    const r = rec();
    expect(positionAfter(r, { step: 'post_diff', wave: 2 })).toEqual({ step: 'await_finish_approval' });
    expect(positionAfter(r, { step: 'await_wave_approval', wave: 2 })).toEqual({
      step: 'move_namespaces',
      wave: 2,
    });
  });
});

describe('node waves in the machine', () => {
  it('the last namespace wave done: the agents’ held upgrade runs, no approval', () => {
    const t = transition(ambientRec({ step: 'post_diff', currentWave: 1 }), done('post_diff'));
    expect(t.ok && at(t.value.record)).toBe('upgrade_agents');
    expect(t.ok && t.value.record.waves[0]!.status).toBe('done');
    expect(t.ok && t.value.effects).toContainEqual({ kind: 'run' });
  });

  it('after the held upgrade, a node wave waits for the same approval as a namespace wave', () => {
    const t = transition(ambientRec({ step: 'upgrade_agents' }), done('upgrade_agents'));
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.value.record).toMatchObject({
      state: 'awaiting_approval',
      step: 'await_wave_approval',
      currentWave: 2,
      approval: { step: 'await_wave_approval', wave: 2 },
    });
    expect(t.value.record.waves[1]!.status).toBe('awaiting_approval');
    expect(currentRun(t.value.record)).toBeNull();
  });

  it('approved: the node wave runs (replace_nodes), then verify_nodes marks it done', () => {
    const t1 = transition(ambientRec({ step: 'upgrade_agents' }), done('upgrade_agents'));
    if (!t1.ok) throw new Error('refused');
    const a = t1.value.record.approval!;
    const t2 = transition(t1.value.record, {
      type: 'approve',
      nonce: a.nonce,
      by: 'U9',
      channel: 'C9',
      at: AT,
    });
    if (!t2.ok) throw new Error('refused');
    expect(at(t2.value.record)).toBe('replace_nodes#2');
    expect(t2.value.record.waves[1]).toMatchObject({ status: 'running', approvedBy: 'U9' });
    const r3 = transition(t2.value.record, done('replace_nodes', t2.value.record.seq));
    if (!r3.ok) throw new Error('refused');
    expect(at(r3.value.record)).toBe('verify_nodes#2');
    const r4 = transition(r3.value.record, done('verify_nodes', r3.value.record.seq));
    if (!r4.ok) throw new Error('refused');
    expect(r4.value.record.waves[1]!.status).toBe('done');
    expect(at(r4.value.record)).toBe('await_wave_approval#3');
  });

  it('the last node wave verified: the hold is given back, then the finish approval', () => {
    const t = transition(ambientRec({ step: 'verify_nodes', currentWave: 3 }), done('verify_nodes'));
    if (!t.ok) throw new Error('refused');
    expect(at(t.value.record)).toBe('release_hold');
    const t2 = transition(t.value.record, done('release_hold', t.value.record.seq));
    expect(t2.ok && t2.value.record).toMatchObject({
      state: 'awaiting_approval',
      step: 'await_finish_approval',
    });
  });

  it('progressive mode never starts a node wave by itself', () => {
    const r = ambientRec({
      step: 'upgrade_agents',
      analysis: { name: 'a', checks: [] } as never,
      progressive: { bakeMs: 1000, autoFirstWave: true, autoFinish: true, source: 'policy' } as never,
    });
    r.waves[0]!.analysis = { verdict: 'passed' } as never;
    const t = transition(r, done('upgrade_agents'));
    expect(t.ok && t.value.record.state).toBe('awaiting_approval');
    expect(t.ok && t.value.record.autoStart).toBeUndefined();
  });

  it('rolling back: the agents’ releases rolled back marks every started node wave rolled back', () => {
    const r = ambientRec({
      state: 'rolling_back',
      step: 'verify_nodes',
      currentWave: 3,
      compensations: [
        { kind: 'uninstall_canary', revision: '1-24-2' },
        { kind: 'uncordon', wave: 3, nodes: ['n2'] },
        { kind: 'rollback_agents', namespace: 'istio-system', releases: AMBIENT.releases, version: '1.24.2' },
      ],
    });
    r.waves[0]!.status = 'done';
    r.waves[1]!.status = 'done';
    r.waves[2]!.status = 'failed';
    const t = transition(r, done('compensate'));
    if (!t.ok) throw new Error('refused');
    expect(t.value.record.waves.map((w) => w.status)).toEqual(['done', 'rolled_back', 'rolled_back']);
    // next: the uncordon, then the canary's undo
    expect(t.value.record.compensations.map((c) => c.kind)).toEqual(['uninstall_canary', 'uncordon']);
    expect(t.value.record.state).toBe('rolling_back');
  });
});

const view = (tag: string): AmbientDataPlaneView => ({
  daemonSets: (['ztunnel', 'cni'] as const).map((agent) => ({
    agent,
    namespace: 'istio-system',
    name: agent === 'cni' ? 'istio-cni-node' : 'ztunnel',
    release: {
      name: agent === 'cni' ? 'istio-cni' : 'ztunnel',
      namespace: 'istio-system',
      status: 'deployed',
    },
  })),
  pods: ['n1', 'n2'].flatMap((node) =>
    (['ztunnel', 'cni'] as const).map((agent) => ({
      agent,
      node,
      pod: `${agent}-${node}`,
      image: `docker.io/istio/${agent}:${tag}`,
      ready: true,
    })),
  ),
  nodes: [{ name: 'n1', canary: true }, { name: 'n2' }],
  namespaces: ['shop'],
  waypoints: ['shop/waypoint'],
});
const installation = (installer: 'helm' | 'istioctl'): InstallationView => ({
  istioNamespace: 'istio-system',
  revisions: [
    {
      revision: '1-25-3',
      deployment: 'istiod',
      installer,
      ...(installer === 'helm'
        ? { release: { name: 'istiod', namespace: 'istio-system', status: 'deployed', version: 1 } }
        : {}),
    },
  ],
  helmReleases: [{ name: 'istio-base', namespace: 'istio-system', status: 'deployed', version: 1 }],
  ambient: { ztunnel: ['istio-system/ztunnel'], cni: [], namespaces: ['shop'], waypoints: [] },
});
const plan: UpgradePlan = {
  from: { version: '1.25.3', revision: '1-25-3' },
  to: { version: '1.26.1', revision: '1-26-1' },
  move: 'upgrade',
  strategy: 'labels',
  waves: [['shop', 'web'], ['shop2']],
  reasons: [{ shop: 'first', web: 'first' }, { shop2: 'next' }],
};

describe('an ambient request', () => {
  it('Helm control plane and agents within the skew: accepted, node agents’ commands before the tags move', () => {
    const r = acceptAmbient(installation('helm'), view('1.25.3'), plan);
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    expect(r.value.installation.helm).toEqual({ kind: 'helm', namespace: 'istio-system', istiod: 'istiod' });
    const cmds = r.value.installation.commands;
    const agents = cmds.findIndex((c) => c.startsWith('helm upgrade ztunnel ztunnel --version 1.26.1'));
    const tags = cmds.findIndex((c) => c.startsWith('istioctl tag set default'));
    expect(agents).toBeGreaterThan(0);
    expect(agents).toBeLessThan(tags);
    expect(r.value.ambient.nodeWaves.map((w) => w.nodes)).toEqual([['n1'], ['n2']]);
  });

  it('an istioctl control plane: not accepted (the exact refusal stays the caller’s)', () => {
    expect(acceptAmbient(installation('istioctl'), view('1.25.3'), plan)).toBeNull();
  });

  it('no data plane read: not accepted', () => {
    expect(acceptAmbient(installation('helm'), undefined, plan)).toBeNull();
  });

  it('agents outside the skew: the skew refusal; the override lets a test mesh through', () => {
    const far = { ...plan, to: { version: '1.31.0', revision: '1-31-0' } };
    const r = acceptAmbient(installation('helm'), view('1.25.3'), far);
    expect(r).toMatchObject({ ok: false, error: { code: 'ambient_skew' } });
    expect(acceptAmbient(installation('helm'), view('1.25.3'), far, { maxMinorSkew: 6 })?.ok).toBe(true);
  });

  it('ambient namespaces in no wave are said not restarted; one labelled for injection too moves in its wave', () => {
    expect(notRestarted([['web', 'shop2']], ['shop', 'shop2'])).toEqual(['shop']);
  });

  it('node waves are numbered after the namespace waves, with their nodes, cordon and reasons', () => {
    const a = planAmbient(view('1.25.3'), { ...plan, controlPlaneHelm: true, cordon: true });
    if (!a.ok) throw new Error(a.error.message);
    expect(nodeWaveRecords(a.value, 2)).toEqual([
      {
        index: 3,
        kind: 'nodes',
        namespaces: [],
        nodes: ['n1'],
        cordon: ['n1'],
        status: 'pending',
        reasons: { n1: 'marked istio-upgrade-bot.io/canary: upgraded first' },
      },
      {
        index: 4,
        kind: 'nodes',
        namespaces: [],
        nodes: ['n2'],
        cordon: ['n2'],
        status: 'pending',
        reasons: { n2: 'first alone: a canary node' },
      },
    ]);
  });
});
