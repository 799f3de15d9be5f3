import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { childLogger } from '../../core/logger.ts';
import { itemsChangedSince, productsChangedSince, readCatalog, type ItemRow, type ProductRow } from '../../storage/catalog.ts';
import { ServingCatalog } from './serving-catalog.ts';

const log = childLogger('catalog');

function reindexOptions(config: Config) {
  return { freshMaxAgeHours: config.ranker.trafficPool.maxAgeHours, popularListSize: config.ranker.catalog.popularListSize };
}

/** Reads every catalog table and the long-term stats from ClickHouse into a new serving catalog. */
export async function loadServingCatalog(client: ClickHouseClient, config: Config): Promise<ServingCatalog> {
  const started = Date.now();
  const catalog = new ServingCatalog();
  for await (const rows of readCatalog(client, 'creators')) catalog.upsertCreators(rows);
  for await (const rows of readCatalog(client, 'products')) catalog.upsertProducts(rows);
  for await (const rows of readCatalog(client, 'items')) {
    catalog.upsertItems(rows);
    if (catalog.items.size % 200_000 < rows.length) log.info({ items: catalog.items.size }, 'loading items');
  }
  for await (const rows of readCatalog(client, 'users')) catalog.upsertUsers(rows);
  const lives = [];
  for await (const rows of readCatalog(client, 'live_streams')) lives.push(...rows);
  catalog.setLives(lives);
  for await (const rows of readCatalog(client, 'social_edges')) catalog.applySocialEdges(rows);
  await catalog.stats.load(client, catalog, config.ranker.catalog.popularListSize);
  catalog.reindex(reindexOptions(config));
  log.info({ ...catalog.size, ms: Date.now() - started }, 'serving catalog loaded');
  return catalog;
}

/** The newest version of each id (largest `version`; the later row on a tie, as ReplacingMergeTree keeps). */
export function latestById<T>(rows: readonly (T & { version: number })[], id: (row: T) => string): T[] {
  const latest = new Map<string, T & { version: number }>();
  for (const r of rows) {
    const prev = latest.get(id(r));
    if (!prev || r.version >= prev.version) latest.set(id(r), r);
  }
  return [...latest.values()].map(({ version: _, ...row }) => row as T);
}

/**
 * Rows of items and products changed since `sinceSec` (availability, stock, new items). No
 * FINAL: with it ClickHouse merges the whole table (about 0.15 s of both cores for 1M items, per
 * replica, every refresh, which showed as feed latency spikes); the newest version per id is
 * picked here instead, which is the same answer.
 */
type Versioned<T> = T & { updated_at: number };

async function changedSince(client: ClickHouseClient, sinceSec: number): Promise<{ items: Versioned<ItemRow>[]; products: Versioned<ProductRow>[] }> {
  const since = Math.max(0, Math.floor(sinceSec));
  return withContext('reading catalog changes', async () => {
    // updated_at stays on the rows: the serving catalog skips versions older than a catalog write it already applied.
    const items = await itemsChangedSince(client, since);
    const products = await productsChangedSince(client, since);
    return { items: latestById(items, (r) => r.item_id), products: latestById(products, (r) => r.product_id) };
  });
}

/**
 * How far back each stats refresh looks for changed items, beyond the previous one: ingested_at
 * is stamped when the ingest writer builds its batch, and an insert retried through a ClickHouse
 * hiccup lands later. Re-reading a few minutes of changed items is cheap.
 */
const STATS_OVERLAP_S = 300;

/**
 * Keeps a serving catalog current off the request path: item/product changes every
 * `refreshSeconds`, long-term stats and derived lists every `statsRefreshSeconds`.
 */
export class CatalogRefresher {
  private timers: NodeJS.Timeout[] = [];
  private since: number;
  private statsSince: number;
  private running = false;
  lastError: string | undefined;

  /** `loadStartedMs`: when the initial load began; changes from then on are applied. */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly config: Config,
    readonly catalog: ServingCatalog,
    loadStartedMs: number,
  ) {
    // Overlap by a few seconds: updated_at has one-second resolution and inserts race the clock.
    this.since = Math.floor(loadStartedMs / 1000) - 5;
    this.statsSince = this.since;
  }

  start(): void {
    const { refreshSeconds, statsRefreshSeconds } = this.config.ranker.catalog;
    this.timers.push(setInterval(() => void this.guard(() => this.refreshChanges()), refreshSeconds * 1000).unref());
    this.timers.push(setInterval(() => void this.guard(() => this.refreshStats()), statsRefreshSeconds * 1000).unref());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private async guard(fn: () => Promise<unknown>): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await fn();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      log.warn({ err: this.lastError }, 'catalog refresh failed; serving the previous state');
    } finally {
      this.running = false;
    }
  }

  /** Applies item and product changes since the last refresh; returns the counts. */
  async refreshChanges(): Promise<{ items: number; products: number }> {
    const next = Math.floor(Date.now() / 1000) - 5;
    const { items, products } = await changedSince(this.client, this.since);
    this.catalog.upsertProducts(products);
    this.catalog.indexNewItems(this.catalog.upsertItems(items));
    this.since = next;
    if (items.length + products.length > 0) log.debug({ items: items.length, products: products.length }, 'catalog changes applied');
    return { items: items.length, products: products.length };
  }

  /** Re-reads the totals of items with events since the last refresh, then the derived lists; returns how many items changed. */
  async refreshStats(): Promise<number> {
    const { popularListSize } = this.config.ranker.catalog;
    const next = Math.floor(Date.now() / 1000);
    const { items } = await this.catalog.stats.load(this.client, this.catalog, popularListSize, this.statsSince - STATS_OVERLAP_S);
    await this.catalog.reindexPopularInSlices(popularListSize);
    this.statsSince = next;
    return items;
  }
}
