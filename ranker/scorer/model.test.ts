import { describe, expect, it } from 'vitest';
import { expectOneScorePerCandidate, request, setup } from '../stage-fixtures.ts';
import { fakeModels } from '../testing.ts';
import { modelScorer } from './model.ts';

describe('model scorer', () => {
  it('applies once a model is promoted, and returns exactly one score per candidate, in input order', async () => {
    const s = setup();
    expect(modelScorer.applies?.(s.pipeline.contextFor(request('u1')))).toBe(false);
    await s.holder.swap(
      fakeModels(
        'm1',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    expect(modelScorer.applies?.(s.pipeline.contextFor(request('u1')))).toBe(true);
    await expectOneScorePerCandidate(modelScorer, s.pipeline);
  });
});
