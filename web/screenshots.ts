/**
 * `npm run screenshots [-- --url URL] [-- -c config.json]`: the README's screenshots, from the demo.
 *
 * Without --url it starts the demo (`feed start`, with -c passed on) unless one already answers
 * on the configured port, waits until it serves, and stops it afterwards. It then drives the
 * feed app (pick a demo user, swipe, like, "why this?", checkout) and the dashboard in Chromium
 * and writes docs/screenshots/{feed,feed-why,feed-purchase,dashboard}.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { loadConfig } from '../config/load.ts';
import { sleep } from '../core/errors.ts';
import { launchBrowser } from './e2e/browser.ts';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const FEED_BIN = fileURLToPath(new URL('../bin/feed.js', import.meta.url));
/** A fresh clone trains its demo models first: about 4 minutes on 2 cores, more on a busy machine. */
const START_TIMEOUT_MS = 20 * 60_000;

const say = (line: string) => process.stderr.write(`[screenshots] ${line}\n`);

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v1/health`)).status < 500;
  } catch {
    return false;
  }
}

/** Starts `feed start` and resolves once it answers; rejects if it exits first or takes too long. */
async function startDemo(url: string, configFile: string | undefined): Promise<ChildProcess> {
  say(`starting the demo (feed start${configFile ? ` -c ${configFile}` : ''}); a fresh clone trains first, which takes minutes...`);
  const child = spawn(process.execPath, [FEED_BIN, ...(configFile ? ['-c', configFile] : []), 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await healthy(url))) {
    if (exited !== undefined) throw new Error(`feed start exited with code ${exited} before serving ${url}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`feed start did not serve ${url} within ${START_TIMEOUT_MS / 60_000} minutes`);
    }
    await sleep(1000);
  }
  return child;
}

async function stopDemo(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}

/** The card on screen: its kind and whether it has a buy button. */
function active(page: Page): Promise<{ type: string; buy: boolean }> {
  return page.evaluate(() => {
    const slide = document.querySelector('.slide[data-active=true]');
    const card = slide?.querySelector('[data-testid=card]') as HTMLElement | null | undefined;
    return { type: card?.dataset.type ?? '', buy: !!slide?.querySelector('[data-testid=buy]') };
  });
}

async function next(page: Page): Promise<void> {
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(600);
}

async function feedApp(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/app/`);
  const user = page.locator('[data-testid=demo-user]').first();
  await user.waitFor({ timeout: 30_000 });
  await user.click();
  await page.locator('.slide[data-active=true] [data-testid=card]').waitFor({ timeout: 30_000 });
  for (let i = 0; i < 3; i++) await next(page);
  for (let i = 0; i < 20 && (await active(page)).type !== 'video'; i++) await next(page);
  await page.locator('.slide[data-active=true] [data-testid=like]').click();
  await page.locator('.slide[data-active=true] [data-testid=why]').click();
  await page.locator('[data-testid=why-detail]').waitFor();
  await page.waitForTimeout(400); // the sheet's slide-in
  await page.screenshot({ path: `${OUT}feed-why.png` });
  await page.keyboard.press('Escape');
  for (let i = 0; i < 60 && !(await active(page)).buy; i++) await next(page);
  if (!(await active(page)).buy) throw new Error('no shoppable video within 60 cards: cannot take the feed and purchase screenshots');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: `${OUT}feed.png` });
  await page.locator('.slide[data-active=true] [data-testid=buy]').first().click();
  await page.locator('[data-testid=pay]').click();
  await page.locator('[data-testid=order-confirmation]').waitFor();
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${OUT}feed-purchase.png` });
}

async function dashboard(page: Page, url: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 1400 });
  await page.goto(`${url}/dashboard/`);
  await page.locator('[data-testid=chart-events] canvas').waitFor({ timeout: 30_000 });
  await page.selectOption('[data-testid=window]', String(24 * 60));
  // Results and model versions load beside the live figures; give the charts time to draw.
  await page
    .locator('[data-testid=result]')
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(() => say('the dashboard shows no benchmark results'));
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `${OUT}dashboard.png`, fullPage: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string' }, config: { type: 'string', short: 'c' } } });
  const config = loadConfig(values.config ? { file: values.config } : {});
  const url = (values.url ?? `http://${config.api.host}:${config.api.port}`).replace(/\/$/, '');
  const demo = values.url || (await healthy(url)) ? undefined : await startDemo(url, values.config);
  if (!demo) say(`using the engine at ${url}`);
  await mkdir(OUT, { recursive: true });
  const browser = await launchBrowser({ viewport: { width: 420, height: 860 }, hasTouch: true });
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await feedApp(page, url);
    await dashboard(await browser.context.newPage(), url);
    say(`wrote ${['feed', 'feed-why', 'feed-purchase', 'dashboard'].map((n) => `${OUT}${n}.png`).join(', ')}`);
  } finally {
    await browser.close();
    if (demo) await stopDemo(demo);
  }
}

main().catch((err: Error) => {
  say(`failed: ${err.message}`);
  process.exit(1);
});
