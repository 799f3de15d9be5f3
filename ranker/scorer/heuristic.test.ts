import { describe, it } from 'vitest';
import { expectOneScorePerCandidate, setup } from '../stage-fixtures.ts';
import { fakeModels } from '../testing.ts';
import { heuristicScorer } from './heuristic.ts';

describe('heuristic scorer', () => {
  it('returns exactly one score per candidate, in input order', async () => {
    // With a model loaded too: the heuristic reads its retrieval scores.
    const s = setup();
    await s.holder.swap(
      fakeModels(
        'm1',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    await expectOneScorePerCandidate(heuristicScorer, s.pipeline);
  });
});
