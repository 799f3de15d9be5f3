import type { CatalogView } from './catalog/catalog-view.ts';
import type { Candidate, CandidateSource, SourceHit } from './types.ts';

/** One source's hits, best first. */
export interface SourceHits {
  source: Pick<CandidateSource, 'name' | 'personal'>;
  hits: SourceHit[];
}

/**
 * Merges sources round-robin by rank (so every source gets a share of the maximum),
 * deduplicating by item: the first source is kept, all are listed. Holds buffers sized to the
 * catalog, reused across calls: one per pipeline.
 */
export class CandidateMerge {
  /** Per catalog row: the call that last took it (so the arrays are never cleared) and its index in that call's output. */
  private stamp = new Uint32Array(0);
  private index = new Int32Array(0);
  private call = 0;

  merge(catalog: CatalogView, perSource: readonly SourceHits[], max: number): Candidate[] {
    const rows = catalog.items.size;
    if (this.stamp.length < rows) {
      this.stamp = new Uint32Array(Math.ceil(rows * 1.25));
      this.index = new Int32Array(this.stamp.length);
    }
    const { stamp, index } = this;
    const call = (this.call = (this.call % 0xfffffffe) + 1);
    const out: Candidate[] = [];
    let longest = 0;
    for (const s of perSource) longest = Math.max(longest, s.hits.length);
    for (let rank = 0; rank < longest; rank++) {
      for (const { source, hits } of perSource) {
        const hit = hits[rank];
        if (!hit) continue;
        const { name, personal } = source;
        if (stamp[hit.row] === call) {
          const existing = out[index[hit.row]!]!;
          if (!existing.sources.includes(name)) existing.sources.push(name);
          if (hit.tier && !existing.tier) existing.tier = hit.tier;
          existing.personal ||= personal;
          continue;
        }
        if (out.length >= max) continue;
        stamp[hit.row] = call;
        index[hit.row] = out.length;
        // Every field from the start: one object shape, so the stages' property reads stay monomorphic.
        out.push({
          row: hit.row,
          itemId: catalog.items.id(hit.row),
          source: name,
          sources: [name],
          sourceScore: hit.score,
          tier: hit.tier,
          personal,
          signals: undefined,
          purchase: 0,
          score: 0,
          scores: undefined,
          passed: undefined,
        });
      }
    }
    return out;
  }
}
