import { describe, expect, it } from 'vitest';
import { syntheticWorld } from './testing/world.ts';
import { RATE_PSEUDO_COUNT } from './features.ts';
import { buildTrainingData, type TrainingEvent } from './training-data.ts';

/** An event of an English-speaking user on an item without product or creator. */
const ev = (kind: TrainingEvent['kind'], user_id: string, item_id: string, ts_ms: number, fields: Partial<TrainingEvent> = {}): TrainingEvent => ({
  kind,
  user_id,
  item_id,
  product_id: '',
  creator_id: '',
  ts_ms,
  watch_ms: 0,
  duration_ms: 0,
  locale: 'en',
  ...fields,
});

describe('training data from events (time split)', () => {
  const world = syntheticWorld({ users: 12, items: 30, categories: 3, impressionsPerUser: 20, seed: 1 });
  const data = buildTrainingData(world.events, world.catalog, 0.25);
  const cutoff = data.range.cutoff!;

  it('never lets training see events at or after the cutoff', () => {
    expect(cutoff).toBeGreaterThan(data.range.from!);
    expect(cutoff).toBeLessThanOrEqual(data.range.to!);
    for (const s of data.retrieval.train) for (const ts of s.ts) expect(ts).toBeLessThan(cutoff);
    for (const t of data.retrieval.test) expect(t.ts).toBeGreaterThanOrEqual(cutoff);
    for (const e of data.multitask.train) {
      for (const r of e.user.recent) expect(r.ts).toBeLessThan(cutoff);
    }
    expect(data.multitask.train.length).toBeGreaterThan(0);
    expect(data.multitask.test.length).toBeGreaterThan(0);
  });

  it('draws ranker examples from the window before the cutoff, retrieval positives from the whole range', () => {
    const windowed = buildTrainingData(world.events, world.catalog, 0.25, undefined, 0, 0.3);
    const { cutoff: end, multitaskFrom } = windowed.range;
    expect(end).toBe(cutoff);
    expect(multitaskFrom).toBeGreaterThan(data.range.from!);
    expect(multitaskFrom).toBeLessThan(end!);
    const impressions = world.events.filter((e) => e.kind === 'impression');
    expect(windowed.totals.rankerTrain).toBe(impressions.filter((e) => e.ts_ms >= multitaskFrom! && e.ts_ms < end!).length);
    expect(windowed.totals.rankerTrain).toBeLessThan(data.totals.rankerTrain);
    expect(windowed.retrieval.train).toEqual(data.retrieval.train);
    expect(windowed.multitask.test).toEqual(data.multitask.test);
  });

  it('drops labels that happen after the cutoff from training examples', () => {
    // An impression just before the cutoff whose play comes after it keeps a zero watch label.
    const events: TrainingEvent[] = [
      ev('impression', 'u0', 'i1', 1000),
      ev('impression', 'u1', 'i2', 2000),
      ev('play', 'u0', 'i1', 3000, { watch_ms: 9000, duration_ms: 10000 }),
      ev('impression', 'u2', 'i1', 4000),
    ];
    const d = buildTrainingData(events, world.catalog, 0.5);
    expect(d.range.cutoff).toBe(3000);
    const u0 = d.multitask.train.find((e) => e.user.userId === 'u0')!;
    expect(u0.labels.watch).toBe(0);
  });

  it('builds features from the state just before each impression', () => {
    const events: TrainingEvent[] = [
      ev('impression', 'u0', 'i1', 1000),
      ev('like', 'u2', 'i1', 1500),
      ev('impression', 'u0', 'i3', 1600),
      ev('impression', 'u0', 'i1', 3_000_000),
      ev('impression', 'u9', 'i1', 4_000_000),
    ];
    const d = buildTrainingData(events, world.catalog, 0.2);
    const [first, again] = d.multitask.train.filter((e) => e.user.userId === 'u0' && e.candidate.item_id === 'i1');
    expect(first!.candidate.impressions).toBe(0);
    expect(first!.candidate.friends_engaged).toBe(0);
    // u2 is u0's friend (world edges) and liked i1 in between.
    expect(again!.candidate.impressions).toBe(1);
    expect(again!.candidate.friends_engaged).toBe(1);
    // One like in one impression, shrunk by the pseudo-impressions.
    expect(again!.candidate.like_rate).toBeCloseTo(1 / (1 + RATE_PSEUDO_COUNT), 6);
  });

  it('labels outcomes and maps purchases of a product to its item', () => {
    const bought = data.multitask.train.filter((e) => e.labels.purchase === 1);
    expect(bought.length).toBeGreaterThan(0);
    for (const e of bought) expect(e.candidate.has_product).toBe(true);
    const liked = data.multitask.train.filter((e) => e.labels.like === 1);
    for (const e of liked) expect(e.candidate.category).toBe(world.taste(e.user.userId));
  });
});

