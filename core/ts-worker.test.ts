import { once } from 'node:events';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { tsWorker } from './ts-worker.ts';

const FIXTURE = new URL('./ts-worker.fixture.ts', import.meta.url);

async function niceOf(nice?: number): Promise<number> {
  const worker = tsWorker(FIXTURE, nice === undefined ? {} : { nice });
  const [value] = (await once(worker, 'message')) as [number];
  await worker.terminate();
  return value;
}

describe('tsWorker', () => {
  it('runs a TypeScript module at the nice value asked for, and at the parent\u2019s otherwise', async () => {
    expect(await niceOf(7)).toBe(7);
    expect(await niceOf()).toBe(getPriority());
  });
});
