import type { CandidateSource } from '../types.ts';
import { takeUnserved } from './take-unserved.ts';

/**
 * A source added the documented way, one file and a line in a STAGES list (pipeline.test.ts
 * does the line): the newest videos the session has not had. A fixture, not in STAGES.
 */
export const newestSource: CandidateSource = {
  name: 'newest',
  kind: 'source',
  defaultQuota: 12,
  personal: false,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const { catalog } = ctx;
    const rows = Array.from({ length: catalog.items.size }, (_, row) => row).sort((a, b) => catalog.itemPublished[b]! - catalog.itemPublished[a]!);
    return takeUnserved(ctx, rows, limit).map((row, i) => ({ row, score: 1 / (1 + i) }));
  },
};
