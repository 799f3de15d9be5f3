import type { CreatorRow, ItemRow, LiveStreamRow, ProductRow, SocialEdgeRow, UserRow } from '../../storage/catalog.ts';
import { hash32 } from '../../core/hash.ts';
import type { CatalogView } from './catalog-view.ts';
import { Dictionary, ensureCapacity, IdIndex, TextColumn } from '../../core/columns.ts';
import { ItemStats } from './item-stats.ts';

const EMPTY = new Int32Array(0);

function mostCommon(codes: Uint16Array, cardinality: number): number {
  const counts = new Uint32Array(cardinality);
  for (const c of codes) counts[c]!++;
  let best = -1;
  for (let c = 0; c < cardinality; c++) if (best < 0 || counts[c]! > counts[best]!) best = c;
  return best;
}

/**
 * The catalog as the serving path reads it: column arrays indexed by a dense row number per
 * table, plus id → row indexes. About 60 bytes of typed arrays and its UTF-8 title per item
 * on top of its id string, so a 1,000,000-item catalog fits in a few hundred MB. Rows are
 * upserted in place (availability changes) and appended (new items); derived lists are rebuilt
 * by `reindex()` off the request path.
 */
export class ServingCatalog implements CatalogView {
  readonly categories = new Dictionary();
  readonly locales = new Dictionary();
  readonly currencies = new Dictionary();
  readonly segments = new Dictionary();

  readonly items = new IdIndex();
  itemCreator = new Int32Array(0);
  itemCategory = new Uint16Array(0);
  itemLocale = new Uint16Array(0);
  itemDuration = new Uint32Array(0);
  itemPublished = new Uint32Array(0);
  itemProduct = new Int32Array(0);
  itemAvailable = new Uint8Array(0);
  /** updated_at (epoch seconds) of the row applied; an older version arriving later is ignored. */
  itemVersion = new Uint32Array(0);
  readonly itemTitle = new TextColumn();

  readonly products = new IdIndex();
  productPrice = new Float64Array(0);
  productCurrency = new Uint16Array(0);
  productStock = new Uint32Array(0);
  productAvailable = new Uint8Array(0);
  productVersion = new Uint32Array(0);
  productCategory = new Uint16Array(0);
  productTitle: string[] = [];
  productImage: string[] = [];
  productSeller: string[] = [];

  readonly creators = new IdIndex();
  creatorLocale = new Uint16Array(0);
  creatorCategory = new Uint16Array(0);
  creatorKol = new Uint8Array(0);
  creatorFollowers = new Uint32Array(0);
  /** hash32 of the creator id: what sessions carry for creator spacing. */
  creatorHash = new Uint32Array(0);
  creatorName: string[] = [];

  readonly users = new IdIndex();
  userLocale = new Uint16Array(0);
  userSegment = new Uint16Array(0);
  /** People whose data was deleted: unknown from then on (an IdIndex row cannot be removed). */
  readonly erasedUsers = new Set<string>();

  lives: (LiveStreamRow & { creator: number; product: number })[] = [];
  /** user → friends (both directions stored upstream). */
  readonly friends = new Map<string, Set<string>>();
  /** user → followed creator rows. */
  readonly follows = new Map<string, Set<number>>();

  readonly stats = new ItemStats();
  private readonly newItemListeners = new Set<(rows: readonly number[]) => void>();

  // Derived by reindex().
  /** Per creator, its item rows, newest first. */
  creatorItems: Int32Array[] = [];
  /** Rows of items published within the fresh window, newest first. */
  freshItems = EMPTY;
  /** Per locale code: KOL creator rows by followers. */
  kolsByLocale = new Map<number, Int32Array>();
  /** Per user-segment code: popular item rows (from events by users of that segment). */
  popularBySegment = new Map<number, Int32Array>();
  /** Per locale code: popular available item rows by long-term engagement. */
  popularByLocale = new Map<number, Int32Array>();
  /** Locale with the most items: the cold-start default. */
  defaultLocale = -1;
  /** People the catalog does not know are segment `new` (not the most common segment: that was "heavy"). */
  readonly newSegment = this.segments.code('new');
  /** When reindex() last ran (epoch seconds). */
  indexedAt = 0;

