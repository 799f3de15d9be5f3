import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { createClickHouse } from './clickhouse.ts';
import { queryRows, sql } from './sql.ts';

/** Catalog rows as stored in ClickHouse (times in epoch seconds). */
export interface CreatorRow {
  creator_id: string;
  name: string;
  locale: string;
  category: string;
  is_kol: number;
  followers: number;
}

export interface ItemRow {
  item_id: string;
  creator_id: string;
  title: string;
  category: string;
  locale: string;
  duration_ms: number;
  published_at: number;
  /** Attached product ('' when none): shown as a product card on the video. */
  product_id: string;
  available: number;
}

export interface ProductRow {
  product_id: string;
  title: string;
  category: string;
  price: number;
  currency: string;
  image_url: string;
  seller_id: string;
  stock: number;
  available: number;
}

export interface LiveStreamRow {
  live_id: string;
  creator_id: string;
  product_id: string;
  title: string;
  starts_at: number;
  ends_at: number;
}

export interface UserRow {
  user_id: string;
  locale: string;
  segment: string;
  created_at: number;
}

export interface SocialEdgeRow {
  kind: 'friend' | 'follow';
  src: string;
  dst: string;
  active: number;
}

export interface CatalogTables {
  creators: CreatorRow;
  items: ItemRow;
  products: ProductRow;
  live_streams: LiveStreamRow;
  users: UserRow;
  social_edges: SocialEdgeRow;
}
export type CatalogTable = keyof CatalogTables;

/** DateTime columns, read back as epoch seconds. */
const TIME_COLUMNS: Record<CatalogTable, string[]> = {
  creators: [],
  items: ['published_at'],
  products: [],
  live_streams: ['starts_at', 'ends_at'],
  users: ['created_at'],
  social_edges: [],
};

function selectList(table: CatalogTable): string {
  const times = TIME_COLUMNS[table];
  return ['*', ...times.map((c) => `toUInt32(${c}) AS ${c}_s`)].join(', ');
}

function fromRow<T>(table: CatalogTable, row: Record<string, unknown>): T {
  for (const c of TIME_COLUMNS[table]) {
    row[c] = row[`${c}_s`];
    delete row[`${c}_s`];
  }
  delete row.updated_at;
  return row as T;
}

/**
 * Inserts catalog rows (upserts: the tables are ReplacingMergeTree by updated_at). A row's own
 * `updated_at` (epoch seconds; catalog writes carry the time they were accepted) wins over now.
 */
export async function insertCatalog<T extends CatalogTable>(client: ClickHouseClient, table: T, rows: (CatalogTables[T] & { updated_at?: number })[]): Promise<void> {
  if (rows.length === 0) return;
  const updated_at = Math.floor(Date.now() / 1000);
  await withContext(`inserting ${rows.length} rows into ${table}`, () => client.insert({ table, values: rows.map((r) => ({ updated_at, ...r })), format: 'JSONEachRow' }));
}

/** Streams every current row of a catalog table, in batches, without holding them all. */
export async function* readCatalog<T extends CatalogTable>(client: ClickHouseClient, table: T, batchSize = 50_000): AsyncGenerator<CatalogTables[T][]> {
  const rs = await withContext(`reading ${table}`, () => client.query({ query: `SELECT ${selectList(table)} FROM ${table} FINAL`, format: 'JSONEachRow' }));
  let batch: CatalogTables[T][] = [];
  for await (const rows of rs.stream<Record<string, unknown>>()) {
    for (const row of rows) {
      batch.push(fromRow<CatalogTables[T]>(table, row.json()));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Rows in the items table (0 for a new deployment). */
async function itemCount(client: ClickHouseClient): Promise<number> {
  const [row] = await queryRows<{ n: string }>(client, sql`SELECT count() AS n FROM items`);
  return Number(row?.n ?? 0);
}

/** Rows in the config's items table, on a client of its own: whether a world is loaded. */
export async function catalogSize(config: Config): Promise<number> {
  const ch = createClickHouse(config);
  try {
    return await itemCount(ch);
  } finally {
    await ch.close();
  }
}

/** Every stored version of the items written since `sinceSec` (epoch seconds); `version` and `updated_at` are its write time in epoch seconds. */
export function itemsChangedSince(client: ClickHouseClient, sinceSec: number): Promise<(ItemRow & { version: number; updated_at: number })[]> {
  return queryRows(
    client,
    sql`SELECT item_id, creator_id, title, category, locale, duration_ms, toUInt32(published_at) AS published_at,
          product_id, available, toUInt32(updated_at) AS version, toUInt32(updated_at) AS updated_at
        FROM items WHERE updated_at >= toDateTime(${sinceSec})`,
  );
}

/** Every stored version of the products written since `sinceSec` (epoch seconds); `version` and `updated_at` are its write time in epoch seconds. */
export function productsChangedSince(client: ClickHouseClient, sinceSec: number): Promise<(ProductRow & { version: number; updated_at: number })[]> {
  return queryRows(
    client,
    sql`SELECT product_id, title, category, price, currency, image_url, seller_id, stock, available, toUInt32(updated_at) AS version, toUInt32(updated_at) AS updated_at
        FROM products WHERE updated_at >= toDateTime(${sinceSec})`,
  );
}
