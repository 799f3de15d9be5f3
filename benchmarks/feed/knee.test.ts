import { describe, expect, it } from 'vitest';
import { kneeOf } from './feed.ts';

const step = (target: string, rate: number, p99_ms: number, errors = 0) => ({ target, rate, p99_ms, errors });

describe('kneeOf', () => {
  it('is the highest rate before the first step whose p99 reached 50 ms or had errors, naming that step', () => {
    const rows = [step('feed', 100, 20), step('feed', 200, 45), step('feed', 300, 80), step('feed', 400, 30), step('hello', 100, 2)];
    expect(kneeOf(rows, 'feed')).toEqual({ rps: 200, note: '300 req/s missed' });
    expect(kneeOf([step('feed', 100, 20), step('feed', 200, 10, 1)], 'feed')).toEqual({ rps: 100, note: '200 req/s missed' });
  });

  it('marks a knee at the highest step measured as a lower bound', () => {
    const rows = [step('hello', 200, 3), step('hello', 100, 2), step('feed', 300, 90)];
    expect(kneeOf(rows, 'hello')).toEqual({ rps: 200, note: 'at least 200: the highest step measured' });
  });

  it('has no knee when the first step already missed', () => {
    expect(kneeOf([step('feed', 20, 55), step('feed', 40, 30)], 'feed')).toEqual({ rps: null, note: 'missed from the first step (20 req/s)' });
  });
});
