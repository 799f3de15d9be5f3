import { describe, expect, it } from 'vitest';
import { perPipeline, perRequest } from './memo.ts';
import { FeedPipeline } from './pipeline.ts';
import { request, setup } from './stage-fixtures.ts';

describe('memos', () => {
  it('perRequest computes a value once per request, and again for the next request', () => {
    const s = setup();
    let calls = 0;
    const value = perRequest(() => ++calls);
    const ctx = s.pipeline.contextFor(request('u1'));
    expect([value(ctx), value(ctx)]).toEqual([1, 1]);
    expect(value(s.pipeline.contextFor(request('u1')))).toBe(2);
  });

  it("perPipeline keeps a stage's state across one pipeline's requests, apart from other pipelines", () => {
    const s = setup();
    const state = perPipeline(() => ({ requests: 0 }));
    state(s.pipeline.contextFor(request('u1'))).requests++;
    expect(state(s.pipeline.contextFor(request('u2'))).requests).toBe(1);
    expect(state(new FeedPipeline(s.deps).contextFor(request('u1'))).requests).toBe(0);
  });
});
