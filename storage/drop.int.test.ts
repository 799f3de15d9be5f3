import { afterAll, describe, expect, it } from 'vitest';
import { dropIsolated, isolatedConfig } from '../test/stack.ts';
import { createClickHouse, migrate } from './clickhouse.ts';
import { dropDatabase } from './drop.ts';

describe('dropDatabase', () => {
  let config: Awaited<ReturnType<typeof isolatedConfig>> | undefined;
  afterAll(async () => {
    if (config) await dropIsolated(config);
  });

  it('removes the database with everything in it, and migrate gives an empty one (what feed start --reseed does)', async () => {
    config = await isolatedConfig('drop');
    const { database } = config.clickhouse;
    const count = async (query: string) => {
      const ch = createClickHouse(config!, 'default');
      try {
        const rows = await (await ch.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
        return Number(rows[0]?.n ?? 0);
      } finally {
        await ch.close();
      }
    };
    const ch = createClickHouse(config);
    await ch.insert({ table: 'users', format: 'JSONEachRow', values: [{ user_id: 'u1', locale: 'en', segment: 'new', created_at: 0, updated_at: 0 }] });
    await ch.close();
    expect(await count(`SELECT count() AS n FROM ${database}.users`)).toBe(1);

    await dropDatabase(config);
    expect(await count(`SELECT count() AS n FROM system.databases WHERE name = '${database}'`)).toBe(0);
    // Dropping what is not there is not an error.
    await dropDatabase(config);

    await migrate(config);
    expect(await count(`SELECT count() AS n FROM ${database}.users`)).toBe(0);
  });
});
