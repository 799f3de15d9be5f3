import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // *.cluster.test.ts start extra brokers and servers: `npm run test:cluster` (CI runs both).
    exclude: ['node_modules/**', '.data/**', '.cache/**', 'web/dist/**', ...(process.env.FEED_CLUSTER_TESTS ? [] : ['**/*.cluster.test.ts'])],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json', KAFKAJS_NO_PARTITIONER_WARNING: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  },
});