  get size(): { items: number; products: number; creators: number; users: number; lives: number } {
    return { items: this.items.size, products: this.products.size, creators: this.creators.size, users: this.users.size, lives: this.lives.length };
  }

  upsertCreators(rows: readonly CreatorRow[]): void {
    this.reserveCreators(this.creators.size + rows.length);
    for (const r of rows) {
      const row = this.creators.upsert(r.creator_id).row;
      this.creatorHash[row] = hash32(r.creator_id);
      this.creatorLocale[row] = this.locales.code(r.locale);
      this.creatorCategory[row] = this.categories.code(r.category);
      this.creatorKol[row] = Number(r.is_kol) ? 1 : 0;
      this.creatorFollowers[row] = Number(r.followers);
      this.creatorName[row] = r.name;
    }
  }

  private reserveCreators(n: number): void {
    this.creatorLocale = ensureCapacity(this.creatorLocale, n);
    this.creatorCategory = ensureCapacity(this.creatorCategory, n);
    this.creatorKol = ensureCapacity(this.creatorKol, n);
    this.creatorFollowers = ensureCapacity(this.creatorFollowers, n);
    this.creatorHash = ensureCapacity(this.creatorHash, n);
  }

  /** A creator referenced before its row arrives gets a placeholder row. */
  private creatorRow(id: string): number {
    const { row, created } = this.creators.upsert(id);
    if (created) {
      this.reserveCreators(row + 1);
      this.creatorName[row] = id;
      this.creatorHash[row] = hash32(id);
    }
    return row;
  }

  private productRowOf(id: string): number {
    if (!id) return -1;
    const { row, created } = this.products.upsert(id);
    if (created) {
      this.reserveProducts(row + 1);
      this.productTitle[row] = id;
      this.productImage[row] = '';
      this.productSeller[row] = '';
    }
    return row;
  }

  /**
   * Upserts items; returns the rows that are new (callers index them with `indexNewItems`). A
   * row with an `updated_at` older than the version applied is skipped: catalog writes from
   * Kafka and the periodic ClickHouse refresh arrive in either order.
   */
  upsertItems(rows: readonly (ItemRow & { updated_at?: number })[]): number[] {
    const created: number[] = [];
    const n = this.items.size + rows.length;
    this.itemCreator = ensureCapacity(this.itemCreator, n);
    this.itemCategory = ensureCapacity(this.itemCategory, n);
    this.itemLocale = ensureCapacity(this.itemLocale, n);
    this.itemDuration = ensureCapacity(this.itemDuration, n);
    this.itemPublished = ensureCapacity(this.itemPublished, n);
    this.itemProduct = ensureCapacity(this.itemProduct, n);
    this.itemAvailable = ensureCapacity(this.itemAvailable, n);
    this.itemVersion = ensureCapacity(this.itemVersion, n);
    for (const r of rows) {
      const { row, created: isNew } = this.items.upsert(r.item_id);
      if (isNew) created.push(row);
      else if ((r.updated_at ?? 0) < this.itemVersion[row]!) continue;
      this.itemVersion[row] = r.updated_at ?? 0;
      this.itemCreator[row] = this.creatorRow(r.creator_id);
      this.itemCategory[row] = this.categories.code(r.category);
      this.itemLocale[row] = this.locales.code(r.locale);
      this.itemDuration[row] = Number(r.duration_ms);
      this.itemPublished[row] = Number(r.published_at);
      this.itemProduct[row] = this.productRowOf(r.product_id);
      this.itemAvailable[row] = Number(r.available) ? 1 : 0;
      this.itemTitle.set(row, r.title);
    }
    this.stats.reserve(this.items.size);
    return created;
  }

  /**
   * Adds new items to the derived lists without a full reindex (which sorts the whole catalog):
   * their creator's list and the fresh window. Availability changes need nothing: every reader
   * checks `itemAvailable`.
   */
  indexNewItems(rows: readonly number[]): void {
    if (rows.length === 0) return;
    for (const cb of this.newItemListeners) cb(rows);
    const published = this.itemPublished;
    const byCreator = new Map<number, number[]>();
    for (const row of rows) {
      const c = this.itemCreator[row]!;
      byCreator.set(c, [...(byCreator.get(c) ?? []), row]);
    }
    for (const [c, added] of byCreator) {
      const merged = Int32Array.from([...added, ...(this.creatorItems[c] ?? [])]);
      merged.sort((a, b) => published[b]! - published[a]!);
      this.creatorItems[c] = merged;
    }
    const fresh = Int32Array.from([...rows, ...this.freshItems]);
    fresh.sort((a, b) => published[b]! - published[a]!);
    this.freshItems = fresh;
  }

