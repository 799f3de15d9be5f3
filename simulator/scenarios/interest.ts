import { videoEntry } from '../policies/in-process.ts';
import { ids } from '../world/rows.ts';
import { Rng } from '../world/rng.ts';
import { CATEGORIES, LOCALES } from '../world/spec.ts';
import { categoryShare, categoryShares, itemsOf, median, productCategory, ScriptedUser, videos, type ScenarioContext, type ScenarioResult } from './context.ts';
import { THRESHOLDS } from './thresholds.ts';

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** Share of trials that found what they looked for, against a minimum share. */
function hitShare(scenario: 'follow' | 'commerce-intent', figure: string, hits: number, trials: number, min: number): ScenarioResult {
  const value = hits / trials;
  return { scenario, figure, value, unit: 'share', threshold: `>= ${pct(min)}`, pass: value >= min, details: { trials, hits } };
}

/** A user "finds" videos outside the feed (a shared link) and completes and likes each. */
async function binge(ctx: ScenarioContext, user: ScriptedUser, items: number[]): Promise<void> {
  await user.send(items.flatMap((i, k) => user.react(videoEntry(ctx.world, i, k, 'shared-link', 0), 'love')));
}

export async function nicheBinge(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS['niche-binge'];
  const shares = categoryShares(ctx.world);
  // The largest category still at most 3% of the catalog: niche, with enough videos to serve.
  const niche = shares.reduce((best, s, c) => (s <= 0.03 && (best < 0 || s > shares[best]!) ? c : best), -1);
  const base = { scenario: 'niche-binge' as const, figure: 'share of the niche category in the next page', unit: 'share', threshold: `>= ${pct(t.minShare)}` };
  if (niche < 0) return { ...base, value: null, pass: false, reason: 'this world has no category holding at most 3% of the catalog', details: {} };
  const rng = new Rng(ctx.seed, 'scenario/niche-binge');
  const pool = itemsOf(ctx.world, niche, rng);
  const got: number[] = [];
  for (let k = 0; k < ctx.trials; k++) {
    const user = new ScriptedUser(ctx, `niche${k}`);
    await binge(ctx, user, pool.slice(k * 5, k * 5 + 5));
    got.push(categoryShare(await user.page(), CATEGORIES[niche]!));
  }
  const value = got.reduce((a, b) => a + b, 0) / got.length;
  return { ...base, value, pass: value >= t.minShare, details: { category: CATEGORIES[niche]!, catalog_share: shares[niche]!, trials: ctx.trials, worst_trial: Math.min(...got) } };
}

export async function drift(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS.drift;
  const rng = new Rng(ctx.seed, 'scenario/drift');
  // Two mid-sized categories: common enough to fill pages, distinct enough to tell apart.
  const bySize = categoryShares(ctx.world)
    .map((s, c) => ({ s, c }))
    .sort((a, b) => b.s - a.s);
  const from = bySize[2]!.c;
  const to = bySize[5]!.c;
  const fromItems = itemsOf(ctx.world, from, rng);
  const toItems = itemsOf(ctx.world, to, rng);
  const cap = 10;
  const pages: number[] = [];
  for (let k = 0; k < ctx.trials; k++) {
    const user = new ScriptedUser(ctx, `drift${k}`);
    await binge(ctx, user, fromItems.slice(k * 5, k * 5 + 5));
    for (let p = 0; p < 2; p++) await user.reactToPage(await user.page(), (e) => e.type === 'video' && e.category === CATEGORIES[from]);
    await binge(ctx, user, toItems.slice(k * 3, k * 3 + 3));
    let n = 1;
    for (; n <= cap; n++) {
      const page = await user.page();
      if (categoryShare(page, CATEGORIES[to]!) >= 0.5) break;
      await user.reactToPage(page, (e) => e.type === 'video' && e.category === CATEGORIES[to]);
    }
    pages.push(n);
  }
  const value = median(pages);
  return {
    scenario: 'drift',
    figure: 'pages after the switch until the new category holds half a page (median; 11 = not within 10)',
    value,
    unit: 'pages',
    threshold: `<= ${t.maxPages}`,
    pass: value <= t.maxPages,
    details: { from: CATEGORIES[from]!, to: CATEGORIES[to]!, trials: ctx.trials, worst_trial: Math.max(...pages) },
  };
}

