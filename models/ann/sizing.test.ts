import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/stack.ts';
import { annFactory, annSearchParams, i2iSearchParams } from './sizing.ts';

describe('ANN choice', () => {
  it('searches small catalogs exactly and large ones with HNSW, with search parameters per factory', () => {
    const config = testConfig();
    expect(annFactory(config.ranker.ann, config.ranker.ann.flatMaxItems)).toBe('Flat');
    expect(annFactory(config.ranker.ann, config.ranker.ann.flatMaxItems + 1)).toMatch(/^IVF\d+,SQfp16$/);
    expect(annFactory(config.ranker.ann, 100_000)).toBe('IVF1024,SQfp16');
    expect(annFactory(config.ranker.ann, 1_000_000)).toBe('IVF4096,SQfp16');
    expect(annSearchParams(config.ranker.ann, 'HNSW32')).toBe('efSearch=256');
    expect(annSearchParams(config.ranker.ann, 'IVF4096,Flat')).toBe('nprobe=32');
    expect(annSearchParams(config.ranker.ann, 'Flat')).toBe('');
    expect(i2iSearchParams(config.ranker.ann, 'IVF4096,Flat')).toBe('nprobe=8');
    expect(i2iSearchParams(config.ranker.ann, 'HNSW32')).toBe('efSearch=64');
    expect(i2iSearchParams(config.ranker.ann, 'Flat')).toBe('');
    const set = testConfig({ ranker: { ann: { factory: 'IVF64,Flat', searchParams: 'nprobe=8' } } });
    expect(annFactory(set.ranker.ann, 10)).toBe('IVF64,Flat');
    expect(annSearchParams(set.ranker.ann, 'IVF64,Flat')).toBe('nprobe=8');
  });
});
