// Node waves for ztunnel and istio-cni: canary nodes first, one node alone, then growing batches;
// nodes already at the target left out; cordon only nodes the bot cordoned itself.
import { describe, expect, it } from 'vitest';
import {
  type AgentNode,
  planNodeWaves,
  withoutAmbient,
} from '../../../../src/domain/upgrade/ambient/index.js';

const nodes = (n: number, extra: Partial<AgentNode>[] = []): AgentNode[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${String(i + 1).padStart(2, '0')}`, ...extra[i] }));

describe('planNodeWaves', () => {
  it.each([
    { n: 1, sizes: [1] },
    { n: 2, sizes: [1, 1] },
    { n: 3, sizes: [1, 2] },
    { n: 10, sizes: [1, 3, 3, 3] }, // 1; 10 % = 1 does not grow; 30 % = 3; the rest (6) at most 5: 3+3
    { n: 20, sizes: [1, 2, 3, 3, 4, 4, 3] }, // 1; 10 % = 2; 30 % = 6 → 3+3; rest 11 → 4+4+3
  ])('$n nodes → waves of $sizes', ({ n, sizes }) => {
    const r = planNodeWaves(nodes(n));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((w) => w.nodes.length)).toEqual(sizes);
    expect(r.value.map((w) => w.index)).toEqual(sizes.map((_, i) => i + 1));
    expect(r.value.flatMap((w) => w.nodes)).toEqual(nodes(n).map((x) => x.name));
    expect(r.value[0]!.reasons[r.value[0]!.nodes[0]!]).toBe('first alone: a canary node');
  });

  it('puts canary nodes first and leaves out nodes already at the target', () => {
    const r = planNodeWaves(nodes(4, [{}, {}, { canary: true }]), { done: ['node-01'] });
    expect(r.ok && r.value.map((w) => w.nodes)).toEqual([['node-03'], ['node-02'], ['node-04']]);
    expect(r.ok && r.value[0]!.reasons['node-03']).toMatch(/canary/);
  });

  it('no node left to upgrade: no wave', () => {
    const r = planNodeWaves(nodes(2), { done: ['node-01', 'node-02'] });
    expect(r.ok && r.value).toEqual([]);
  });

  it('cordons only with cordon on, and never a node cordoned before', () => {
    const off = planNodeWaves(nodes(2));
    expect(off.ok && off.value.map((w) => w.cordon)).toEqual([[], []]);
    const on = planNodeWaves(nodes(3, [{}, { unschedulable: true }]), { cordon: true });
    expect(on.ok && on.value.map((w) => w.cordon)).toEqual([['node-01'], ['node-03']]);
  });

  it.each([0, -1, 1.5])('refuses %s nodes per wave with how to write it', (size) => {
    const r = planNodeWaves(nodes(2), { maxNodesPerWave: size });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_node_waves');
      expect(r.error.hint).toMatch(/whole number/);
    }
  });
});

describe('withoutAmbient', () => {
  it('takes ambient namespaces out of namespace waves and drops emptied waves', () => {
    expect(withoutAmbient([['a'], ['amb', 'b'], ['amb2']], ['amb', 'amb2'])).toEqual({
      waves: [['a'], ['b']],
      excluded: ['amb', 'amb2'],
    });
  });
});
