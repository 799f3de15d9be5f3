// Builds a FAISS index in a child process so the serving process never blocks on it (faiss-node
// keeps per-process globals, so it cannot be loaded in a worker thread next to the main one).
// Plain JS: no TypeScript loader needed.
// Usage: node build-worker.mjs <vectors.f32> <out.faiss> <dim> <factory description>
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const faiss = require('faiss-node');
const CHUNK_ROWS = 50_000;

const [input, output, dimArg, description] = process.argv.slice(2);
const dim = Number(dimArg);
const raw = readFileSync(input);
const vectors = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
const index = faiss.Index.fromFactory(dim, description, faiss.MetricType.METRIC_INNER_PRODUCT);
const rows = vectors.length / dim;
if (!index.isTrained()) {
  // A sample of at most 100k rows is plenty for IVF centroids.
  index.train(Array.from(vectors.subarray(0, Math.min(rows, 100_000) * dim)));
}
for (let start = 0; start < rows; start += CHUNK_ROWS) {
  const end = Math.min(rows, start + CHUNK_ROWS);
  index.add(Array.from(vectors.subarray(start * dim, end * dim)));
}
writeFileSync(output, index.toBuffer());