export async function follow(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS.follow;
  const { world } = ctx;
  const now = world.spec.nowSec;
  // Creators with a video published in the last 3 days, in a seeded order.
  const recent = new Map<number, number>();
  for (let i = 0; i < world.items.count; i++) if (world.items.publishedAt[i]! > now - 3 * 86_400) recent.set(world.items.creator[i]!, i);
  const creators = [...recent.keys()].sort((a, b) => a - b);
  const rng = new Rng(ctx.seed, 'scenario/follow');
  let hits = 0;
  for (let k = 0; k < ctx.trials && creators.length > 0; k++) {
    const c = creators.splice(rng.int(creators.length), 1)[0]!;
    const user = new ScriptedUser(ctx, `follow${k}`, LOCALES[world.creators.locale[c]!]!);
    await user.reactToPage(await user.page(), () => false);
    await user.send([user.event('follow', { creator_id: ids.creator(c), item_id: ids.item(recent.get(c)!) })]);
    if ((await user.watchPages(2, (e) => e.creator_id === ids.creator(c))) > 0) hits++;
  }
  return hitShare('follow', 'trials where the followed creator appears in the next 2 pages', hits, ctx.trials, t.minHitShare);
}

export async function hide(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS.hide;
  let appearances = 0;
  let trialsWithAny = 0;
  for (let k = 0; k < ctx.trials; k++) {
    const user = new ScriptedUser(ctx, `hide${k}`);
    const first = await user.page();
    const victim = videos(first)[0];
    if (!victim) continue;
    await user.send([...first.entries.flatMap((e) => user.react(e, 'watch', first.request_id)), user.event('not_interested', { item_id: victim.item_id, creator_id: victim.creator_id })]);
    const here = await user.watchPages(10, (e) => e.creator_id === victim.creator_id);
    appearances += here;
    if (here > 0) trialsWithAny++;
  }
  return {
    scenario: 'hide',
    figure: 'entries of the hidden creator in the next 10 pages (all trials)',
    value: appearances,
    unit: 'entries',
    threshold: `<= ${t.maxAppearances}`,
    pass: appearances <= t.maxAppearances,
    details: { trials: ctx.trials, trials_with_any: trialsWithAny },
  };
}

export async function commerceIntent(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS['commerce-intent'];
  const { world } = ctx;
  // Videos with an available product on their card, in a seeded order: where a cart add starts.
  const rng = new Rng(ctx.seed, 'scenario/commerce-intent');
  const carded: number[] = [];
  for (let i = 0; i < world.items.count; i++) {
    const p = world.items.product[i]!;
    if (p >= 0 && world.products.available[p]) carded.push(i);
  }
  let hits = 0;
  for (let k = 0; k < ctx.trials && carded.length > 0; k++) {
    const i = carded.splice(rng.int(carded.length), 1)[0]!;
    const p = world.items.product[i]!;
    const user = new ScriptedUser(ctx, `cart${k}`);
    const entry = videoEntry(world, i, 0, 'shared-link', 0);
    const product = { item_id: ids.item(i), product_id: ids.product(p) };
    await user.send([...user.react(entry, 'watch'), user.event('product_click', product), user.event('add_to_cart', product)]);
    if ((await user.watchPages(2, (e) => productCategory(world, e) === world.products.category[p])) > 0) hits++;
  }
  return hitShare('commerce-intent', 'trials with a product card or slot of the carted category in the next 2 pages', hits, ctx.trials, t.minHitShare);
}

export async function coldStart(ctx: ScenarioContext): Promise<ScenarioResult> {
  const t = THRESHOLDS['cold-start'];
  let passed = 0;
  const categories: number[] = [];
  const localeShares: number[] = [];
  for (let k = 0; k < ctx.trials; k++) {
    const user = new ScriptedUser(ctx, `cold${k}`, k % 2 === 0 ? 'zh' : 'en');
    const v = videos(await user.page());
    const cats = new Set(v.map((e) => e.category)).size;
    const local = v.length === 0 ? 0 : v.filter((e) => e.locale === user.locale).length / v.length;
    categories.push(cats);
    localeShares.push(local);
    if (cats >= t.minCategories && local >= t.minLocaleShare) passed++;
  }
  const value = passed / ctx.trials;
  return {
    scenario: 'cold-start',
    figure: `new users (half zh, half en) whose first page spans >= ${t.minCategories} categories with >= ${pct(t.minLocaleShare)} in their language`,
    value,
    unit: 'share',
    threshold: `>= ${pct(t.minPassShare)}`,
    pass: value >= t.minPassShare,
    details: { trials: ctx.trials, median_categories: median(categories), median_locale_share: median(localeShares) },
  };
}
