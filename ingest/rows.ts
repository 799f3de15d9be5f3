import type { EngagementEvent, EventKind } from './events.ts';
import type { EventRow, OnlineRow } from '../storage/event-queries.ts';

/** An event as a row of the events table. */
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

/** The `events` columns eventToTsv writes, in its order (named in the INSERT, so the table may gain columns). */
export const TSV_COLUMNS = [
  'event_id',
  'schema_version',
  'kind',
  'user_id',
  'item_id',
  'product_id',
  'creator_id',
  'live_id',
  'ts',
  'ts_ms',
  'watch_ms',
  'duration_ms',
  'price',
  'quantity',
  'request_id',
  'position',
  'app',
  'device',
  'locale',
  'kafka_partition',
  'kafka_offset',
  'ingested_at',
] as const;

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** A String value in ClickHouse TabSeparated: backslash, tab, newline, CR and NUL escaped. */
function tsvString(s: string | undefined): string {
  if (s === undefined) return '';
  return TSV_SPECIAL.test(s) ? s.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c]!) : s;
}

/**
 * The same row as eventToRow, as one TabSeparated line (with its newline) in TSV_COLUMNS order:
 * cheaper to build than an object that is then serialised to JSON, and cheaper for ClickHouse
 * to parse. Ids, kind and locale are validated to need no escaping; free text is escaped.
 */
export function eventToTsv(e: EngagementEvent, partition: number, offset: number, nowS: number): string {
  return `${e.event_id}\t${e.schema_version}\t${e.kind}\t${e.user_id}\t${e.item_id ?? ''}\t${e.product_id ?? ''}\t${e.creator_id ?? ''}\t${
    e.live_id ?? ''
  }\t${Math.floor(e.ts / 1000)}\t${e.ts}\t${e.watch_ms ?? 0}\t${e.duration_ms ?? 0}\t${e.price ?? 0}\t${e.quantity ?? 0}\t${
    e.request_id ?? ''
  }\t${e.position ?? -1}\t${tsvString(e.app)}\t${tsvString(e.device)}\t${e.locale ?? ''}\t${partition}\t${offset}\t${nowS}\n`;
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
