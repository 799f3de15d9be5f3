import { describe, expect, it } from 'vitest';
import { ItemFeatureTable, type ItemFeatures } from './item-features.ts';

describe('ItemFeatureTable', () => {
  it('returns what was set, replaces features in place and lists items in insertion order', () => {
    const t = new ItemFeatureTable();
    const a: ItemFeatures = { item_id: 'a', category: 'beauty', creator_id: 'k1', has_product: true, price: 19.99 };
    const b: ItemFeatures = { item_id: 'b', category: 'food', creator_id: 'k2', has_product: false, price: 0 };
    t.set(a);
    t.set(b);
    expect(t.get('a')).toEqual(a);
    expect(t.get('zz')).toBeUndefined();
    expect(t.has('b') && !t.has('zz')).toBe(true);
    const a2 = { ...a, category: 'food', has_product: false, price: 0 };
    t.set(a2);
    expect(t.size).toBe(2);
    expect(t.keys()).toEqual(['a', 'b']);
    expect(t.values()).toEqual([a2, b]);
  });
});
