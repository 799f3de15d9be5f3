import { describe, expect, it } from 'vitest';
import { counterValue, stageBreakdown } from './stages.ts';

const TEXT = `# HELP feed_model_online_dropped_events_total Accepted events the online trainer dropped
# TYPE feed_model_online_dropped_events_total counter
feed_model_online_dropped_events_total 120
feed_model_online_dropped_events_total{worker="2"} 30
feed_model_online_dropped_events_total_extra 9
feed_stage_duration_seconds_sum{kind="source",stage="ann"} 0.5
feed_stage_duration_seconds_count{kind="source",stage="ann"} 250
`;

describe('metrics text', () => {
  it('sums a counter over its series and ignores other names', () => {
    expect(counterValue(TEXT, 'feed_model_online_dropped_events_total')).toBe(150);
    expect(counterValue(TEXT, 'absent_total')).toBe(0);
  });

  it('gives the mean milliseconds per stage', () => {
    expect(stageBreakdown(TEXT)).toEqual({ 'source:ann': 2 });
  });
});
