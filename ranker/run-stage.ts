import { observeStage, stageFailures, stageOverBudget } from './metrics.ts';
import type { FeedContext, StageSpec } from './types.ts';

/** A stage that must not fail open failed; the request fails (500 with context in the logs). */
export class StageError extends Error {
  override readonly name = 'StageError';
  constructor(
    readonly stage: string,
    cause: unknown,
  ) {
    super(`ranker stage ${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface StageTrace {
  stage: string;
  kind: string;
  ms: number;
  outcome: 'ok' | 'failed_open' | 'failed' | 'over_budget' | 'skipped';
  error?: string;
}

class BudgetExceeded extends Error {}

export function budgetOf(ctx: Pick<FeedContext, 'config'>, stage: StageSpec): number {
  return ctx.config.ranker.stageBudgetsMs[stage.name] ?? stage.budgetMs;
}

/**
 * Runs one stage with its budget: an async stage is cut off at the budget; a synchronous one
 * cannot be interrupted, so an overrun is measured and counted. On failure a fail-open stage
 * returns `fallback()` (its output is dropped) and a fail-closed one throws StageError.
 */
export async function runStage<T>(
  ctx: Pick<FeedContext, 'config'>,
  trace: StageTrace[],
  stage: StageSpec,
  fn: () => T | Promise<T>,
  fallback: () => T,
): Promise<T> {
  const budget = budgetOf(ctx, stage);
  const started = performance.now();
  const done = (outcome: StageTrace['outcome'], error?: string) => {
    const ms = performance.now() - started;
    observeStage(stage, ms / 1000);
    if (outcome === 'ok' && ms > budget) {
      outcome = 'over_budget';
      stageOverBudget.inc({ kind: stage.kind, stage: stage.name });
    }
    trace.push({ stage: stage.name, kind: stage.kind, ms: Math.round(ms * 1000) / 1000, outcome, ...(error ? { error } : {}) });
  };
  try {
    let result = fn();
    if (result instanceof Promise) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BudgetExceeded(`exceeded its ${budget} ms budget`)), budget);
      });
      try {
        result = await Promise.race([result, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    done('ok');
    return result as T;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!stage.failOpen) {
      stageFailures.inc({ kind: stage.kind, stage: stage.name, outcome: 'failed_request' });
      done('failed', message);
      throw new StageError(stage.name, err);
    }
    stageFailures.inc({ kind: stage.kind, stage: stage.name, outcome: 'failed_open' });
    done('failed_open', message);
    return fallback();
  }
}
