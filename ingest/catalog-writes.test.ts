import { describe, expect, it } from 'vitest';
import { decodeCatalogMessage, parseCatalogRow, rowId } from './catalog-writes.ts';

const NOW = 1_800_000_000;
const video = { item_id: 'v1', creator_id: 'c1', title: 'a video', category: 'food', locale: 'zh-CN', duration_ms: 15_000 };

describe('catalog write rows', () => {
  it('fills defaults: published now, no product, available', () => {
    const r = parseCatalogRow('items', video, NOW);
    expect(r).toEqual({ ok: true, write: { table: 'items', updated_at: NOW, row: { ...video, published_at: NOW, product_id: '', available: 1 } } });
    if (r.ok) expect(rowId(r.write)).toBe('v1');
  });

  it('takes epoch seconds or ISO-8601 for times, null for no product, false to retire', () => {
    const r = parseCatalogRow('items', { ...video, published_at: '2027-01-15T08:00:00+08:00', product_id: null, available: false }, NOW);
    expect(r.ok && r.write.row).toMatchObject({ published_at: Date.parse('2027-01-15T00:00:00Z') / 1000, product_id: '', available: 0 });
    const live = parseCatalogRow('live_streams', { live_id: 'l1', creator_id: 'c1', title: 'sale', starts_at: NOW, ends_at: NOW + 3600 }, NOW);
    expect(live.ok && live.write.row).toMatchObject({ product_id: '', starts_at: NOW, ends_at: NOW + 3600 });
  });

  it('rejects bad rows with a reason naming each field', () => {
    const r = parseCatalogRow('items', { ...video, item_id: 'bad id', duration_ms: 0, locale: 'Chinese' }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const field of ['item_id', 'duration_ms', 'locale']) expect(r.reason).toContain(field);
    const product = parseCatalogRow('products', { product_id: 'p1', title: 'x', category: 'food', price: -1, stock: 1, currency: 'yuan' }, NOW);
    expect(!product.ok && product.reason).toMatch(/price.*currency|currency.*price/);
    const live = parseCatalogRow('live_streams', { live_id: 'l1', creator_id: 'c1', title: 'sale', starts_at: NOW, ends_at: NOW - 1 }, NOW);
    expect(!live.ok && live.reason).toContain('ends_at');
    expect(parseCatalogRow('creators', null, NOW).ok).toBe(false);
  });

  it('decodes its own messages and skips anything else', () => {
    const r = parseCatalogRow('creators', { creator_id: 'c1', name: 'C', locale: 'en', category: 'music' }, NOW);
    if (!r.ok) throw new Error(r.reason);
    expect(decodeCatalogMessage(Buffer.from(JSON.stringify(r.write)))).toEqual(r.write);
    expect(decodeCatalogMessage(Buffer.from(JSON.stringify({ forget_user: 'u1', at: 1 })))).toEqual({ forget_user: 'u1', at: 1 });
    for (const junk of ['not json', '{"table":"users","row":{},"updated_at":1}', '{"table":"items"}', '[]']) expect(decodeCatalogMessage(Buffer.from(junk))).toBeUndefined();
    expect(decodeCatalogMessage(null)).toBeUndefined();
  });
});
