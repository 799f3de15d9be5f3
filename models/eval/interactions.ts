import { readFileSync } from 'node:fs';

/** Interactions with users and items mapped to dense indices. */
export interface Interactions {
  users: string[];
  items: string[];
  user: Int32Array;
  item: Int32Array;
  ts: Float64Array;
  /** Positive weight per row (1 without a weight, rating or watch_ms column). */
  weight: Float32Array;
  /** Which column the weights came from, if any. */
  weightColumn: string | undefined;
  /** Repeated (user, item) rows dropped (the earliest is kept, as RecBole's rm_dup_inter: first). */
  duplicates: number;
}

const WEIGHT_COLUMNS = ['weight', 'watch_ms', 'rating'];

/**
 * Parses a CSV or TSV file whose header names user_id, item_id and timestamp (RecBole's
 * `name:type` headers accepted) and optionally weight, watch_ms or rating. Weights are scaled
 * to mean 1.
 */
export function parseInteractions(text: string, source = 'input'): Interactions {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const headerLine = lines[0];
  if (!headerLine) throw new Error(`${source}: the file is empty`);
  const sep = headerLine.includes('\t') ? '\t' : ',';
  const header = headerLine.split(sep).map((h) => h.trim().replace(/^"|"$/g, '').split(':')[0]!.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const missing = ['user_id', 'item_id', 'timestamp'].filter((c) => col(c) < 0);
  if (missing.length) {
    throw new Error(`${source}: the header must name user_id, item_id and timestamp; missing ${missing.join(', ')} (found: ${header.join(', ')})`);
  }
  const [cu, ci, ct] = [col('user_id'), col('item_id'), col('timestamp')];
  const weightColumn = WEIGHT_COLUMNS.find((c) => col(c) >= 0);
  const cw = weightColumn ? col(weightColumn) : -1;
  let n = lines.length - 1;
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
  const rows: { u: number; i: number; t: number; w: number }[] = [];
  for (let r = 0; r < n; r++) {
    const fields = lines[r + 1]!.split(sep);
    const u = fields[cu]?.trim();
    const i = fields[ci]?.trim();
    const t = Number(fields[ct]);
    if (!u || !i || !Number.isFinite(t)) throw new Error(`${source}:${r + 2}: expected user_id, item_id and a numeric timestamp`);
    const w = cw >= 0 ? Number(fields[cw]) : 1;
    if (!Number.isFinite(w) || w < 0) throw new Error(`${source}:${r + 2}: ${weightColumn} must be a non-negative number`);
    rows.push({ u: index(userIdx, out.users, u), i: index(itemIdx, out.items, i), t, w });
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
  n = kept.length;
  if (cw >= 0) {
    let sum = 0;
    for (const w of out.weight) sum += w;
    const mean = sum / n || 1;
    for (let r = 0; r < n; r++) out.weight[r]! /= mean;
  }
  return out;
}

export function readInteractions(path: string): Interactions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseInteractions(text, path);
}
