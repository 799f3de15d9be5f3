/**
 * World generation speed: `npx tsx benchmarks/world-generation.ts [items] [users]`
 * (default 1,000,000 videos, 100,000 people). Prints generation time and the time to stream
 * every catalog row, without loading anything.
 */
import { progressPrinter } from '../simulator/progress.ts';
import { generateWorld } from '../simulator/world/generate.ts';
import { CATALOG_TABLES, catalogRows } from '../simulator/world/rows.ts';

const items = Number(process.argv[2] ?? 1_000_000);
const users = Number(process.argv[3] ?? 100_000);
const t0 = performance.now();
const world = generateWorld({ seed: 42, items, users, nowSec: 1_750_000_000 }, progressPrinter('generate'));
const t1 = performance.now();
const counts: Record<string, number> = {};
for (const table of CATALOG_TABLES) {
  let n = 0;
  for (const chunk of catalogRows(world, table, 50_000)) n += chunk.length;
  counts[table] = n;
}
const t2 = performance.now();
const mb = process.memoryUsage().rss / 1024 / 1024;
console.log(`world ${items.toLocaleString('en-US')} videos / ${users.toLocaleString('en-US')} people`);
console.log(`  generate    ${((t1 - t0) / 1000).toFixed(1)} s`);
console.log(`  stream rows ${((t2 - t1) / 1000).toFixed(1)} s  ${JSON.stringify(counts)}`);
console.log(`  rss         ${mb.toFixed(0)} MB`);
