import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { bindMode, render, sql } from './sql.ts';

describe('sql', () => {
  it('splices a nested fragment in place, its values still bound and in order', () => {
    const where = sql`WHERE a = ${'x'} AND b > ${3}`;
    const frag = sql`SELECT * FROM t ${where} LIMIT ${5}`;
    expect(render(frag, 'inline').query).toBe("SELECT * FROM t WHERE a = 'x' AND b > 3 LIMIT 5");
    expect(render(frag, 'server')).toEqual({
      query: 'SELECT * FROM t WHERE a = {p0:String} AND b > {p1:Int64} LIMIT {p2:Int64}',
      query_params: { p0: 'x', p1: 3, p2: 5 },
    });
    expect(render(sql`SELECT 1 ${sql``}FROM t`, 'inline').query).toBe('SELECT 1 FROM t');
  });
});

describe('bindMode', () => {
  it('asks a server that was down again, and then remembers its answer', async () => {
    let calls = 0;
    const client = {
      query: async () => {
        calls++;
        if (calls === 1) throw new Error('connect ECONNREFUSED');
        return { json: async () => [{ v: '18.16.1' }] };
      },
    } as unknown as ClickHouseClient;
    await expect(bindMode(client)).rejects.toThrow('ECONNREFUSED');
    expect(await bindMode(client)).toBe('inline');
    expect(await bindMode(client)).toBe('inline');
    expect(calls).toBe(2);
  });
});
