import type { Candidate, FeedContext, Filter, FilterResult, StageSpec } from '../types.ts';

/** Why a candidate goes, or undefined to keep it. */
type RemovalReason = (candidate: Candidate) => string | undefined;

/** Splits candidates into the ones `reasonOf` keeps and the ones it removes, with its reason; order is kept. */
export function partition(candidates: Candidate[], reasonOf: RemovalReason): FilterResult {
  const kept: Candidate[] = [];
  const removed: FilterResult['removed'] = [];
  for (const candidate of candidates) {
    const reason = reasonOf(candidate);
    if (reason === undefined) kept.push(candidate);
    else removed.push({ candidate, reason });
  }
  return { kept, removed };
}

/**
 * A filter by predicate (product-mixer's PredicateFilter). Per request, `removes` returns why a
 * candidate goes, or undefined when nothing can go this time: then the candidates pass through
 * untouched without a per-candidate call.
 */
export function predicateFilter(spec: Omit<StageSpec, 'kind'> & { removes(ctx: FeedContext): RemovalReason | undefined }): Filter {
  const { removes, ...stage } = spec;
  return {
    ...stage,
    kind: 'filter',
    filter(ctx, candidates) {
      const reasonOf = removes(ctx);
      return reasonOf ? partition(candidates, reasonOf) : { kept: candidates, removed: [] };
    },
  };
}
