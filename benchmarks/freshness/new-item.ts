import { randomBytes } from 'node:crypto';
import { sleep } from '../../core/errors.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import { MultitaskMmoe } from '../../models/multitask/multitask.ts';
import { OnlineTrainer } from '../../models/online-trainer.ts';
import { trainTwoTower, type Sequence } from '../../models/retrieval/train.ts';
import type { ItemFeatures, TwoTower } from '../../models/retrieval/two-tower.ts';
import { IdIndex } from '../../core/columns.ts';
import { ModelHolder } from '../../ranker/models.ts';
import type { BenchContext } from '../harness/types.ts';
import { Rng } from '../../core/rng.ts';

const CATEGORIES = ['food', 'music', 'pets', 'travel'];
const features = (id: string, i: number): ItemFeatures => ({ item_id: id, category: CATEGORIES[i % 4]!, creator_id: `c${i % 50}`, has_product: false, price: 0 });

/** A small trained two-tower model and its serving snapshot (ANN index built as serving builds it). */
async function servingModel(ctx: BenchContext, items: number): Promise<{ holder: ModelHolder; model: TwoTower; ids: string[] }> {
  const rand = new Rng(ctx.config.seed).next;
  const ids = Array.from({ length: items }, (_, i) => `v${i}`);
  const sequences: Sequence[] = Array.from({ length: Math.max(50, items / 10) }, (_, u) => {
    const n = 20;
    return {
      user_id: `u${u}`,
      locale: 'en',
      segment: '',
      items: Array.from({ length: n }, () => ids[Math.floor(rand() ** 2 * items)]!),
      weights: Array(n).fill(1),
      ts: Array.from({ length: n }, (_, k) => Date.now() - (n - k) * 60_000),
    };
  });
  const config = { ...ctx.config.models.retrieval, epochs: 1 };
  const { model } = trainTwoTower({ sequences, items: ids.map(features), history: 'before' }, { config, seed: ctx.config.seed });
  model.version = 'bench';
  const holder = new ModelHolder(ctx.config, new IdIndex());
  const itemIds = model.knownItems();
  await holder.swap({
    version: 'bench',
    retrieval: model,
    itemIds,
    itemVectors: model.itemVectors(itemIds),
    multitask: new MultitaskMmoe(ctx.config.models.multitask, ctx.config.seed),
    twoTower: model,
  });
  if (!holder.current) throw new Error('the benchmark model could not be loaded for serving');
  return { holder, model, ids };
}

/**
 * Seconds from a new item's first engagement to it being returned by the serving ANN index
 * for its own vector, with the online trainer wired as the serving process wires it
 * (feed-api/online-learning.ts): accepted events -> OnlineTrainer (batches of 64, or its
 * flush timer) -> onItemVectors -> ModelHolder.addItemVectors. Background traffic of
 * `eventsPerSec` likes on known items runs throughout; the new item gets one like per second.
 */
export async function newItemToAnn(ctx: BenchContext, opts: { items: number; eventsPerSec: number; trials: number; timeoutS: number }): Promise<(number | null)[]> {
  const { holder, model, ids } = await servingModel(ctx, opts.items);
  const trainer = new OnlineTrainer(model, ctx.config, { indexed: holder.current!.annIds, itemFeatures: (id) => features(id, id.length) }).start();
  const stopVectors = trainer.onItemVectors((vIds, vectors) => holder.addItemVectors(vIds, vectors));
  const like = (user: string, item: string): EngagementEvent => ({ schema_version: 1, event_id: randomBytes(8).toString('hex'), kind: 'like', user_id: user, item_id: item, ts: Date.now() });
  let stream = true;
  const background = (async () => {
    let n = 0;
    const t0 = performance.now();
    while (stream) {
      const due = t0 + (n * 1000) / opts.eventsPerSec;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      trainer.apply([like(`u${n % 500}`, ids[(n * 7919) % ids.length]!)]);
      n++;
    }
  })();
  const out: (number | null)[] = [];
  try {
    for (let t = 0; t < opts.trials; t++) {
      const id = `vnew${t}-${randomBytes(3).toString('hex')}`;
      const first = performance.now();
      let found: number | null = null;
      let nextLike = first;
      while (performance.now() - first < opts.timeoutS * 1000) {
        if (performance.now() >= nextLike) {
          trainer.apply([like(`u${Math.floor(Math.random() * 500)}`, id)]);
          nextLike += 1000;
        }
        const snap = holder.current!;
        if (snap.annIds.has(id)) {
          const hits = snap.ann.search(model.itemVectors([id]), 10)[0] ?? [];
          if (hits.some((h) => h.id === id)) {
            found = (performance.now() - first) / 1000;
            break;
          }
        }
        await sleep(20);
      }
      out.push(found);
      ctx.log(`  new item ${id}: ${found === null ? `not retrievable after ${opts.timeoutS} s` : `retrievable after ${found.toFixed(2)} s`} (${opts.eventsPerSec} events/s)`);
    }
  } finally {
    stream = false;
    await background;
    stopVectors();
    trainer.stop();
  }
  return out;
}
