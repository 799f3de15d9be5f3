import { describe, expect, it, vi } from 'vitest';
import { IdIndex } from '../core/columns.ts';
import { AnnIndex } from '../models/ann/faiss-index.ts';
import { testConfig } from '../test/stack.ts';
import { ModelHolder, RETIRE_AFTER_MS } from './models.ts';
import { fakeModels } from './testing.ts';

describe('ModelHolder ANN wiring', () => {
  it('serves a prebuilt index with the configured search parameters and exposes the served vectors', async () => {
    const config = testConfig({ ranker: { ann: { factory: 'HNSW8', searchParams: 'efSearch=64' } } });
    const ids = Array.from({ length: 300 }, (_, i) => `v${i}`);
    const m = fakeModels('m1', ids, 8);
    const holder = new ModelHolder(config, new IdIndex());
    await holder.swap({ ...m, ann: AnnIndex.build(8, ids, m.itemVectors, 'HNSW8') });
    const snap = holder.current!;
    expect(snap.ann.description).toBe('HNSW8');
    expect(Array.from(snap.annIds.get('v7')!)).toEqual(Array.from(m.itemVectors.subarray(7 * 8, 8 * 8)));
    expect(snap.ann.search(m.itemVectors.subarray(7 * 8, 8 * 8), 1)[0]![0]!.id).toBe('v7');

    // An index that does not match the version's items is refused; the previous version keeps serving.
    await holder.swap({ ...fakeModels('m2', ids, 8), ann: AnnIndex.build(8, ids.slice(0, 10), m.itemVectors.subarray(0, 80), 'HNSW8') });
    expect(holder.current!.version).toBe('m1');

    // One built with another factory than configured is rebuilt the configured way.
    await holder.swap({ ...fakeModels('m4', ids, 8), ann: AnnIndex.build(8, ids, m.itemVectors, 'Flat') });
    expect(holder.current!.version).toBe('m4');
    expect(holder.current!.ann.description).toBe('HNSW8');

    // A search parameter the index does not have fails the swap the same way.
    const bad = new ModelHolder(testConfig({ ranker: { ann: { factory: 'Flat', searchParams: 'efSearch=64' } } }), new IdIndex());
    await bad.swap(fakeModels('m3', ids, 8));
    expect(bad.current).toBeUndefined();
  });

  it('frees a replaced version once requests in flight are done with it, never the one serving', async () => {
    vi.useFakeTimers();
    try {
      const ids = Array.from({ length: 50 }, (_, i) => `v${i}`);
      const holder = new ModelHolder(testConfig({ ranker: { ann: { factory: 'Flat' } } }), new IdIndex());
      const disposable = (version: string) => {
        const m = fakeModels(version, ids, 8);
        const retrieval = Object.assign(m.retrieval, { dispose: vi.fn() });
        const multitask = Object.assign(m.multitask, { dispose: vi.fn() });
        return { models: { ...m, ann: AnnIndex.build(8, ids, m.itemVectors, 'Flat') }, retrieval, multitask };
      };
      const v1 = disposable('m1');
      const v2 = disposable('m2');
      await holder.swap(v1.models);
      await holder.swap(v2.models);
      const inFlight = holder.current;
      // A request that took the old snapshot before the swap can still score with it.
      expect(v1.multitask.dispose).not.toHaveBeenCalled();
      vi.advanceTimersByTime(RETIRE_AFTER_MS);
      expect(v1.retrieval.dispose).toHaveBeenCalledTimes(1);
      expect(v1.multitask.dispose).toHaveBeenCalledTimes(1);
      expect(v2.retrieval.dispose).not.toHaveBeenCalled();
      expect(holder.current).toBe(inFlight);

      // A version that fails to load is freed at once; the serving one is kept.
      const broken = disposable('m3');
      await holder.swap({ ...broken.models, ann: AnnIndex.build(8, ids.slice(0, 5), broken.models.itemVectors.subarray(0, 40), 'Flat') });
      expect(broken.multitask.dispose).toHaveBeenCalledTimes(1);
      expect(holder.current!.version).toBe('m2');

      // Re-promoting objects that serve already never frees them.
      await holder.swap({ ...v2.models, version: 'm2-again' });
      vi.advanceTimersByTime(RETIRE_AFTER_MS);
      expect(v2.multitask.dispose).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
