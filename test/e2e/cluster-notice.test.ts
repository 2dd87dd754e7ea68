// Part of `npm test` (the unit suite): says loudly whether the cluster (e2e) suite can run.
// The cluster suite itself is `npm run test:e2e` (vitest.e2e.config.ts, files *.e2e.ts).
// Locally a missing prerequisite only prints the notice; with CI=true a missing Go fails.
import { expect, it } from 'vitest';
import { clusterStatus, notRunBanner } from '../support/cluster-harness.js';

it('reports whether the cluster suite can run', () => {
  const s = clusterStatus();
  if (!s.available) {
    console.warn(`\n${notRunBanner(`${s.reason}. It runs with 'npm run test:e2e'.`)}\n`);
    if (process.env.CI === 'true') expect(s.goFound, s.reason).toBe(true);
    return;
  }
  console.warn(
    '[cluster suite] binaries built: run it with `npm run test:e2e` (npm test does not start a cluster)',
  );
});
