import { describe, expect, it } from 'vitest';
import { mutates } from '../../src/engine/guard-ports.js';

// Every port method that changes the cluster is fenced (the run must still be this worker's) right
// before it runs. Reads are listed; anything else — including a mutation added to a port later — is
// fenced. A restore of the old install's gateways or an ambient node replacement by a superseded worker
// must never reach the cluster.
describe('which port calls are fenced before they run', () => {
  it.each([
    ['installer', 'install'],
    ['installer', 'uninstall'],
    ['tagger', 'setTag'],
    ['tagger', 'removeTag'],
    ['mover', 'point'],
    ['gateways', 'moveGateways'],
    ['installedGateways', 'restore'],
    ['restarter', 'restart'],
    ['gatewayApi', 'setRevLabel'],
    ['ambient', 'upgradeReleases'],
    ['ambient', 'replaceOnNodes'],
    ['ambient', 'setCordon'],
    ['ambient', 'releaseHold'],
    ['ambient', 'rollbackReleases'],
    ['someNewPort', 'anything'],
  ])('%s.%s is fenced', (port, method) => {
    expect(mutates(port, method)).toBe(true);
  });

  it.each([
    ['inspector', 'workloads'],
    ['inspector', 'sidecars'],
    ['installer', 'verify'],
    ['installedGateways', 'snapshot'],
    ['restarter', 'waitForRollouts'],
    ['proxyStatus', 'capture'],
    ['analysis', 'analyze'],
    ['gatewayApi', 'list'],
    ['ambient', 'verifyNodes'],
  ])('%s.%s only reads: not fenced', (port, method) => {
    expect(mutates(port, method)).toBe(false);
  });
});
