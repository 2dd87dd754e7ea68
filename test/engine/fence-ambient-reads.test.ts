// The ambient port's reads added for node waves and waypoints are not fenced (they change nothing);
// its mutations still are (test/engine/fence-classification.test.ts lists the rest).
import { expect, it } from 'vitest';
import { mutates } from '../../src/engine/guard-ports.js';

it.each([
  ['readHolds', false],
  ['waypoints', false],
  ['setCordon', true],
  ['upgradeReleases', true],
])('ambient.%s fenced: %s', (method, fenced) => {
  expect(mutates('ambient', method)).toBe(fenced);
});
