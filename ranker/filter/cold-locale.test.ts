import { describe, expect, it } from 'vitest';
import { NOW, request, setup, videosOf } from '../stage-fixtures.ts';
import { event, fakeModels } from '../testing.ts';

describe('cold-locale filter', () => {
  it('serves a new user who has engaged with nothing only videos in their language, ANN and fresh ones too', async () => {
    const s = setup({}, { items: 900, creators: 120 });
    await s.holder.swap(
      fakeModels(
        'm',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    const nowSec = Math.floor(NOW / 1000);
    // Fresh videos in the other language compete for the exploration slots.
    s.catalog.upsertItems(Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh-zh${k}`, locale: 'zh', published_at: nowSec - 60 * (k + 1) })));
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const p = s.pipeline;
    const res = await p.run({ ...request('brand-new-en', 20, true), locale: 'en' });
    expect(res.explain!.candidates_per_source.ann).toBeGreaterThan(0);
    const videos = videosOf(s.catalog, res.entries);
    expect(videos.length).toBeGreaterThan(10);
    expect(videos.filter((v) => v.locale !== 'en')).toEqual([]);
    // Nothing else is known of them: the page probes every category before repeating one.
    const categories = new Set(s.rows.items.map((i) => i.category)).size;
    expect(new Set(videos.slice(0, categories).map((v) => v.category)).size).toBe(categories);
    // Once they engage, their history speaks and the ranker decides: other languages may come back.
    s.online.apply([event('complete', 'brand-new-en', { item_id: videos[0]!.item_id })]);
    const next = await p.run({ ...request('brand-new-en', 20, true), locale: 'en' });
    expect(next.explain!.removed.filter((r) => r.reason.includes('not in their language'))).toEqual([]);
  });
});
