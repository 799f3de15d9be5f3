import { observeStage, stageFailures, stageOverBudget } from './metrics.ts';
import type { FeedContext, StageRun, StageSpec } from './types.ts';

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
  outcome: 'ok' | 'failed_open' | 'failed' | 'over_budget';
  /** Why a failed run failed: the stage threw, or it was cut off at its budget. */
  cause?: FailureCause;
  error?: string;
}

type FailureCause = 'error' | 'timeout';

/** An async stage ran out of its budget (runStage aborts its signal with it). */
class BudgetExceeded extends Error {}

/** A run's signal, made only when the stage reads it or its budget runs out. */
class Run implements StageRun {
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}

function budgetOf(ctx: Pick<FeedContext, 'config'>, stage: StageSpec): number {
  return ctx.config.ranker.stageBudgetsMs[stage.name] ?? stage.budgetMs;
}

/**
 * Runs one stage with its budget: an async stage is cut off at the budget and its signal
 * aborted, so that it stops; a synchronous one cannot be interrupted, so an overrun is measured
 * and counted. On failure a fail-open stage returns `fallback()` (its output is dropped) and a
 * fail-closed one throws StageError; timeouts and errors are counted and traced apart.
 */
export async function runStage<T>(ctx: Pick<FeedContext, 'config'>, trace: StageTrace[], stage: StageSpec, fn: (run: StageRun) => T | Promise<T>, fallback: () => T): Promise<T> {
  const budget = budgetOf(ctx, stage);
  const started = performance.now();
  const run = new Run();
  const done = (outcome: StageTrace['outcome'], failure?: { cause: FailureCause; error: string }) => {
    const ms = performance.now() - started;
    observeStage(stage, ms / 1000);
    if (outcome === 'ok' && ms > budget) {
      outcome = 'over_budget';
      stageOverBudget.inc({ kind: stage.kind, stage: stage.name });
    }
    trace.push({ stage: stage.name, kind: stage.kind, ms: Math.round(ms * 1000) / 1000, outcome, ...failure });
  };
  try {
    let result = fn(run);
    if (result instanceof Promise) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const exceeded = new BudgetExceeded(`exceeded its ${budget} ms budget`);
          run.abort(exceeded);
          reject(exceeded);
        }, budget);
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
    const failure = { cause: err instanceof BudgetExceeded ? 'timeout' : 'error', error: err instanceof Error ? err.message : String(err) } as const;
    const outcome = stage.failOpen ? 'failed_open' : 'failed';
    stageFailures.inc({ kind: stage.kind, stage: stage.name, outcome: stage.failOpen ? 'failed_open' : 'failed_request', cause: failure.cause });
    done(outcome, failure);
    if (!stage.failOpen) throw new StageError(stage.name, err);
    return fallback();
  }
}
