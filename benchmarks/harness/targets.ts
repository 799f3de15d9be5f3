/** The targets from issue 7 for this 2-core machine; every benchmark checks the ones it measures. */
export const TARGETS = {
  feed_p99_200rps: { figure: 'feed p99 at 200 req/s, 1M items', target: 'under 50 ms', below: 50, unit: 'ms', items: 1_000_000, trainedModels: true },
  ingest_end_to_end: { figure: 'ingest end to end', target: 'at least 50,000 events/s', atLeast: 50_000, unit: 'events/s' },
  event_to_feed_p99: { figure: 'event to next-feed effect', target: 'p99 under 1 s', below: 1000, unit: 'ms' },
  new_item_ann: { figure: 'new item retrievable via ANN', target: 'under 60 s', below: 60, unit: 's' },
  catalog_write_p99: { figure: 'catalog write applied by another replica', target: 'p99 under 1 s', below: 1000, unit: 'ms' },
  ann_recall_1m: {
    figure: 'ANN recall@100 vs exact, 1M items',
    target: 'at least 0.95, at 20x or more less time than exact search',
    atLeast: 0.95,
    unit: 'recall@100',
    items: 1_000_000,
  },
  /** Issue #23: training in bounded memory; 2 GiB = the training thread's heap cap (models.trainingHeapMb, 1.5 GiB) + 0.5 GiB for tfjs and the process. */
  train_rss_10m: { figure: 'feed train peak RSS, 10M events (2,000 people, 20,000 videos)', target: 'under 2 GiB', below: 2048, unit: 'MiB', items: 20_000 },
  serving_rss_1m: { figure: 'serving RSS, 1M items', target: 'under 2 GiB', below: 2048, unit: 'MiB', items: 1_000_000, trainedModels: true },
} as const;

export type TargetId = keyof typeof TARGETS;

export interface TargetCheck {
  id: TargetId;
  figure: string;
  target: string;
  value: number | null;
  unit: string;
  met: boolean;
  /** How far from the target, e.g. "missed by 12 ms (24%)". */
  margin: string;
  /** False when measured at another size than the target names (smoke, 100k): shown, not judged. */
  applies: boolean;
  note?: string;
  /** Spread of the repeats whose median `value` is. */
  min?: number;
  max?: number;
  runs?: number;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));
}

/** Judges `value` (the median over repeats, `spread` beside it) against target `id`; `items` is the dataset size it was measured at. */
export function checkTarget(id: TargetId, value: number | null, opts: { items?: number; note?: string; spread?: { min: number; max: number; runs: number } | undefined } = {}): TargetCheck {
  const t = TARGETS[id];
  const applies = !('items' in t) || opts.items === t.items;
  const base = { id, figure: t.figure, target: t.target, value, unit: t.unit, applies, ...(opts.note ? { note: opts.note } : {}), ...opts.spread };
  if (value === null || !Number.isFinite(value)) return { ...base, value: null, met: false, margin: 'not measured' };
  if ('below' in t) {
    const met = value < t.below;
    const diff = Math.abs(value - t.below);
    return { ...base, met, margin: `${met ? 'met with' : 'missed by'} ${fmt(diff)} ${t.unit} (${fmt((diff / t.below) * 100)}%)` };
  }
  const met = value >= t.atLeast;
  const diff = Math.abs(value - t.atLeast);
  return { ...base, met, margin: `${met ? 'met with' : 'missed by'} ${fmt(diff)} ${t.unit} (${fmt((diff / t.atLeast) * 100)}%)` };
}
