import { ConfigError } from '../config/load.ts';
import type { RankerConfig } from '../config/sections/ranker.ts';
import type { CandidateSource, StageSpec } from './types.ts';

/** A source's quota: the config's override (`ranker.sources`), else the source's own default. */
export function quotaOf(ranker: Pick<RankerConfig, 'sources'>, source: CandidateSource): number {
  return ranker.sources[source.name] ?? source.defaultQuota;
}

/** The quota of every source, by name. */
export function sourceQuotas(ranker: Pick<RankerConfig, 'sources'>, sources: readonly CandidateSource[]): Record<string, number> {
  return Object.fromEntries(sources.map((s) => [s.name, quotaOf(ranker, s)]));
}

/**
 * Checks the config keys that name stages against the stages there are (quota overrides name
 * a source, budget overrides any stage), so that a misspelt key fails at start instead of
 * silently doing nothing.
 */
export function checkStageKeys(ranker: Pick<RankerConfig, 'sources' | 'stageBudgetsMs'>, stages: readonly StageSpec[]): void {
  const names = (kind?: StageSpec['kind']) => [...new Set(stages.filter((s) => !kind || s.kind === kind).map((s) => s.name))];
  const problems = [unknownNames('ranker.stageBudgetsMs', 'stages', ranker.stageBudgetsMs, names()), unknownNames('ranker.sources', 'sources', ranker.sources, names('source'))].filter(
    (p) => p !== undefined,
  );
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
}

function unknownNames(key: string, what: string, section: Record<string, unknown>, known: string[]): string | undefined {
  const unknown = Object.keys(section).filter((n) => !known.includes(n));
  return unknown.length > 0 ? `${key} names unknown ${what}: ${unknown.join(', ')} (${what}: ${known.join(', ')})` : undefined;
}
