import { stackDown, stackUp } from '../stack/stack.ts';
import { testConfig } from './stack.ts';

/** Starts the real Kafka and ClickHouse for the suite; stops them after if this run started them. */
export default async function setup(): Promise<() => Promise<void>> {
  const config = testConfig();
  const result = await stackUp(config).catch(async (err: unknown) => {
    // Leave nothing half-started behind for the next run.
    if (!process.env.FEED_TEST_KEEP_STACK) await stackDown(config);
    throw err;
  });
  const startedHere = Object.values(result).includes('started');
  return async () => {
    // With Redis: the tests that use it start it on demand (startLocalService), and it stops with the rest.
    if (startedHere && !process.env.FEED_TEST_KEEP_STACK) await stackDown(testConfig({ online: { store: 'redis' } }));
  };
}
