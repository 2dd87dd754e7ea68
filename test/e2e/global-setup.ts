// Global setup of the cluster suite (vitest.e2e.config.ts): starts a fresh e2e cluster if the
// binaries are built, and tells the test files through `inject('cluster')`.
// Binaries missing: in CI (test/support/ci.ts) the run fails; otherwise a loud notice and every
// test is skipped.
// A cluster left running is replaced (the smoke tests need a clean one); the cluster is stopped
// at the end unless E2E_KEEP_CLUSTER=1 (then `npm run cluster:down` stops it).
import type { TestProject } from 'vitest/node';
import { isCI } from '../support/ci.js';
import { clusterDown, clusterStatus, clusterUp, notRunBanner } from '../support/cluster-harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: { available: boolean; reason: string };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const status = clusterStatus();
  if (!status.available) {
    console.error(`\n${notRunBanner(status.reason)}\n`);
    if (isCI()) throw new Error(`cluster suite prerequisite missing: ${status.reason}`);
    project.provide('cluster', { available: false, reason: status.reason });
    return undefined;
  }
  const t0 = Date.now();
  if (status.running) await clusterDown();
  await clusterUp();
  console.error(`[e2e] fresh cluster up in ${Math.round((Date.now() - t0) / 1000)} s`);
  project.provide('cluster', { available: true, reason: '' });
  return async () => {
    if (process.env.E2E_KEEP_CLUSTER === '1') {
      console.error('[e2e] E2E_KEEP_CLUSTER=1: cluster left running (npm run cluster:down stops it)');
      return;
    }
    await clusterDown();
  };
}
