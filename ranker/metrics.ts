import { Counter } from 'prom-client';
import { FastHistogram } from '../core/fast-histogram.ts';
import { metrics } from '../core/metrics.ts';
import type { StageSpec } from './types.ts';

// Observed ~30 times per request: FastHistogram, with each stage's series resolved once.
const stageDuration = new FastHistogram({
  name: 'feed_stage_duration_seconds',
  help: 'Latency of each ranker pipeline stage',
  labelNames: ['kind', 'stage'] as const,
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  registers: [metrics],
});

const sourceCandidates = new FastHistogram({
  name: 'feed_source_candidates',
  help: 'Candidates returned by each source per request',
  labelNames: ['source'] as const,
  buckets: [0, 1, 5, 10, 25, 50, 100, 200, 400],
  registers: [metrics],
});

/** An observer per stage, its histogram series resolved on the stage's first observation. */
function perStage(seriesOf: (stage: StageSpec) => (value: number) => void): (stage: StageSpec, value: number) => void {
  const observers = new WeakMap<StageSpec, (value: number) => void>();
  return (stage, value) => {
    let observe = observers.get(stage);
    if (!observe) observers.set(stage, (observe = seriesOf(stage)));
    observe(value);
  };
}

/** Records a stage run's duration (seconds). */
export const observeStage = perStage((stage) => stageDuration.series({ kind: stage.kind, stage: stage.name }));

/** Records how many candidates a source returned. */
export const observeSourceCandidates = perStage((source) => sourceCandidates.series({ source: source.name }));

export const stageFailures = new Counter({
  name: 'feed_stage_failures_total',
  help: 'Stage runs that failed (fail-open stages drop their output; others fail the request), by cause: an error or the budget running out',
  labelNames: ['kind', 'stage', 'outcome', 'cause'] as const,
  registers: [metrics],
});

export const stageOverBudget = new Counter({
  name: 'feed_stage_over_budget_total',
  help: 'Stage runs that took longer than their time budget',
  labelNames: ['kind', 'stage'] as const,
  registers: [metrics],
});

export const filterRemoved = new Counter({
  name: 'feed_filter_removed_total',
  help: 'Candidates removed by each filter',
  labelNames: ['filter'] as const,
  registers: [metrics],
});

export const scorerUsed = new Counter({
  name: 'feed_scorer_requests_total',
  help: 'Requests scored by each scorer (model or heuristic fallback)',
  labelNames: ['scorer'] as const,
  registers: [metrics],
});

export const feedRequests = new Counter({
  name: 'feed_requests_total',
  help: 'Feed pages built, by outcome',
  labelNames: ['outcome'] as const,
  registers: [metrics],
});
