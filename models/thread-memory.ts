import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { tfjs as tf } from './backend.ts';

/**
 * One thread's memory, in bytes: its V8 isolate (process.memoryUsage() sees the main isolate
 * only) and its tfjs backend. The wasm backend's heap is a WebAssembly.Memory, which never
 * shrinks and is counted in neither the V8 heap nor `external`.
 */
export interface ThreadMemory {
  heap_used: number;
  heap_total: number;
  /** Memory V8 was told of outside its heap (array buffers and other external allocations). */
  external: number;
  tf_tensors: number;
  /** Bytes held by live tfjs tensors (variables included). */
  tf_bytes: number;
  /** The wasm backend's linear memory (0 on other backends). */
  wasm_bytes: number;
  /** Each V8 heap space's used and committed bytes: whether growth is live objects or pages kept. */
  heap_spaces: Record<string, { used: number; committed: number }>;
}

/** This thread's memory, after a full GC when the process runs with --expose-gc. */
export function threadMemory(): ThreadMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const heap = getHeapStatistics();
  const tfMemory = tf.memory();
  // tf.backend() would initialise a backend: read the wasm heap only where one is running.
  const wasm = tf.engine().backendName === 'wasm' ? (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength : undefined;
  return {
    heap_used: heap.used_heap_size,
    heap_total: heap.total_heap_size,
    external: heap.external_memory,
    tf_tensors: tfMemory.numTensors,
    tf_bytes: tfMemory.numBytes,
    wasm_bytes: wasm ?? 0,
    heap_spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, committed: s.space_size }])),
  };
}
