import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TurnQueue } from './turn-queue.ts';

function recorder(opts: { perTurn: number; maxWaiting: number; failOn?: number }) {
  const slices: number[][] = [];
  const errors: string[] = [];
  const dropped: number[] = [];
  const queue = new TurnQueue<number>({
    ...opts,
    work: (items) => {
      slices.push(items);
      if (opts.failOn !== undefined && items.includes(opts.failOn)) throw new Error(`bad ${opts.failOn}`);
    },
    onError: (err) => errors.push(err.message),
    onDrop: (n) => dropped.push(n),
  });
  return { queue, slices, errors, dropped };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('TurnQueue', () => {
  it('hands items over in order, one slice per event-loop turn, never synchronously', async () => {
    const { queue, slices } = recorder({ perTurn: 10, maxWaiting: 1000 });
    queue.push(range(0, 25));
    expect(slices).toHaveLength(0);
    expect(queue.waiting).toBe(25);
    await nextTurn();
    expect(slices).toEqual([range(0, 10)]);
    queue.push([25]);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(slices).toEqual([range(0, 10), range(10, 10), range(20, 6)]);
    expect(queue.waiting).toBe(0);
  });

  it('drops the oldest items beyond maxWaiting and reports how many', async () => {
    const { queue, slices, dropped } = recorder({ perTurn: 100, maxWaiting: 50 });
    queue.push(range(0, 30));
    queue.push(range(30, 40));
    expect(dropped).toEqual([20]);
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(slices.flat()).toEqual(range(20, 50));
  });

  it('keeps going after a failing slice, and forgets everything on clear', async () => {
    const { queue, slices, errors } = recorder({ perTurn: 5, maxWaiting: 100, failOn: 3 });
    queue.push(range(0, 12));
    for (let i = 0; i < 4; i++) await nextTurn();
    expect(errors).toEqual(['bad 3']);
    expect(slices.flat()).toEqual(range(0, 12));
    queue.push(range(100, 20));
    queue.clear();
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(slices.flat()).toEqual(range(0, 12));
    expect(queue.waiting).toBe(0);
  });

  it('compacts a long backlog as it drains', async () => {
    const { queue, slices } = recorder({ perTurn: 1000, maxWaiting: 100_000 });
    queue.push(range(0, 20_000));
    while (queue.waiting > 0) await nextTurn();
    expect(slices).toHaveLength(20);
    expect(slices.flat()).toEqual(range(0, 20_000));
  });
});
