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
          globalSetup: ['harness/test-support/global-setup.ts'],
          // Real etcd clusters on 2 cores: one file at a time keeps timings honest.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
