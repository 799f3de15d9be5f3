import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArrays, writeArrays, type ArrayEntry } from '../artifact-io.ts';
import { MultiTaskRanker, type RankerState } from './multitask.ts';

type Saved = Omit<RankerState, 'weights'> & { layers: number; arrays: ArrayEntry[] };

export function saveRanker(model: MultiTaskRanker, dir: string): string[] {
  const { weights, ...rest } = model.state();
  const arrays = Object.fromEntries(weights.map((w, i) => [`w${i}`, w]));
  const index = writeArrays(join(dir, 'ranker.bin'), arrays);
  const saved: Saved = { ...rest, layers: weights.length, arrays: index };
  writeFileSync(join(dir, 'ranker.json'), JSON.stringify(saved));
  return ['ranker.json', 'ranker.bin'];
}

export function loadRanker(dir: string): MultiTaskRanker {
  const saved = JSON.parse(readFileSync(join(dir, 'ranker.json'), 'utf8')) as Saved;
  const arrays = readArrays(join(dir, 'ranker.bin'), saved.arrays);
  const weights = Array.from({ length: saved.layers }, (_, i) => arrays[`w${i}`] as Float32Array);
  return new MultiTaskRanker(saved.config, saved.seed, { ...saved, weights });
}
