import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A retry would hide exactly the flakiness a drill exists to show.
    retry: 0,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{harness,fixtures,reports,scenarios,ci}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{harness,fixtures,reports,scenarios}/**/*.int.test.ts'],
          // Kubernetes 1.36 needs a binary CI does not build (~7 min): its own project, below.
          exclude: ['harness/k8s/modern*.int.test.ts', 'harness/kind/*.int.test.ts', 'node_modules/**'],
          globalSetup: ['harness/test-support/global-setup.ts'],
          // Real etcd clusters on 2 cores: one file at a time keeps timings honest.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // `npm run test:k8s-modern` builds (or reuses) the binary first; `npm test` leaves it out.
          name: 'k8s-modern',
          include: ['harness/k8s/modern*.int.test.ts'],
          globalSetup: ['harness/test-support/global-setup-k8s-modern.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // `npm run test:kind`: node images built here and 3-node clusters, ~3 min each on 2 cores.
          name: 'kind',
          include: ['harness/kind/*.int.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
