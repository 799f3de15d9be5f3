import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchResult } from '../harness/result.ts';

/** Renders a Vega-Lite spec to SVG in Node (no canvas needed for SVG). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const subtitle = (r: BenchResult) => `${r.date.slice(0, 10)} · commit ${r.git.commit.slice(0, 8)} · ${r.machine.cores} cores · ${r.machine.cpu}`;

/** p50 and p99 latency against offered request rate, one line per target (feed, trending-only, hello), with the p99's spread over repeats. */
export function latencyVsRateSpec(feed: BenchResult): TopLevelSpec | undefined {
  const steps = feed.series.steps ?? [];
  if (!steps.length) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'GET /v1/feed latency vs offered request rate (open loop)', subtitle: subtitle(feed) },
    width: 560,
    height: 320,
    data: { values: steps },
    layer: [
      {
        transform: [{ fold: ['p50_ms', 'p99_ms'], as: ['percentile', 'latency_ms'] }],
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'rate', type: 'quantitative', title: 'offered rate (req/s)' },
          y: { field: 'latency_ms', type: 'quantitative', title: 'latency (ms, log)', scale: { type: 'log' } },
          color: { field: 'target', type: 'nominal', title: 'server' },
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile' },
        },
      },
      // The p99's min–max over the repeats, where the result has it.
      {
        transform: [{ filter: 'isValid(datum.p99_min_ms) && isValid(datum.p99_max_ms)' }],
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x: { field: 'rate', type: 'quantitative' },
          y: { field: 'p99_min_ms', type: 'quantitative', scale: { type: 'log' } },
          y2: { field: 'p99_max_ms' },
          color: { field: 'target', type: 'nominal', title: 'server' },
        },
      },
      { data: { values: [{ y: 50 }] }, mark: { type: 'rule', color: 'firebrick', strokeDash: [2, 2] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  };
}

/** Recall@100 against single-query p50 latency for every index setting, one panel per size. */
export function recallVsLatencySpec(ann: BenchResult): TopLevelSpec | undefined {
  const points = (ann.series.points ?? []).filter((p) => p.index !== 'Flat (exact)');
  if (!points.length) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'ANN recall@100 vs single-query latency (d=64)', subtitle: subtitle(ann) },
    data: { values: points },
    facet: { column: { field: 'items', type: 'ordinal', title: 'items' } },
    spec: {
      width: 300,
      height: 260,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'p50_ms', type: 'quantitative', title: 'p50 latency (ms, log)', scale: { type: 'log' } },
            y: { field: 'recall', type: 'quantitative', title: 'recall@100', scale: { domain: [0, 1] } },
            color: { field: 'index', type: 'nominal', title: 'index' },
            order: { field: 'p50_ms', type: 'quantitative' },
            tooltip: [{ field: 'setting' }, { field: 'speedup' }],
          },
        },
        { mark: { type: 'rule', color: 'firebrick', strokeDash: [2, 2] }, encoding: { y: { datum: 0.95 } } },
      ],
    },
  };
}

/** The soak, window by window: feed p50/p99 above, serving RSS below, the promotion marked. */
export function soakSpec(soak: BenchResult): TopLevelSpec | undefined {
  const windows = soak.series.windows ?? [];
  if (!windows.length) return undefined;
  const promotedAt = (soak.tables[0]?.rows ?? []).find((r) => String(r[r.length - 1]).includes('model promoted'))?.[0];
  const promotion = promotedAt === undefined ? [] : [{ mark: { type: 'rule' as const, color: 'gray', strokeDash: [4, 3] }, encoding: { x: { datum: promotedAt } } }];
  const x = { field: 'minute', type: 'quantitative' as const, title: 'minute' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Soak: feed latency and serving RSS per minute (dashed: model promotion)', subtitle: subtitle(soak) },
    data: { values: windows },
    vconcat: [
      {
        width: 560,
        height: 200,
        layer: [
          {
            transform: [{ fold: ['p50_ms', 'p99_ms'], as: ['percentile', 'latency_ms'] }],
            mark: { type: 'line', point: true },
            encoding: { x, y: { field: 'latency_ms', type: 'quantitative', title: 'GET /v1/feed latency (ms)' }, color: { field: 'percentile', type: 'nominal' } },
          },
          ...promotion,
        ],
      },
      {
        width: 560,
        height: 140,
        layer: [{ mark: { type: 'line', point: true }, encoding: { x, y: { field: 'rss_mib', type: 'quantitative', title: 'RSS after GC (MiB)', scale: { zero: false } } } }, ...promotion],
      },
    ],
  };
}