describe('training data in bounded memory', () => {
  const world = syntheticWorld({ users: 12, items: 30, categories: 3, impressionsPerUser: 40, seed: 3 });
  const full = buildTrainingData(world.events, world.catalog, 0.25);
  const limits = { multitaskExamples: 50, multitaskTestExamples: 20, retrievalTestExamples: 5, sequenceLength: 8, socialItemsPerUser: 500 };
  const bounded = buildTrainingData(world.events, world.catalog, 0.25, limits, 7);

  it('keeps at most the configured examples and counts what it saw', () => {
    expect(full.totals).toEqual({ rankerTrain: full.multitask.train.length, rankerTest: full.multitask.test.length, retrievalTest: full.retrieval.test.length, positives: expect.any(Number) });
    expect(full.multitask.train.length).toBeGreaterThan(limits.multitaskExamples);
    expect(bounded.multitask.train).toHaveLength(limits.multitaskExamples);
    expect(bounded.multitask.test).toHaveLength(limits.multitaskTestExamples);
    expect(bounded.retrieval.test).toHaveLength(limits.retrievalTestExamples);
    expect(bounded.totals).toEqual(full.totals);
    expect(bounded.range).toEqual(full.range);
    // The sample comes from the whole range, not its start: some kept example is from its second half.
    const mid = (full.range.from! + full.range.cutoff!) / 2;
    expect(bounded.multitask.train.some((e) => e.user.recent[0] && e.user.recent[0].ts > mid)).toBe(true);
  });

  it('trains the two-tower on each user’s most recent positives, and counts popularity over all of them', () => {
    for (const seq of bounded.retrieval.train) {
      const whole = full.retrieval.train.find((s) => s.user_id === seq.user_id)!;
      expect(seq.items.length).toBe(Math.min(limits.sequenceLength, whole.items.length));
      expect(seq.items).toEqual(whole.items.slice(-seq.items.length));
      expect(seq.ts).toEqual(whole.ts.slice(-seq.ts.length));
    }
    expect(bounded.retrieval.positives).toEqual(full.retrieval.positives);
    expect([...full.retrieval.positives.values()].reduce((a, b) => a + b, 0)).toBe(full.totals.positives);
  });

  it('remembers the most recent engaged items per user for social proof', () => {
    // u2 (u0's friend) likes i1, then engages with two other items: with room for one item i1 is forgotten.
    const events = [ev('like', 'u2', 'i1', 1000), ev('like', 'u2', 'i4', 2000), ev('impression', 'u0', 'i1', 3000), ev('impression', 'u9', 'i1', 4_000_000)];
    const proof = (socialItemsPerUser: number) =>
      buildTrainingData(events, world.catalog, 0.2, { ...limits, socialItemsPerUser }).multitask.train.find((x) => x.user.userId === 'u0')!.candidate.friends_engaged;
    expect(proof(2)).toBe(1);
    expect(proof(1)).toBe(0);
  });
});
