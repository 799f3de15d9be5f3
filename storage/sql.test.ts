import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { bindMode } from './sql.ts';

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
