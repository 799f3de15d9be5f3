import { readFileSync } from 'node:fs';

/** Interactions with users and items mapped to dense indices. */
export interface Interactions {
  users: string[];
  items: string[];
  user: Int32Array;
  item: Int32Array;
  ts: Float64Array;
  /** Positive weight per row: 1 (implicit) unless a weight column was asked for. */
  weight: Float32Array;
  /** Which column the weights came from, if any. */
  weightColumn: string | undefined;
  /** Event kind per row from a `kind` or `behavior` column (Taobao's pv/cart/fav/buy); '' without one. */
  kind: string[];
  /** Repeated (user, item) rows dropped (the earliest is kept, as RecBole's rm_dup_inter: first). */
  duplicates: number;
}

export interface ParseOptions {
  /** A column whose values weight each row (scaled to mean 1); without it every row is an implicit positive. */
  weightColumn?: string;
  /** Column names of a file without a header line (e.g. user_id,item_id,category,behavior,timestamp). */
  columns?: readonly string[];
}

/**
 * Parses a CSV or TSV file whose header names user_id, item_id and timestamp (RecBole's
 * `name:type` headers accepted), or one without a header given `columns`. Every row is an
 * implicit positive of weight 1 unless `weightColumn` names a column: ratings are not
 * engagement strengths, and RecBole's references treat them as implicit too.
 */
export function parseInteractions(text: string, source = 'input', opts: ParseOptions = {}): Interactions {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const headerLine = lines[0];
  if (!headerLine) throw new Error(`${source}: the file is empty`);
  const sep = headerLine.includes('\t') ? '\t' : ',';
  const header = (opts.columns ?? headerLine.split(sep)).map((h) => h.trim().replace(/^"|"$/g, '').split(':')[0]!.toLowerCase());
  const first = opts.columns ? 0 : 1;
  const col = (name: string) => header.indexOf(name);
  const missing = ['user_id', 'item_id', 'timestamp'].filter((c) => col(c) < 0);
  if (missing.length) {
    throw new Error(`${source}: the ${opts.columns ? 'columns' : 'header'} must name user_id, item_id and timestamp; missing ${missing.join(', ')} (found: ${header.join(', ')})`);
  }
  const [cu, ci, ct] = [col('user_id'), col('item_id'), col('timestamp')];
  const ck = Math.max(col('kind'), col('behavior'));
  const weightColumn = opts.weightColumn?.toLowerCase();
  const cw = weightColumn ? col(weightColumn) : -1;
  if (weightColumn && cw < 0) throw new Error(`${source}: no column "${weightColumn}" to weight rows by (found: ${header.join(', ')})`);
  let n = lines.length - first;
  const userIdx = new Map<string, number>();
  const itemIdx = new Map<string, number>();
  const out: Interactions = {
    users: [],
    items: [],
    user: new Int32Array(0),
    item: new Int32Array(0),
    ts: new Float64Array(0),
    weight: new Float32Array(0),
    weightColumn,
    kind: [],
    duplicates: 0,
  };
  const index = (map: Map<string, number>, list: string[], key: string) => {
    let i = map.get(key);
    if (i === undefined) {
      i = list.length;
      map.set(key, i);
      list.push(key);
    }
    return i;
  };
  const rows: { u: number; i: number; t: number; w: number; k: string }[] = [];
  for (let r = 0; r < n; r++) {
    const fields = lines[r + first]!.split(sep);
    const u = fields[cu]?.trim();
    const i = fields[ci]?.trim();
    const t = Number(fields[ct]);
    if (!u || !i || !Number.isFinite(t)) throw new Error(`${source}:${r + first + 1}: expected user_id, item_id and a numeric timestamp`);
    const w = cw >= 0 ? Number(fields[cw]) : 1;
    if (!Number.isFinite(w) || w < 0) throw new Error(`${source}:${r + first + 1}: ${weightColumn} must be a non-negative number`);
    rows.push({ u: index(userIdx, out.users, u), i: index(itemIdx, out.items, i), t, w, k: ck >= 0 ? (fields[ck]?.trim() ?? '') : '' });
  }
  // Keep the earliest row of each (user, item), so no split can put one item on both sides.
  const firstOf = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const key = `${row.u}:${row.i}`;
    const seen = firstOf.get(key);
    if (!seen || row.t < seen.t) firstOf.set(key, row);
  }
  const kept = rows.filter((row) => firstOf.get(`${row.u}:${row.i}`) === row);
  out.duplicates = n - kept.length;
  out.user = Int32Array.from(kept, (r) => r.u);
  out.item = Int32Array.from(kept, (r) => r.i);
  out.ts = Float64Array.from(kept, (r) => r.t);
  out.weight = Float32Array.from(kept, (r) => r.w);
  out.kind = kept.map((r) => r.k);
  n = kept.length;
  if (cw >= 0) {
    let sum = 0;
    for (const w of out.weight) sum += w;
    const mean = sum / n || 1;
    for (let r = 0; r < n; r++) out.weight[r]! /= mean;
  }
  return out;
}

export function readInteractions(path: string, opts: ParseOptions = {}): Interactions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseInteractions(text, path, opts);
}
