import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The stored ANN artifacts' layout, apart from faiss-node (which cannot load in a worker thread
 * next to the main one): a worker reads and splits the files, the serving thread only hands the
 * FAISS bytes to faiss.
 */
export const ANN_FILE = 'ann.index';
export const VECTORS_FILE = 'item-vectors.f32';

/** What `AnnIndex.toBuffer` writes ahead of the FAISS bytes. */
export interface AnnHeader {
  dim: number;
  description: string;
  ids: string[];
}

/** A 4-byte header length, the header as JSON, then the FAISS bytes. */
export function joinAnnBuffer(header: AnnHeader, index: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([len, json, index]);
}

export function splitAnnBuffer(buf: Buffer): { header: AnnHeader; index: Buffer } {
  const len = buf.readUInt32LE(0);
  return { header: JSON.parse(buf.subarray(4, 4 + len).toString()) as AnnHeader, index: buf.subarray(4 + len) };
}

/**
 * FAISS bytes as a file of their own, for faiss-node's `Index.read`: its `fromBuffer` leaks a
 * copy of every buffer it reads (an IO reader it never deletes; 13 MiB per load of a 100k-item
 * index), and an index it read from a file is freed when its wrapper is collected.
 * `removeIndexFile` deletes it once read.
 */
export function writeIndexFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'feed-ann-')), 'index.faiss');
  writeFileSync(path, bytes);
  return path;
}

export function removeIndexFile(path: string): void {
  rmSync(dirname(path), { recursive: true, force: true });
}

/** A version's stored index (its FAISS bytes in a file of their own, see `writeIndexFile`) and vectors; each absent when its file is. */
export interface ServingFiles {
  ann?: { header: AnnHeader; indexFile: string };
  /** Row-major, in header.ids order; 4-byte aligned (its own buffer). */
  vectors?: Float32Array;
}

export function readServingFiles(dir: string): ServingFiles {
  const annPath = join(dir, ANN_FILE);
  if (!existsSync(annPath)) return {};
  const { header, index } = splitAnnBuffer(readFileSync(annPath));
  const ann = { header, indexFile: writeIndexFile(index) };
  const vectorsPath = join(dir, VECTORS_FILE);
  if (!existsSync(vectorsPath)) return { ann };
  const raw = readFileSync(vectorsPath);
  if (raw.length % 4 !== 0) return { ann };
  // A copy: readFileSync's buffer may sit at an offset that is not 4-byte aligned.
  const vectors = new Float32Array(raw.length / 4);
  new Uint8Array(vectors.buffer).set(raw);
  return { ann, vectors };
}