  /** Calls `cb` with the rows of items added after the initial load (to give them ANN vectors); returns the unsubscribe. */
  onNewItems(cb: (rows: readonly number[]) => void): () => void {
    this.newItemListeners.add(cb);
    return () => this.newItemListeners.delete(cb);
  }

  /** The stored row of item `row`, as written to ClickHouse (a retire rewrites it with available = 0). */
  itemRow(row: number): ItemRow {
    const product = this.itemProduct[row]!;
    return {
      item_id: this.items.id(row),
      creator_id: this.creators.id(this.itemCreator[row]!),
      title: this.itemTitle.get(row),
      category: this.categories.value(this.itemCategory[row]!),
      locale: this.locales.value(this.itemLocale[row]!),
      duration_ms: this.itemDuration[row]!,
      published_at: this.itemPublished[row]!,
      product_id: product >= 0 ? this.products.id(product) : '',
      available: this.itemAvailable[row]!,
    };
  }

  productRow(row: number): ProductRow {
    return {
      product_id: this.products.id(row),
      title: this.productTitle[row] ?? '',
      category: this.categories.value(this.productCategory[row]!),
      price: this.productPrice[row]!,
      currency: this.currencies.value(this.productCurrency[row]!),
      image_url: this.productImage[row] ?? '',
      seller_id: this.productSeller[row] ?? '',
      stock: this.productStock[row]!,
      available: this.productAvailable[row]!,
    };
  }

  private reserveProducts(n: number): void {
    this.productPrice = ensureCapacity(this.productPrice, n);
    this.productCurrency = ensureCapacity(this.productCurrency, n);
    this.productStock = ensureCapacity(this.productStock, n);
    this.productAvailable = ensureCapacity(this.productAvailable, n);
    this.productCategory = ensureCapacity(this.productCategory, n);
    this.productVersion = ensureCapacity(this.productVersion, n);
  }

  /** Upserts products; like items, an older version than the one applied is skipped. */
  upsertProducts(rows: readonly (ProductRow & { updated_at?: number })[]): void {
    this.reserveProducts(this.products.size + rows.length);
    for (const r of rows) {
      const { row, created } = this.products.upsert(r.product_id);
      if (!created && (r.updated_at ?? 0) < this.productVersion[row]!) continue;
      this.productVersion[row] = r.updated_at ?? 0;
      this.productPrice[row] = Number(r.price);
      this.productCurrency[row] = this.currencies.code(r.currency);
      this.productStock[row] = Number(r.stock);
      this.productAvailable[row] = Number(r.available) ? 1 : 0;
      this.productCategory[row] = this.categories.code(r.category);
      this.productTitle[row] = r.title;
      this.productImage[row] = r.image_url;
      this.productSeller[row] = r.seller_id;
    }
  }

  upsertUsers(rows: readonly UserRow[]): void {
    const n = this.users.size + rows.length;
    this.userLocale = ensureCapacity(this.userLocale, n);
    this.userSegment = ensureCapacity(this.userSegment, n);
    for (const r of rows) {
      const row = this.users.upsert(r.user_id).row;
      this.userLocale[row] = this.locales.code(r.locale);
      this.userSegment[row] = this.segments.code(r.segment);
    }
  }

  /** Replaces the live streams (a small table, read whole). */
  setLives(rows: readonly LiveStreamRow[]): void {
    this.lives = rows.map((r) => ({ ...r, creator: this.creatorRow(r.creator_id), product: this.productRowOf(r.product_id) }));
  }

  /** Adds or replaces live streams by live_id. */
  upsertLives(rows: readonly LiveStreamRow[]): void {
    const ids = new Set(rows.map((r) => r.live_id));
    this.setLives([...this.lives.filter((l) => !ids.has(l.live_id)), ...rows]);
  }

