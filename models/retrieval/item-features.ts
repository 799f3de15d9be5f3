import { Dictionary, ensureCapacity, IdIndex } from '../../core/columns.ts';

/** What the item tower knows about an item (from the catalog). */
export interface ItemFeatures {
  item_id: string;
  category: string;
  creator_id: string;
  has_product: boolean;
  price: number;
}

/**
 * Item tower features by item id, in columns with categories and creators interned: a
 * million items are a few heap objects rather than a million records (each full garbage
 * collection of a serving process marks every live object).
 */
export class ItemFeatureTable {
  private readonly rows = new IdIndex();
  private readonly categories = new Dictionary();
  private readonly creators = new Dictionary();
  private category = new Int32Array(0);
  private creator = new Int32Array(0);
  private price = new Float64Array(0);
  private hasProduct = new Uint8Array(0);

  get size(): number {
    return this.rows.size;
  }

  has(id: string): boolean {
    return this.rows.row(id) >= 0;
  }

  /** Adds an item or replaces its features. */
  set(f: ItemFeatures): void {
    const { row } = this.rows.upsert(f.item_id);
    this.category = ensureCapacity(this.category, row + 1);
    this.creator = ensureCapacity(this.creator, row + 1);
    this.price = ensureCapacity(this.price, row + 1);
    this.hasProduct = ensureCapacity(this.hasProduct, row + 1);
    this.category[row] = this.categories.code(f.category);
    this.creator[row] = this.creators.code(f.creator_id);
    this.price[row] = f.price;
    this.hasProduct[row] = f.has_product ? 1 : 0;
  }

  get(id: string): ItemFeatures | undefined {
    const row = this.rows.row(id);
    return row < 0 ? undefined : this.at(row);
  }

  /** Item ids in insertion order. */
  keys(): readonly string[] {
    return this.rows.ids;
  }

  values(): ItemFeatures[] {
    return Array.from({ length: this.rows.size }, (_, row) => this.at(row));
  }

  private at(row: number): ItemFeatures {
    return {
      item_id: this.rows.id(row),
      category: this.categories.value(this.category[row]!),
      creator_id: this.creators.value(this.creator[row]!),
      has_product: this.hasProduct[row] === 1,
      price: this.price[row]!,
    };
  }
}
