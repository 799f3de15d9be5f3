import type { EngagementEvent, EventKind } from './events.ts';

/** One row of the ClickHouse `events` table, as JSONEachRow (DateTime as epoch seconds). */
export interface EventRow {
  event_id: string;
  schema_version: number;
  kind: string;
  user_id: string;
  item_id: string;
  product_id: string;
  creator_id: string;
  live_id: string;
  ts: number;
  ts_ms: number;
  watch_ms: number;
  duration_ms: number;
  price: number;
  quantity: number;
  request_id: string;
  /** -1 when the client sent no position. */
  position: number;
  app: string;
  device: string;
  locale: string;
  kafka_partition: number;
  kafka_offset: number;
  ingested_at: number;
}

export function eventToRow(e: EngagementEvent, partition: number, offset: number, nowS: number): EventRow {
  return {
    event_id: e.event_id,
    schema_version: e.schema_version,
    kind: e.kind,
    user_id: e.user_id,
    item_id: e.item_id ?? '',
    product_id: e.product_id ?? '',
    creator_id: e.creator_id ?? '',
    live_id: e.live_id ?? '',
    ts: Math.floor(e.ts / 1000),
    ts_ms: e.ts,
    watch_ms: e.watch_ms ?? 0,
    duration_ms: e.duration_ms ?? 0,
    price: e.price ?? 0,
    quantity: e.quantity ?? 0,
    request_id: e.request_id ?? '',
    position: e.position ?? -1,
    app: e.app ?? '',
    device: e.device ?? '',
    locale: e.locale ?? '',
    kafka_partition: partition,
    kafka_offset: offset,
    ingested_at: nowS,
  };
}

/** The columns the online state needs, as ClickHouse returns them (UInt64 as strings). */
export const ONLINE_COLUMNS =
  'event_id, kind, user_id, item_id, product_id, creator_id, live_id, toString(ts_ms) AS ts_ms, watch_ms, duration_ms, price, quantity';

export interface OnlineRow {
  event_id: string;
  kind: string;
  user_id: string;
  item_id: string;
  product_id: string;
  creator_id: string;
  live_id: string;
  ts_ms: string;
  watch_ms: number;
  duration_ms: number;
  price: number;
  quantity: number;
}

/** Back from a stored row to an event (empty strings and zeros become absent fields). */
export function rowToEvent(r: OnlineRow): EngagementEvent {
  const e: EngagementEvent = { schema_version: 1, event_id: r.event_id, kind: r.kind as EventKind, user_id: r.user_id, ts: Number(r.ts_ms) };
  if (r.item_id) e.item_id = r.item_id;
  if (r.product_id) e.product_id = r.product_id;
  if (r.creator_id) e.creator_id = r.creator_id;
  if (r.live_id) e.live_id = r.live_id;
  if (r.kind === 'play') {
    e.watch_ms = Number(r.watch_ms);
    e.duration_ms = Number(r.duration_ms);
  }
  if (r.kind === 'purchase') {
    e.price = Number(r.price);
    e.quantity = Number(r.quantity);
  }
  return e;
}
