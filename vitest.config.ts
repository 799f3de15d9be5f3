import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', '.cache/**', 'web/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json', KAFKAJS_NO_PARTITIONER_WARNING: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  },
});
