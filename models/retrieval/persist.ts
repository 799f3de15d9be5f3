import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { readArrays, writeArrays, type ArrayEntry } from '../artifact-io.ts';
import type { SparseTableState } from '../sparse/table.ts';
import { TwoTower, type TableName, type TwoTowerState } from './two-tower.ts';

export interface Saved {
  config: TwoTowerState['config'];
  seed: number;
  tables: Record<string, Pick<SparseTableState, 'options' | 'ids' | 'pending'>>;
  userLayers: number;
  itemLayers: number;
  items: TwoTowerState['items'];
  itemCounts: TwoTowerState['itemCounts'];
  arrays: ArrayEntry[];
}

/** Writes retrieval.json (ids, config) and retrieval.bin (table rows, optimizer state, dense weights). */
export function saveTwoTower(model: TwoTower, dir: string): string[] {
  const s = model.state();
  const arrays: Record<string, Float32Array | Float64Array> = {};
  const tables: Saved['tables'] = {};
  for (const [name, t] of Object.entries(s.tables)) {
    tables[name] = { options: t.options, ids: t.ids, pending: t.pending };
    arrays[`${name}.values`] = t.values;
    arrays[`${name}.accum`] = t.accum;
    arrays[`${name}.lastSeen`] = t.lastSeen;
  }
  s.userWeights.forEach((w, i) => (arrays[`user.${i}`] = w));
  s.itemWeights.forEach((w, i) => (arrays[`item.${i}`] = w));
  const index = writeArrays(join(dir, 'retrieval.bin'), arrays);
  const saved: Saved = {
    config: s.config,
    seed: s.seed,
    tables,
    userLayers: s.userWeights.length,
    itemLayers: s.itemWeights.length,
    items: s.items,
    itemCounts: s.itemCounts,
    arrays: index,
  };
  writeFileSync(join(dir, 'retrieval.json'), JSON.stringify(saved));
  return ['retrieval.json', 'retrieval.bin'];
}

/** A saved model as read from its two files: the JSON description and its typed arrays. */
export interface SavedTwoTower {
  saved: Saved;
  arrays: Record<string, Float32Array | Float64Array>;
}

/** Reads both files (the parse is the slow part: serving does it in a worker thread, models/version-reader.ts). */
export function readSavedTwoTower(dir: string): SavedTwoTower {
  const saved = JSON.parse(readFileSync(join(dir, 'retrieval.json'), 'utf8')) as Saved;
  return { saved, arrays: readArrays(join(dir, 'retrieval.bin'), saved.arrays) };
}

export function loadTwoTower(dir: string): TwoTower {
  return twoTowerFromSaved(readSavedTwoTower(dir));
}

export function twoTowerFromSaved({ saved, arrays }: SavedTwoTower): TwoTower {
  const tables = {} as Record<TableName, SparseTableState>;
  for (const [name, t] of Object.entries(saved.tables)) {
    tables[name as TableName] = {
      ...t,
      values: arrays[`${name}.values`] as Float32Array,
      accum: arrays[`${name}.accum`] as Float32Array,
      lastSeen: arrays[`${name}.lastSeen`] as Float64Array,
    };
  }
  const layer = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => arrays[`${prefix}.${i}`] as Float32Array);
  return new TwoTower(saved.config, saved.seed, {
    config: saved.config,
    seed: saved.seed,
    tables,
    userWeights: layer('user', saved.userLayers),
    itemWeights: layer('item', saved.itemLayers),
    items: saved.items,
    itemCounts: saved.itemCounts,
  });
}
