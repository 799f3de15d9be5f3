import { defineConfig } from 'vitest/config';

/** Never test files: dependencies, data, caches and built pages. */
const exclude = ['node_modules/**', '.data/**', '.cache/**', 'web/dist/**'];
/** *.cluster.test.ts start extra brokers and servers: `npm run test:cluster` (CI runs both). */
const cluster = process.env.FEED_CLUSTER_TESTS ? ['**/*.cluster.test.ts'] : [];

/**
 * Two projects, told apart by file name: `*.int.test.ts` needs the real Kafka and ClickHouse
 * (or starts servers of its own) and runs in `integration`, whose global setup starts the test
 * stack; every other `*.test.ts` is a `unit` test that starts nothing (`npm run test:unit`).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json', KAFKAJS_NO_PARTITIONER_WARNING: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    projects: [
      {
        extends: true,
        // Files share their worker process (isolate: false): each file re-importing tfjs, FAISS and
        // the app cost a third of the run; a test that reads process-wide state (metrics) reads
        // deltas. One worker per core (vitest leaves one core to its main process, which is idle here);
        // projects with different worker counts run one after the other (groupOrder): unit first.
        test: { name: 'unit', include: ['**/*.test.ts'], exclude: [...exclude, '**/*.int.test.ts', '**/*.cluster.test.ts'], isolate: false, maxWorkers: '100%', sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['**/*.int.test.ts', ...cluster], exclude, globalSetup: ['test/global-setup.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
