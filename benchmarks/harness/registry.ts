import type { Benchmark } from './types.ts';

/** Loaded on demand so that, e.g., `bench train` never loads the FAISS addon. */
const LOADERS: Record<string, () => Promise<Benchmark>> = {
  ann: async () => (await import('../ann/ann.ts')).annBenchmark,
  train: async () => (await import('../train/train.ts')).trainBenchmark,
  'train-scale': async () => (await import('../train/scale.ts')).trainScaleBenchmark,
  feed: async () => (await import('../feed/feed.ts')).feedBenchmark,
  ingest: async () => (await import('./ingest-adapter.ts')).ingestBenchmark,
  freshness: async () => (await import('../freshness/freshness.ts')).freshnessBenchmark,
  memory: async () => (await import('../memory/memory.ts')).memoryBenchmark,
  soak: async () => (await import('../soak/soak.ts')).soakBenchmark,
  'online-state': async () => (await import('../online-state/online-state.ts')).onlineStateBenchmark,
  'online-training': async () => (await import('../online-training/online-training.ts')).onlineTrainingBenchmark,
};

export const BENCHMARK_NAMES = Object.keys(LOADERS);

export async function loadBenchmark(name: string): Promise<Benchmark> {
  const load = LOADERS[name];
  if (!load) throw new Error(`unknown benchmark "${name}"; choose one of: ${BENCHMARK_NAMES.join(', ')}`);
  return load();
}
