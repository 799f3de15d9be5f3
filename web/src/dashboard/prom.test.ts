import { describe, expect, it } from 'vitest';
import { bucketDelta, histogramBuckets, histogramQuantile, parseMetrics, sumBy } from './prom.ts';

const TEXT = `# HELP feed_http_request_duration_seconds HTTP request latency
# TYPE feed_http_request_duration_seconds histogram
feed_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/v1/feed",status="200"} 10
feed_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/v1/feed",status="200"} 90
feed_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/feed",status="200"} 100
feed_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/feed",status="200"} 100
feed_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/v1/feed",status="400"} 5
feed_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/v1/feed",status="400"} 5
feed_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/feed",status="400"} 5
feed_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/feed",status="400"} 5
feed_http_request_duration_seconds_bucket{le="0.01",method="POST",route="/v1/events",status="200"} 7
feed_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/events",status="200"} 7
feed_source_candidates_sum{source="ann"} 400
feed_source_candidates_sum{source="trending"} 120
feed_source_candidates_count{source="ann"} 4
weird_label{msg="a \\"quoted\\" value"} 1.5e3
`;

describe('prometheus text', () => {
  const samples = parseMetrics(TEXT);

  it('parses names, labels with escapes, and values', () => {
    expect(samples).toHaveLength(14);
    expect(samples.at(-1)).toEqual({ name: 'weird_label', labels: { msg: 'a "quoted" value' }, value: 1500 });
  });

  it('sums histogram series that match the labels', () => {
    const b = histogramBuckets(samples, 'feed_http_request_duration_seconds', { route: '/v1/feed' });
    expect(b).toEqual([
      { le: 0.01, count: 15 },
      { le: 0.05, count: 95 },
      { le: 0.1, count: 105 },
      { le: Infinity, count: 105 },
    ]);
  });

  it('interpolates quantiles inside buckets like histogram_quantile', () => {
    const b = histogramBuckets(samples, 'feed_http_request_duration_seconds', { route: '/v1/feed', status: '200' });
    expect(histogramQuantile(0.1, b)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.01 + 0.04 * (40 / 80));
    expect(histogramQuantile(0.95, b)).toBeCloseTo(0.05 + 0.05 * (5 / 10));
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(
      histogramQuantile(0.99, [
        { le: 0.1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(0.1);
  });

  it('takes the difference between two scrapes', () => {
    const before = [
      { le: 0.01, count: 5 },
      { le: Infinity, count: 10 },
    ];
    const now = [
      { le: 0.01, count: 6 },
      { le: Infinity, count: 20 },
    ];
    expect(bucketDelta(now, before)).toEqual([
      { le: 0.01, count: 1 },
      { le: Infinity, count: 10 },
    ]);
  });

  it('groups a metric by a label', () => {
    expect(Object.fromEntries(sumBy(samples, 'feed_source_candidates_sum', 'source'))).toEqual({ ann: 400, trending: 120 });
  });
});
