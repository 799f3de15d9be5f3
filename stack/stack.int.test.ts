import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { deepMerge } from '../config/load.ts';
import { privateStackPorts, testConfig } from '../test/stack.ts';
import { isAlive } from './process.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

// A second, private stack on its own ports, so the shared test stack is not disturbed.
const config = testConfig(deepMerge(privateStackPorts(1), { dataDir: '.data/test-lifecycle', kafka: { external: false }, clickhouse: { external: false } }));

describe.skipIf(process.env.KAFKA_BROKERS || process.env.CLICKHOUSE_URL)('local stack lifecycle', () => {
  afterAll(async () => {
    await stackDown(config);
    rmSync('.data/test-lifecycle', { recursive: true, force: true });
  });

  it('starts both services, reports them healthy, does not start twins, and stops them', async () => {
    expect(await stackUp(config)).toEqual({ kafka: 'started', clickhouse: 'started' });
    const up = await stackStatus(config);
    expect(up.map((s) => [s.name, s.healthy, s.mode])).toEqual([
      ['clickhouse', true, 'local'],
      ['kafka', true, 'local'],
    ]);
    const pids = up.map((s) => s.pid!);

    expect(await stackUp(config)).toEqual({ kafka: 'running', clickhouse: 'running' });
    expect((await stackStatus(config)).map((s) => s.pid)).toEqual(pids);

    expect((await stackDown(config)).sort()).toEqual(['clickhouse', 'kafka']);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const down = await stackStatus(config);
    expect(down.every((s) => !s.healthy && s.pid === undefined)).toBe(true);
    expect(await stackDown(config)).toEqual([]);
  }, 180_000);
});
