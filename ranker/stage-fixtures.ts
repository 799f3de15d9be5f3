/** Shared setup of the pipeline and per-stage tests (imports vitest: tests only). */
import { expect } from 'vitest';
import { deepMerge } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { testConfig } from '../test/stack.ts';
import { CandidateMerge } from './candidate-merge.ts';
import { signalsHydrator } from './feature-hydrator/signals.ts';
import { ModelHolder } from './models.ts';
import { FeedPipeline, STAGES } from './pipeline.ts';
import { newSession } from './session.ts';
import { catalogFromRows, makeWorld, TEST_WORLD_CAPS, testOnlineState, type WorldRows } from './testing.ts';
import { TrafficPool } from './traffic-pool.ts';
import type { CatalogView } from './catalog/catalog-view.ts';
import type { Candidate, FeedContext, Filter, PageEntry, Scorer, SourceHit, StageRun } from './types.ts';

export const NOW = Date.now();

/** The run of a stage called directly, outside runStage: never aborted. */
export const unbounded: StageRun = { signal: new AbortController().signal };

/** A small world served by the default stages (traffic pool recomputed on every request). */
export function setup(extra: Record<string, unknown> = {}, worldOpts: Parameters<typeof makeWorld>[0] = {}) {
  const config: Config = testConfig(deepMerge(deepMerge(TEST_WORLD_CAPS, { ranker: { trafficPool: { refreshMs: 0 } } }), extra));
  const rows: WorldRows = makeWorld(worldOpts);
  const catalog = catalogFromRows(rows, config);
  const online = testOnlineState();
  const holder = new ModelHolder(config, catalog.items);
  const deps = { config, catalog, online, models: () => holder.current, pool: new TrafficPool(config.ranker) };
  let pipeline: FeedPipeline | undefined;
  // Built on first use, so that a test can expect the constructor to reject the config.
  return {
    config,
    rows,
    catalog,
    online,
    holder,
    deps,
    get pipeline() {
      return (pipeline ??= new FeedPipeline(deps));
    },
  };
}

/** The page's videos as the catalog holds them, with the source that brought each (the ranker returns rows; feed-api renders them). */
export function videosOf(catalog: CatalogView, entries: readonly PageEntry[]) {
  return entries.flatMap((e) => (e.type === 'video' ? [{ ...catalog.itemRow(e.candidate.row), source: e.candidate.source, productRow: e.productRow }] : []));
}

export function request(userId: string, count = 10, explain = false) {
  return { userId, count, explain, now: NOW, session: newSession('0123456789abcdef', 8192, 4) };
}

/** A context with candidates from the given item ids and (default-stage) source names, for stage-level tests. */
export function contextWith(p: FeedPipeline, userId: string, items: { id: string; source: string }[]): { ctx: FeedContext; candidates: Candidate[] } {
  const ctx = p.contextFor(request(userId));
  const perSource = new Map<string, SourceHit[]>();
  for (const { id, source } of items) {
    const list = perSource.get(source) ?? [];
    list.push({ row: ctx.catalog.items.row(id), score: 1 });
    perSource.set(source, list);
  }
  const sourceNamed = (name: string) => STAGES.sources.find((s) => s.name === name) ?? { name, personal: false };
  const candidates = new CandidateMerge().merge(
    ctx.catalog,
    [...perSource].map(([name, hits]) => ({ source: sourceNamed(name), hits })),
    1000,
  );
  return { ctx, candidates };
}

/** Runs a filter; every candidate comes out kept or removed. */
export async function runFilter(f: Filter, ctx: FeedContext, items: Candidate[]) {
  const res = await f.filter(ctx, items, unbounded);
  expect(res.kept.length + res.removed.length).toBe(items.length);
  return { kept: res.kept.map((c) => c.itemId), removed: res.removed.map((r) => [r.candidate.itemId, r.reason] as const) };
}

/** A scorer gives exactly one score per candidate, in input order (scored forwards and backwards, after hydration). */
export async function expectOneScorePerCandidate(scorer: Scorer, p: FeedPipeline): Promise<void> {
  const { ctx, candidates } = contextWith(
    p,
    'u1',
    ['v1', 'v2', 'v3', 'v4'].map((id) => ({ id, source: 'ann' })),
  );
  await signalsHydrator.hydrate(ctx, candidates, unbounded);
  const forward = Array.from(await scorer.score(ctx, candidates, unbounded));
  const backward = Array.from(await scorer.score(ctx, [...candidates].reverse(), unbounded));
  expect(forward).toHaveLength(4);
  expect(backward).toEqual([...forward].reverse());
  expect(forward.every(Number.isFinite)).toBe(true);
}
