import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { isolatedConfig } from '../test/stack.ts';
import { createClickHouse, type ClickHouseClient } from './clickhouse.ts';
import { literal, queryRows, render, sql } from './sql.ts';

describe('sql binding', () => {
  it('renders server placeholders with types, or escaped literals', () => {
    const frag = sql`SELECT * FROM t WHERE a = ${"x'y"} AND b > ${3} AND c IN ${['p', 'q']} AND d < ${0.5}`;
    expect(render(frag, 'server')).toEqual({
      query: 'SELECT * FROM t WHERE a = {p0:String} AND b > {p1:Int64} AND c IN {p2:Array(String)} AND d < {p3:Float64}',
      query_params: { p0: "x'y", p1: 3, p2: ['p', 'q'], p3: 0.5 },
    });
    expect(render(frag, 'inline').query).toBe("SELECT * FROM t WHERE a = 'x\\'y' AND b > 3 AND c IN ['p', 'q'] AND d < 0.5");
  });

  it('refuses values that cannot be bound', () => {
    expect(() => literal(Number.NaN)).toThrow(/non-finite/);
  });

  describe('against the real server', () => {
    let config: Config;
    let ch: ClickHouseClient;
    beforeAll(async () => {
      config = await isolatedConfig('sql');
      ch = createClickHouse(config);
      await ch.insert({ table: 'users', format: 'JSONEachRow', values: [{ user_id: "o'brien\\x", locale: 'en', segment: 'new', created_at: 0, updated_at: 0 }] });
    });
    afterAll(async () => {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
      await ch.close();
    });

    it('matches hostile strings exactly and never executes them', async () => {
      const hit = await queryRows<{ user_id: string }>(ch, sql`SELECT user_id FROM users WHERE user_id = ${"o'brien\\x"}`);
      expect(hit).toEqual([{ user_id: "o'brien\\x" }]);
      const injection = "' OR 1 = 1 OR user_id = '";
      expect(await queryRows(ch, sql`SELECT user_id FROM users WHERE user_id = ${injection}`)).toEqual([]);
      expect(await queryRows(ch, sql`SELECT count() AS n FROM users WHERE has(${[injection, 'nobody']}, user_id)`)).toEqual([{ n: '0' }]);
    });
  });
});
