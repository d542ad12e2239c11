// Opens a long finished job (tests/tests/e2e/web/ makes a 200-page one) in Debian's chromium
// and measures what lazy pages are for: how many pages hold an image and boxes at once, how long
// the jump to the last page takes, and frame times while scrolling through the whole job. Prints
// `RESULT {json}`. Environment: OCRCHAT_WEB_BASE, OCRCHAT_WEB_TOKEN, OCRCHAT_WEB_JOB,
// OCRCHAT_WEB_SHOTS, OCRCHAT_PLAYWRIGHT, OCRCHAT_CHROMIUM (as drive.mjs).

import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const require = createRequire(path.join(env('OCRCHAT_PLAYWRIGHT'), 'package.json'));
const { chromium } = require('playwright-core');
const shots = env('OCRCHAT_WEB_SHOTS');
mkdirSync(shots, { recursive: true });
const result = {};
const browser = await chromium.launch({
  executablePath: env('OCRCHAT_CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  // The token as a user who pasted it earlier has it: in this origin's storage.
  await context.addInitScript((token) => localStorage.setItem('ocrchat.token', token), env('OCRCHAT_WEB_TOKEN'));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const loaded = () => page.$$eval('.page[data-words]', (els) => els.filter((e) => e.querySelector('.overlay')).length);
  const t0 = Date.now();
  await page.goto(`${env('OCRCHAT_WEB_BASE')}/#job=${env('OCRCHAT_WEB_JOB')}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#page-1 .box.word', { timeout: 120_000 });
  result.first_page_ms = Date.now() - t0;
  await page.waitForTimeout(500);
  result.pages = await page.$$eval('.page', (els) => els.length);
  result.loaded_at_start = await loaded();
  const last = result.pages;
  const t1 = Date.now();
  await page.fill('#page-jump', String(last));
  await page.press('#page-jump', 'Enter');
  await page.waitForSelector(`#page-${last}[data-words] .box.word`, { timeout: 60_000 });
  result.jump_to_last_ms = Date.now() - t1;
  await page.waitForTimeout(500);
  result.loaded_after_jump = await loaded();
  result.last_page_boxes = await page.$$eval(`#page-${last} .box.word`, (els) => els.length);
  await page.screenshot({ path: path.join(shots, '15-long-job-last-page.png') });
  // Scroll from the top to the bottom in steps, one per frame, recording frame times and the
  // most pages loaded at any moment.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  const scroll = await page.evaluate(async () => {
    const frames = [];
    let maxLoaded = 0;
    let maxBoxes = 0;
    let previous = performance.now();
    const end = document.documentElement.scrollHeight - window.innerHeight;
    while (window.scrollY < end - 2) {
      window.scrollBy(0, 400);
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const now = performance.now();
      frames.push(now - previous);
      previous = now;
      maxLoaded = Math.max(maxLoaded, document.querySelectorAll('.page .overlay').length);
      maxBoxes = Math.max(maxBoxes, document.querySelectorAll('.box').length);
    }
    frames.sort((a, b) => a - b);
    return {
      frames: frames.length,
      p50_ms: frames[Math.floor(frames.length * 0.5)],
      p95_ms: frames[Math.floor(frames.length * 0.95)],
      max_ms: frames[frames.length - 1],
      max_loaded_pages: maxLoaded,
      max_boxes_in_dom: maxBoxes,
    };
  });
  result.scroll = scroll;
  result.page_errors = errors;
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (err) {
  result.error = String(err && err.stack || err);
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
