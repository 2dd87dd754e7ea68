import { defineConfig } from 'vitest/config';

// The cluster (e2e) suite: real kube-apiserver + real istioctl (test/cluster, test/support/cluster-*).
// One shared cluster, so files run one after another. See test/e2e/global-setup.ts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
