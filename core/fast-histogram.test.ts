import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from './fast-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [string, string, number][] = [
  ['source', 'ann', 0.0005],
  ['source', 'ann', 0.001],
  ['source', 'ann', 0.05],
  ['filter', 'seen', 0.2],
  ['filter', 'seen', 3],
  ['source', 'i2i', 0.01],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'stage_seconds', help: 'stage latency', labelNames: ['kind', 'stage'] as const, buckets: BUCKETS, registers: [theirs] });
  const f = new FastHistogram({ name: 'stage_seconds', help: 'stage latency', labelNames: ['kind', 'stage'] as const, buckets: BUCKETS, registers: [ours] });
  return { theirs, ours, h, f };
}

describe('FastHistogram', () => {
  it("prints exactly what prom-client's Histogram prints for the same observations", async () => {
    const { theirs, ours, h, f } = both();
    const ann = f.series({ kind: 'source', stage: 'ann' });
    for (const [kind, stage, v] of OBSERVATIONS) {
      h.observe({ kind, stage }, v);
      if (stage === 'ann') ann(v);
      else f.observe({ kind, stage }, v);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('stage_seconds_bucket{le="0.001",kind="source",stage="ann"} 2');
    expect(text).toContain('stage_seconds_count{kind="filter",stage="seen"} 2');
  });

  it('aggregates across cluster workers like prom-client, and resets', async () => {
    const a = both();
    const b = both();
    for (const [kind, stage, v] of OBSERVATIONS) {
      for (const x of [a, b]) {
        x.h.observe({ kind, stage }, v);
        x.f.observe({ kind, stage }, v);
      }
    }
    const theirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]);
    const ours = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    a.ours.resetMetrics();
    expect(await a.ours.metrics()).toContain('stage_seconds_count{kind="source",stage="ann"} 0');
  });

  it('rejects values that are not finite numbers', () => {
    const { f } = both();
    expect(() => f.observe({ kind: 'source', stage: 'ann' }, Number.NaN)).toThrow(/finite/);
  });
});
