// Cordon around a node wave (src/cluster/ambient/kube.ts, ADR 20): the bot cordons only schedulable
// nodes, marks them, and uncordons only the nodes it marked — a node someone else cordoned stays
// cordoned. The whole path (read, conditional patch, annotation) runs on the real test cluster in
// test/cluster-adapters/ambient.test.ts.
import { describe, expect, it } from 'vitest';
import { cordonChange } from '../../src/cluster/ambient/kube.js';

describe('cordonChange', () => {
  it.each([
    // [what, marked by the bot, unschedulable now, cordon?, new spec.unschedulable or null: left alone]
    ['cordon a schedulable node', false, false, true, true],
    ['cordon a node someone else cordoned: left alone', false, true, true, null],
    ['cordon again (a retried step): nothing to do', true, true, true, null],
    ['cordon a node of the bot someone uncordoned meanwhile: cordoned again', true, false, true, true],
    ['uncordon the bot’s node', true, true, false, false],
    ['uncordon the bot’s node someone uncordoned already: the mark removed', true, false, false, false],
    ['uncordon a node someone else cordoned: stays cordoned', false, true, false, null],
    ['uncordon a node nobody cordoned: nothing to do', false, false, false, null],
  ])('%s', (_w, marked, unschedulable, cordon, want) => {
    expect(cordonChange(marked, unschedulable, cordon)).toBe(want);
  });
});
