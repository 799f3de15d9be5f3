import { describe, expect, it } from 'vitest';
import { sleep, TIMED_OUT, withinMs } from './errors.ts';

describe('withinMs', () => {
  it("gives the promise's value when it settles in time", async () => {
    expect(await withinMs(Promise.resolve(7), 1000)).toBe(7);
  });

  it('gives TIMED_OUT when the promise has not settled in time', async () => {
    expect(
      await withinMs(
        sleep(200).then(() => 7),
        10,
      ),
    ).toBe(TIMED_OUT);
  });

  it("passes the promise's failure on", async () => {
    await expect(withinMs(Promise.reject(new Error('broker gone')), 1000)).rejects.toThrow('broker gone');
  });
});
