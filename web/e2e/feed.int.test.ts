import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/schema.ts';
import { createExperiment, startExperiment, stopExperiment } from '../../experiments/store.ts';
import { createFeedService, type FeedService } from '../../feed-api/service.ts';
import type { FeedResponse } from '../../feed-api/feed-response.ts';
import { startIngest, type RunningIngest } from '../../ingest/service.ts';
import { seedWorld } from '../../simulator/seed.ts';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.ts';
import { queryRows, sql } from '../../storage/sql.ts';
import { isolatedConfig } from '../../test/stack.ts';
import { ensureWebBuilt } from '../build.ts';
import { launchBrowser } from './browser.ts';

/**
 * The web app in a real browser against the real stack: a small seeded world, the ingest
 * consumer, and the whole serving process on a free port. (`npm run screenshots` takes the
 * README screenshots from the demo.)
 */
const APP_KEY = { 'x-api-key': 'demo-app-key' };

let config: Config;
let dataDir: string;
let ch: ClickHouseClient;
let ingest: RunningIngest;
let service: FeedService;
let baseUrl: string;
let closeBrowser: () => Promise<void>;
let context: BrowserContext;
let page: Page;
let userId: string;
let liked: string;
let shared: string;
let followed: { creator: string; kind: string } | undefined;
let purchased: string;
const shownItems: string[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Events the web app sent for this user (the seeded history has app = 'simulator'). */
async function userEvents(user: string): Promise<{ kind: string; item_id: string; product_id: string; creator_id: string; price: number; quantity: number; watch_ms: number }[]> {
  return queryRows(ch, sql`SELECT kind, item_id, product_id, creator_id, price, quantity, watch_ms FROM events WHERE user_id = ${user} AND app = 'web'`);
}

/** What the active card shows. */
async function active(): Promise<{ index: number; type: string; item: string; creator: string; buy: boolean }> {
  return page.evaluate(() => {
    const feed = document.querySelector('[data-testid=feed]') as HTMLElement;
    const slide = document.querySelector('.slide[data-active=true]') as HTMLElement | null;
    const card = slide?.querySelector('[data-testid=card]') as HTMLElement | null;
    return {
      index: Number(feed.dataset.index),
      type: card?.dataset.type ?? '',
      item: card?.dataset.item ?? '',
      creator: card?.dataset.creator ?? '',
      buy: !!slide?.querySelector('[data-testid=buy]'),
    };
  });
}

/** One step down by wheel, key or touch swipe, waiting until the next card is active. */
async function swipe(how: 'wheel' | 'key' | 'touch'): Promise<void> {
  const before = (await active()).index;
  const gesture = async () => {
    if (how === 'key') await page.keyboard.press('ArrowDown');
    else if (how === 'wheel') {
      await page.mouse.move(200, 400);
      await page.mouse.wheel(0, 120);
    } else {
      await page.evaluate(() => {
        const el = document.querySelector('[data-testid=feed]')!;
        const at = (y: number) => new Touch({ identifier: 1, target: el, clientX: 200, clientY: y });
        el.dispatchEvent(new TouchEvent('touchstart', { touches: [at(640)], changedTouches: [at(640)], bubbles: true }));
        el.dispatchEvent(new TouchEvent('touchend', { touches: [], changedTouches: [at(280)], bubbles: true }));
      });
    }
  };
  await gesture();
  let tries = 1;
  const state = () =>
    page.evaluate(() => ({
      index: (document.querySelector('[data-testid=feed]') as HTMLElement | null)?.dataset.index,
      slides: document.querySelectorAll('.slide').length,
      notes: Array.from(document.querySelectorAll('.center, [data-testid=feed-error]'), (e) => e.textContent),
    }));
  await until(
    `card ${before + 1} to become active`,
    async () => {
      const now = await active();
      if (now.index === before + 1 && now.type !== '') return true;
      // At the end of what is loaded a swipe does nothing (as on a phone): swipe again once the next page is in.
      if (now.index === before && tries < 20 && (await page.locator('.slide').count()) > before + 1) {
        tries++;
        await gesture();
      }
      return false;
    },
    20_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; feed state ${JSON.stringify(await state())}`);
  });
  // Past the step lock, and long enough to count as watching.
  await page.waitForTimeout(500);
}

async function feedPage(user: string, cursor?: string, tab = 'for_you'): Promise<FeedResponse> {
  const q = new URLSearchParams({ user_id: user, count: '20', tab, ...(cursor ? { cursor } : {}) });
  const res = await fetch(`${baseUrl}/v1/feed?${q}`, { headers: APP_KEY });
  if (!res.ok) throw new Error(`GET /v1/feed: ${res.status} ${await res.text()}`);
  return (await res.json()) as FeedResponse;
}

beforeAll(async () => {
  await ensureWebBuilt();
  // Own data dir: the seeded world spec and the model registry stay out of .data/test.
  dataDir = await mkdtemp(join(tmpdir(), 'feed-web-e2e-'));
  config = await isolatedConfig('web_e2e', { dataDir, simulator: { items: 1500, users: 60, days: 1 } });
  ch = createClickHouse(config);
  ingest = await startIngest(config, { progressEveryMs: 60_000 });
  await seedWorld(config);
  service = await createFeedService(config, { stackChecks: false });
  baseUrl = (await service.start(0)).url;
  ({ context, close: closeBrowser } = await launchBrowser({ viewport: { width: 420, height: 860 }, hasTouch: true }));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => console.error('page error:', err.message));
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await service?.stop();
  await ingest?.stop();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
  await ch?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the feed app and the dashboard in a browser', () => {
  it('swipes through 10 items, likes one and buys one; the events reach ClickHouse', async () => {
    await page.goto(`${baseUrl}/app/`);
    const first = page.locator('[data-testid=demo-user]').first();
    await first.waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=demo-user]').count()).toBeGreaterThan(1);
    userId = (await first.getAttribute('data-user'))!;
    await first.click();
    await until('the first card', async () => (await active()).type !== '');

    const ways = ['wheel', 'key', 'touch'] as const;
    for (let i = 0; i < 10; i++) {
      const card = await active();
      if (card.type === 'video') shownItems.push(card.item);
      if (!liked && card.type === 'video') {
        await page.locator('.slide[data-active=true] [data-testid=like]').click();
        await expect.poll(() => page.locator('.slide[data-active=true] [data-testid=like]').getAttribute('class')).toContain('on');
        liked = card.item;
      }
      if (!shared && card.type === 'video' && card.item !== liked) {
        await page.locator('.slide[data-active=true] [data-testid=share]').click();
        shared = card.item;
      }
      if (!followed && i >= 3 && card.creator) {
        const wasFollowing = (await page.locator('.slide[data-active=true] [data-testid=follow]').getAttribute('class'))!.includes('followed');
        await page.locator('.slide[data-active=true] [data-testid=follow]').click();
        followed = { creator: card.creator, kind: wasFollowing ? 'unfollow' : 'follow' };
      }
      await swipe(ways[i % ways.length]!);
    }
    expect((await active()).index).toBe(10);
    expect(liked).toBeTruthy();

    // "Why this?" shows the explain output for the card on screen (the demo config offers the admin key).
    for (let i = 0; i < 10 && (await active()).type !== 'video'; i++) await swipe('key');
    await page.locator('.slide[data-active=true] [data-testid=why]').click();
    const drawer = page.locator('[data-testid=why-drawer]');
    await expect.poll(() => drawer.locator('[data-testid=why-detail]').textContent()).toContain((await active()).item);
    expect(await drawer.textContent()).toMatch(/filters_passed/);
    await page.keyboard.press('Escape');

    for (let i = 0; i < 40 && !(await active()).buy; i++) await swipe('key');
    const buy = page.locator('.slide[data-active=true] [data-testid=buy]').first();
    purchased = (await buy.getAttribute('data-product'))!;
    await buy.click();
    await page.locator('[data-testid=pay]').click();
    await expect.poll(() => page.locator('[data-testid=order-confirmation]').textContent()).toContain('confirmed');
    expect(new URL(page.url()).pathname).toBe('/app/');
    // The sheet sits at the bottom of the screen: nothing scrolled the feed underneath.
    const sheet = (await page.locator('[data-testid=checkout]').boundingBox())!;
    expect(Math.round(sheet.y + sheet.height)).toBe(860);

    const events = await until('the events in ClickHouse', async () => {
      const rows = await userEvents(userId);
      return rows.some((r) => r.kind === 'purchase') && rows.filter((r) => r.kind === 'play').length >= shownItems.length - 1 && rows;
    });
    const impressions = new Set(events.filter((e) => e.kind === 'impression').map((e) => e.item_id));
    for (const item of shownItems) expect(impressions).toContain(item);
    const plays = events.filter((e) => e.kind === 'play');
    expect(plays.every((p) => p.watch_ms > 0)).toBe(true);
    expect(events.filter((e) => e.kind === 'like').map((e) => e.item_id)).toEqual([liked]);
    expect(events.filter((e) => e.kind === 'share').map((e) => e.item_id)).toEqual([shared]);
    expect(events.filter((e) => e.kind === followed!.kind).map((e) => e.creator_id)).toEqual([followed!.creator]);
    for (const kind of ['product_click', 'add_to_cart', 'purchase']) {
      expect(events.filter((e) => e.kind === kind).map((e) => e.product_id)).toEqual([purchased]);
    }
    const purchase = events.find((e) => e.kind === 'purchase')!;
    expect(purchase.price).toBeGreaterThan(0);
    expect(purchase.quantity).toBe(1);
  }, 180_000);

  it('"not interested" on a creator removes them from the next items', async () => {
    await page.keyboard.press('Escape');
    // Find a card whose creator the server would also show this user right now.
    let creator = '';
    for (let i = 0; i < 20 && !creator; i++) {
      const card = await active();
      const upcoming = new Set((await feedPage(userId)).items.map((e) => e.creator_id));
      if (card.type === 'video' && upcoming.has(card.creator)) creator = card.creator;
      else await swipe('key');
    }
    expect(creator, 'a creator on screen that the feed also serves').not.toBe('');

    await page.locator('.slide[data-active=true] [data-testid=not-interested]').click();
    await expect.poll(() => page.locator('[data-testid=toast]').textContent()).toContain(creator);
    await until('the not_interested event in ClickHouse', async () => (await userEvents(userId)).some((e) => e.kind === 'not_interested' && e.creator_id === creator));

    // Fresh sessions from the server: three pages, none from that creator.
    let cursor: string | undefined;
    let served = 0;
    for (let p = 0; p < 3; p++) {
      const next = await feedPage(userId, cursor);
      served += next.items.length;
      expect(next.items.filter((e) => e.creator_id === creator)).toEqual([]);
      cursor = next.cursor;
    }
    expect(served).toBeGreaterThan(0);
    // And the app: the next cards it shows are not theirs either.
    for (let i = 0; i < 6; i++) {
      expect((await active()).creator).not.toBe(creator);
      await swipe('key');
    }
  }, 180_000);

  it("the Following tab shows followed creators' newest videos first, and For You again", async () => {
    const first = (await feedPage(userId, undefined, 'following')).items[0];
    expect(first?.type, 'the demo user follows creators with recent videos').toBe('video');
    await page.locator('[data-testid=tab-following]').click();
    await until('the newest followed video on screen', async () => first?.type === 'video' && (await active()).item === first.item_id);
    await page.locator('[data-testid=tab-for_you]').click();
    await until('the For You feed again', async () => (await active()).type !== '' && (await active()).index === 0);
  }, 60_000);

  it('shows the purchase on the dashboard', async () => {
    const dash = await context.newPage();
    await dash.setViewportSize({ width: 1280, height: 1400 });
    await dash.goto(`${baseUrl}/dashboard/`);
    const purchasesLastHour = async () => {
      const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE kind = 'purchase' AND ts >= now() - INTERVAL 60 MINUTE`, format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    };
    const kpi = dash.locator('[data-testid=kpi-purchases] strong');
    const shown = await until('the dashboard to count the purchase', async () => {
      const expected = await purchasesLastHour();
      const text = (await kpi.textContent())?.replace(/[^\d]/g, '');
      return expected >= 1 && text === String(expected) && expected;
    });
    expect(shown).toBeGreaterThanOrEqual(1);
    await dash.locator('[data-testid=chart-events] canvas').waitFor();
    await dash.close();
  }, 120_000);

  it("shows the running experiment's arms on the dashboard", async () => {
    const arms = [
      { name: 'control', share: 0.5 },
      { name: 'fresh-only', share: 0.5, overlay: { ranker: { rerank: { explorationShare: 1 } } } },
    ];
    createExperiment(config, { id: 'dash', control: 'control', arms });
    startExperiment(config, 'dash');
    await until('the service to serve the experiment', async () => service.experiments.current?.id === 'dash');
    for (let i = 0; i < 20; i++) expect((await feedPage(`u${i}`)).experiment?.id).toBe('dash');
    await service.experiments.flushExposures();
    const dash = await context.newPage();
    await dash.setViewportSize({ width: 1280, height: 1400 });
    await dash.goto(`${baseUrl}/dashboard/`);
    const rows = dash.locator('[data-testid=experiment-arm]');
    await until('both arms on the dashboard', async () => (await rows.count()) === 2);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-arm')))).toEqual(['control', 'fresh-only']);
    // Every exposed user counts in one arm.
    const users = await rows.evaluateAll((els) => els.map((e) => Number(e.children[1]!.textContent!.replace(/[^\d]/g, ''))));
    expect(users[0]! + users[1]!).toBe(20);
    stopExperiment(config, 'dash');
    await dash.close();
  }, 120_000);
});
