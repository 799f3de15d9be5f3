import type { ItemRow, LiveStreamRow } from '../../storage/catalog.ts';

/** A typed-array column that may be read and sliced but not written. */
export interface Column extends Iterable<number> {
  readonly length: number;
  readonly [row: number]: number;
  subarray(begin?: number, end?: number): Column;
}

/** Id ↔ row lookups of one table (no upsert). */
interface IdLookup {
  readonly size: number;
  row(id: string): number;
  id(row: number): string;
}

/** Code ↔ value lookups of a dictionary-encoded column (no new codes). */
interface CodeLookup {
  find(value: string): number;
  value(code: number): string;
}

/** The long-term item stats the serving path reads. */
interface StatsView {
  readonly impressions: Column;
  readonly plays: Column;
  readonly completions: Column;
  readonly likes: Column;
  readonly shares: Column;
  readonly skips: Column;
  readonly purchases: Column;
  readonly watchRatio: Column;
  readonly trendingFallback: readonly Readonly<{ item_id: string; score: number }>[];
}

/**
 * What pipeline stages (and the traffic pool) may read of the serving catalog: the columns
 * and derived lists, without upserts or index writes. ServingCatalog implements it; only the
 * catalog's own loaders and followers write.
 */
export interface CatalogView {
  readonly items: IdLookup;
  readonly products: IdLookup;
  readonly creators: IdLookup;
  readonly users: IdLookup;
  readonly categories: CodeLookup;
  readonly locales: CodeLookup;
  readonly currencies: CodeLookup;
  readonly segments: CodeLookup;

  readonly itemCreator: Column;
  readonly itemCategory: Column;
  readonly itemLocale: Column;
  readonly itemDuration: Column;
  readonly itemPublished: Column;
  readonly itemProduct: Column;
  readonly itemAvailable: Column;

  readonly productPrice: Column;
  readonly productCurrency: Column;
  readonly productTitle: readonly string[];
  readonly productImage: readonly string[];

  readonly creatorKol: Column;
  readonly creatorFollowers: Column;
  readonly creatorHash: Column;

  readonly lives: readonly Readonly<LiveStreamRow & { creator: number; product: number }>[];
  readonly friends: ReadonlyMap<string, ReadonlySet<string>>;
  readonly follows: ReadonlyMap<string, ReadonlySet<number>>;
  readonly stats: StatsView;

  readonly creatorItems: readonly Column[];
  readonly freshItems: Column;
  readonly kolsByLocale: ReadonlyMap<number, Column>;
  readonly popularBySegment: ReadonlyMap<number, Column>;
  readonly popularByLocale: ReadonlyMap<number, Column>;
  readonly defaultLocale: number;
  readonly newSegment: number;

  itemRow(row: number): ItemRow;
  isProductBuyable(row: number): boolean;
  userProfile(userId: string): { known: boolean; locale: number; segment: number };
}
