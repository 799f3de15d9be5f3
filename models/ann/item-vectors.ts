import { ensureCapacity } from '../../core/columns.ts';

/** Rows of the serving catalog's items by id (core/columns.ts IdIndex). */
export interface ItemRows {
  row(id: string): number;
}

/**
 * Item vectors in ANN label order (a label is a row of the FAISS index): the promoted
 * version's matrix (kept as is, no copy) plus blocks of vectors added online. Labels and
 * catalog rows are linked in typed arrays, so a request goes from ANN hits to catalog rows
 * and from catalog rows to vectors without string lookups. An id goes to its label through
 * the catalog's row; only ids the catalog does not hold yet have a map entry.
 */
export class ItemVectors {
  private readonly ids: string[] = [];
  /** Labels of ids without a catalog row when they were registered. */
  private readonly unlinked = new Map<string, number>();
  private readonly blocks: Float32Array[] = [];
  private readonly base: number;
  private static readonly BLOCK = 4096;
  private used = 0;
  /** label → catalog row + 1 (0: not linked yet). */
  private labelRows: Int32Array;
  /** catalog row → label + 1 (0: not linked yet). */
  private rowLabels = new Int32Array(0);

  constructor(
    readonly dim: number,
    ids: readonly string[],
    vectors: Float32Array,
    private readonly items: ItemRows,
  ) {
    if (vectors.length !== ids.length * dim) throw new Error(`ItemVectors: ${ids.length} ids need ${ids.length * dim} floats, got ${vectors.length}`);
    this.labelRows = new Int32Array(ids.length);
    ids.forEach((id, label) => this.register(id, label));
    this.blocks.push(vectors);
    this.base = ids.length;
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.labelOf(id) >= 0;
  }

  /** The vector of `id` (a view, not a copy), or undefined. */
  get(id: string): Float32Array | undefined {
    const label = this.labelOf(id);
    if (label < 0) return undefined;
    const { block, at } = this.locate(label);
    return block.subarray(at, at + this.dim);
  }

  /** Catalog row of the item at `label`, or -1 when the catalog does not hold it (yet) or `label` is -1 (no hit). */
  catalogRow(label: number): number {
    const linked = (this.labelRows[label] ?? 0) - 1;
    if (linked >= 0) return linked;
    const id = this.ids[label];
    const row = id === undefined ? -1 : this.items.row(id);
    if (row >= 0) this.link(label, row);
    return row;
  }

  /** Where catalog row `row`'s (item `id`'s) vector is, without a string lookup once linked (no copy, no view); undefined when it has none. */
  rowVector(row: number, id: string): { block: Float32Array; at: number } | undefined {
    let label = (this.rowLabels[row] ?? 0) - 1;
    if (label < 0) label = this.adopt(id, row);
    return label < 0 ? undefined : this.locate(label);
  }

  /** Appends vectors of new ids (ids already present are the caller's to skip). */
  add(ids: readonly string[], vectors: Float32Array): void {
    const { dim } = this;
    ids.forEach((id, i) => {
      const at = this.used % ItemVectors.BLOCK;
      if (at === 0) this.blocks.push(new Float32Array(ItemVectors.BLOCK * dim));
      this.blocks[this.blocks.length - 1]!.set(vectors.subarray(i * dim, (i + 1) * dim), at * dim);
      this.register(id, this.base + this.used++);
    });
  }

  /** Indexes `id` at `label` (the next one) and links it to its catalog row when the catalog holds it. */
  private register(id: string, label: number): void {
    this.ids.push(id);
    const row = this.items.row(id);
    if (row >= 0) this.link(label, row);
    else this.unlinked.set(id, label);
  }

  /** Label of `id`, or -1. */
  private labelOf(id: string): number {
    const row = this.items.row(id);
    const linked = row >= 0 ? (this.rowLabels[row] ?? 0) - 1 : -1;
    return linked >= 0 ? linked : this.adopt(id, row);
  }

  /** Label of an id registered before the catalog held it (-1: none), linked to `row` when it has one now. */
  private adopt(id: string, row: number): number {
    const label = this.unlinked.get(id) ?? -1;
    if (label >= 0 && row >= 0) this.link(label, row);
    return label;
  }

  private locate(label: number): { block: Float32Array; at: number } {
    if (label < this.base) return { block: this.blocks[0]!, at: label * this.dim };
    const k = label - this.base;
    return { block: this.blocks[1 + Math.floor(k / ItemVectors.BLOCK)]!, at: (k % ItemVectors.BLOCK) * this.dim };
  }

  private link(label: number, row: number): void {
    this.labelRows = ensureCapacity(this.labelRows, label + 1);
    this.labelRows[label] = row + 1;
    this.rowLabels = ensureCapacity(this.rowLabels, row + 1);
    this.rowLabels[row] = label + 1;
    if (this.unlinked.size > 0) this.unlinked.delete(this.ids[label]!);
  }
}