  /** Forgets a person: their profile, friend edges (both directions) and follows. */
  eraseUser(userId: string): void {
    this.erasedUsers.add(userId);
    for (const friend of this.friends.get(userId) ?? []) this.friends.get(friend)?.delete(userId);
    this.friends.delete(userId);
    this.follows.delete(userId);
  }

  applySocialEdges(rows: readonly SocialEdgeRow[]): void {
    for (const e of rows) {
      const active = Number(e.active) === 1;
      if (e.kind === 'friend') {
        const set = this.friends.get(e.src) ?? new Set<string>();
        if (active) set.add(e.dst);
        else set.delete(e.dst);
        this.friends.set(e.src, set);
      } else if (e.kind === 'follow') {
        const set = this.follows.get(e.src) ?? new Set<number>();
        const creator = this.creatorRow(e.dst);
        if (active) set.add(creator);
        else set.delete(creator);
        this.follows.set(e.src, set);
      }
    }
  }

  isProductBuyable(row: number): boolean {
    return row >= 0 && this.productAvailable[row] === 1 && this.productStock[row]! > 0;
  }

  /** Rebuilds the derived lists; cheap enough to run every refresh (linear in items). */
  reindex(config: { freshMaxAgeHours: number; popularListSize: number }, nowSec = Math.floor(Date.now() / 1000)): void {
    const nItems = this.items.size;
    const nCreators = this.creators.size;
    const counts = new Int32Array(nCreators);
    for (let i = 0; i < nItems; i++) counts[this.itemCreator[i]!]!++;
    const byCreator = Array.from({ length: nCreators }, (_, c) => new Int32Array(counts[c]!));
    counts.fill(0);
    for (let i = 0; i < nItems; i++) {
      const c = this.itemCreator[i]!;
      byCreator[c]![counts[c]!++] = i;
    }
    const published = this.itemPublished;
    for (const list of byCreator) list.sort((a, b) => published[b]! - published[a]!);
    this.creatorItems = byCreator;

    const freshSince = nowSec - config.freshMaxAgeHours * 3600;
    const fresh: number[] = [];
    for (let i = 0; i < nItems; i++) if (published[i]! >= freshSince && this.itemAvailable[i]) fresh.push(i);
    fresh.sort((a, b) => published[b]! - published[a]!);
    this.freshItems = Int32Array.from(fresh);

    this.reindexKols();

    this.defaultLocale = mostCommon(this.itemLocale.subarray(0, nItems), this.locales.values.length);
    this.reindexPopular(config.popularListSize, nowSec);
  }

  /** KOL creators per locale by followers (a small pass over creators: also after creator writes). */
  reindexKols(): void {
    const kols = new Map<number, number[]>();
    for (let c = 0; c < this.creators.size; c++) {
      if (!this.creatorKol[c]) continue;
      const loc = this.creatorLocale[c]!;
      const list = kols.get(loc) ?? [];
      list.push(c);
      kols.set(loc, list);
    }
    this.kolsByLocale = new Map([...kols].map(([loc, list]) => [loc, Int32Array.from(list.sort((a, b) => this.creatorFollowers[b]! - this.creatorFollowers[a]!))]));
  }

  /** Recomputes the popularity lists from the current stats (after a stats refresh). */
  reindexPopular(popularListSize: number, nowSec = Math.floor(Date.now() / 1000)): void {
    this.installPopular(this.stats.popularByLocale(this, popularListSize), nowSec);
  }

  /** The same while serving: the 1M-row pass runs in slices between requests. */
  async reindexPopularInSlices(popularListSize: number, nowSec = Math.floor(Date.now() / 1000)): Promise<void> {
    this.installPopular(await this.stats.popularByLocaleInSlices(this, popularListSize), nowSec);
  }

  private installPopular(byLocale: Map<number, Int32Array>, nowSec: number): void {
    this.popularByLocale = byLocale;
    this.popularBySegment = this.stats.popularBySegmentRows(this);
    this.indexedAt = nowSec;
  }

  /** Locale and segment codes for a user; unknown users get -1. */
  userProfile(userId: string): { known: boolean; locale: number; segment: number } {
    const row = this.erasedUsers.has(userId) ? -1 : this.users.row(userId);
    if (row < 0) return { known: false, locale: -1, segment: -1 };
    return { known: true, locale: this.userLocale[row]!, segment: this.userSegment[row]! };
  }
}
