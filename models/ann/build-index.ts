import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds a FAISS index of `vectors` (`ids.length` rows of `dim`) in a child process
 * (build-worker.mjs) and returns its bytes. Nothing here loads faiss-node, so the training
 * thread can build a version's index: faiss-node keeps per-process state and breaks the main
 * thread's copy when a worker thread loads it too.
 */
export async function buildIndexBytes(dim: number, rows: number, vectors: Float32Array, description: string): Promise<Buffer> {
  if (vectors.length !== rows * dim) throw new Error(`building a FAISS index: ${rows} ids need ${rows * dim} floats, got ${vectors.length}`);
  const dir = await mkdtemp(join(tmpdir(), 'feed-ann-'));
  try {
    const input = join(dir, 'vectors.f32');
    const output = join(dir, 'index.faiss');
    await writeFile(input, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
    await new Promise<void>((resolve, reject) => {
      const worker = fileURLToPath(new URL('./build-worker.mjs', import.meta.url));
      const child = spawn(process.execPath, [worker, input, output, String(dim), description], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building FAISS ${description} index failed (exit ${code}): ${stderr.trim()}`))));
    });
    return await readFile(output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
