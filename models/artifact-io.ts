import { readFileSync, writeFileSync } from 'node:fs';

type NumArray = Float32Array | Float64Array;

export interface ArrayEntry {
  name: string;
  dtype: 'float32' | 'float64';
  offset: number;
  length: number;
}

/** Writes named typed arrays into one little-endian binary file; returns the index to keep in JSON. */
export function writeArrays(path: string, arrays: Record<string, NumArray>): ArrayEntry[] {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    offset = Math.ceil(offset / 8) * 8;
    entries.push({ name, dtype: a instanceof Float64Array ? 'float64' : 'float32', offset, length: a.length });
    offset += a.byteLength;
  }
  const buf = Buffer.alloc(offset);
  for (const e of entries) {
    const a = arrays[e.name]!;
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, e.offset);
  }
  writeFileSync(path, buf);
  return entries;
}

export function readArrays(path: string, entries: readonly ArrayEntry[]): Record<string, NumArray> {
  const buf = readFileSync(path);
  const out: Record<string, NumArray> = {};
  for (const e of entries) {
    const bytes = e.length * (e.dtype === 'float64' ? 8 : 4);
    if (e.offset + bytes > buf.length) throw new Error(`${path} is truncated (array ${e.name})`);
    const copy = new Uint8Array(bytes);
    buf.copy(copy, 0, e.offset, e.offset + bytes);
    out[e.name] = e.dtype === 'float64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  }
  return out;
}
