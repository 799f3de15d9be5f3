/** One engagement in a user's ordered sequence, as the sequence model reads it. */
export interface SequenceEvent {
  item_id: string;
  /** Event kind (play, complete, like, purchase, ...); '' when the source has none. */
  kind: string;
  /** Watched share of the video, or null when unknown (catalogue data, purchases). */
  watchRatio: number | null;
  /** Seconds; only differences between consecutive events are used. */
  ts: number;
}

/** Side tokens added to each item token: the ids looked up in their own embedding tables. */
export interface TokenSides {
  kind: string;
  ratio: string;
  gap: string;
}

/** Watch ratio in tenths up to 2x (loops), 'none' when unknown. */
function ratioBucket(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return 'none';
  return `r${Math.round(Math.min(2, Math.max(0, ratio)) * 10)}`;
}

/** Time since the previous event, log2 seconds (0 = same second or first event), capped at ~1 year. */
function gapBucket(seconds: number): string {
  return `g${Math.min(25, Math.floor(Math.log2(1 + Math.max(0, seconds))))}`;
}

export function sidesOf(events: readonly SequenceEvent[]): TokenSides[] {
  return events.map((e, t) => ({ kind: e.kind, ratio: ratioBucket(e.watchRatio), gap: gapBucket(t > 0 ? e.ts - events[t - 1]!.ts : 0) }));
}
