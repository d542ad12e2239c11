// Drives the web page in Debian's chromium for tests/tests/e2e/web/, as a user would: upload
// a page and a multi-page PDF, watch progress, read the word boxes, hover a word, select text,
// download the text, run out of the anonymous allowance, paste a token, ask a question and follow
// its citation, open and delete a job; light, dark and phone-width screenshots of each state.
//
// It only acts and observes: it prints one line `RESULT {json}` with what it saw (counts, texts,
// timings, bytes) and the Rust test checks that against the API. Environment:
//   OCRCHAT_WEB_BASE    the service, e.g. http://127.0.0.1:41234
//   OCRCHAT_WEB_TOKEN   an account token to paste
//   OCRCHAT_WEB_IMAGE   a one-page image; OCRCHAT_WEB_PDF a multi-page PDF
//   OCRCHAT_WEB_SHOTS   where screenshots go
//   OCRCHAT_PLAYWRIGHT  the directory `scripts/deps.sh browser` installed playwright-core in
//   OCRCHAT_CHROMIUM    the browser (default /usr/bin/chromium)

import { createRequire } from 'node:module';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const base = env('OCRCHAT_WEB_BASE');
const accountToken = env('OCRCHAT_WEB_TOKEN');
const imageFile = env('OCRCHAT_WEB_IMAGE');
const pdfFile = env('OCRCHAT_WEB_PDF');
const shots = env('OCRCHAT_WEB_SHOTS');
const require = createRequire(path.join(env('OCRCHAT_PLAYWRIGHT'), 'package.json'));
const { chromium } = require('playwright-core');

const LONG = 240_000;
mkdirSync(shots, { recursive: true });
const result = { shots: [], steps: [] };
const step = (name) => { result.steps.push(name); console.error(`[drive] ${name}`); };

const browser = await chromium.launch({
  executablePath: env('OCRCHAT_CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  // Without the background-networking flags chromium keeps calling home on a closed network.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
});

let page;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true, colorScheme: 'light' });
  page = await context.newPage();
  const urls = [];
  const consoleLines = [];
  const pageErrors = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const shot = async (name, options = {}) => {
    const file = path.join(shots, `${name}.png`);
    await (options.target || page).screenshot({ path: file, fullPage: !!options.fullPage });
    result.shots.push(file);
  };

  // 1. First load: bytes on the wire (Chromium's own count of encoded bytes).
  step('first load');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const requestUrls = new Map();
  const bytes = { assets: 0, api: 0 };
  cdp.on('Network.requestWillBeSent', (e) => requestUrls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = requestUrls.get(e.requestId) || '';
    if (url.includes('/api/')) bytes.api += e.encodedDataLength;
    else bytes.assets += e.encodedDataLength;
  });
  await page.goto(base + '/', { waitUntil: 'networkidle' });
  result.first_load_bytes = { ...bytes };
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await page.waitForFunction(() => document.querySelectorAll('#language option').length > 10);
  result.max_size_text = await page.textContent('#max-size');
  result.account_anonymous = await page.textContent('#account-summary');
  await shot('01-empty');

  // 2. Options through the controls: the language by its search box.
  step('choose a language');
  await page.fill('#language-filter', 'english');
  await page.selectOption('#language', 'en');
  result.language_options_filtered = await page.$$eval('#language option', (o) => o.length);

  // 3. A one-page image: time to the first word box drawn.
  step('upload an image');
  const t0 = Date.now();
  await page.setInputFiles('#file-input', imageFile);
  await page.waitForSelector('#page-1 .box.word', { timeout: LONG });
  result.first_result_ms = Date.now() - t0;
  await page.waitForSelector('#file-list .card[data-state="done"]', { timeout: LONG });
  const imageJob = await page.getAttribute('#file-list .card[data-state="done"]', 'data-job');
  result.image_job = imageJob;
  result.image_card = await page.textContent('#file-list .card[data-state="done"] .status');
  await page.waitForSelector('#page-1[data-words]');
  result.image_boxes = await page.$$eval('#page-1 .box.word', (els) => els.length);
  result.image_confidence_classes = await page.$$eval('#page-1 .box.word', (els) => {
    const counts = { 'c-hi': 0, 'c-mid': 0, 'c-low': 0 };
    for (const el of els) for (const c of Object.keys(counts)) if (el.classList.contains(c)) counts[c] += 1;
    return counts;
  });
  await shot('02-result');

  // 4. Hover a word: its tooltip says the text and the confidence.
  step('hover a word');
  const boxes = await page.$$('#page-1 .box.word');
  let widest = boxes[0];
  let widestArea = 0;
  for (const box of boxes.slice(0, 200)) {
    const b = await box.boundingBox();
    if (b && b.width * b.height > widestArea) { widest = box; widestArea = b.width * b.height; }
  }
  await widest.scrollIntoViewIfNeeded();
  await widest.hover();
  await page.waitForSelector('#tooltip:not([hidden])');
  result.tooltip = {
    word_index: Number(await widest.getAttribute('data-w')),
    text: await page.textContent('#tooltip .tip-text'),
    confidence: await page.textContent('#tooltip .tip-conf'),
  };
  await shot('03-tooltip');

  // Keyboard: the page image takes focus and arrow keys walk its words.
  step('keyboard');
  await page.focus('#page-1 .figure');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  result.keyboard_active = await page.$$eval('#page-1 .box.word.active', (els) => els.map((e) => Number(e.dataset.w)));
  await page.keyboard.press('Escape');

  // 5. Text selected in the text panel lights up its boxes.
  step('select text');
  result.selection = await page.evaluate(() => {
    const para = document.querySelector('#page-1 .page-text .blk');
    const range = document.createRange();
    range.selectNodeContents(para);
    const selection = document.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return { spans: para.querySelectorAll('.w').length };
  });
  await page.waitForFunction(() => document.querySelectorAll('#page-1 .box.word.sel').length > 0);
  result.selection.boxes = await page.$$eval('#page-1 .box.word.sel', (els) => els.length);
  await shot('04-selection');
  await page.evaluate(() => document.getSelection().removeAllRanges());

  // 6. Download the text: named after the upload, the job's text.
  step('download txt');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#downloads [data-format="txt"]'),
  ]);
  result.txt_name = download.suggestedFilename();
  result.txt = readFileSync(await download.path(), 'utf8');

  // 7. A multi-page PDF answered asynchronously: progress from the event stream to done. The
  // first stream is cut after its first event, as a dropped connection would: the page must
  // resume with Last-Event-ID and still reach done.
  step('upload a pdf');
  const streamIds = [];
  await page.route('**/events/stream/', async (route) => {
    streamIds.push(route.request().headers()['last-event-id'] ?? null);
    if (streamIds.length > 1) return route.continue();
    const response = await route.fetch();
    const body = await response.text();
    const headers = { ...response.headers() };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    return route.fulfill({ status: response.status(), headers, body: `${body.split(/\n\n/)[0]}\n\n` });
  });
  await page.setInputFiles('#file-input', pdfFile);
  const seen = [];
  let progressShot = false;
  const deadline = Date.now() + LONG;
  for (;;) {
    const card = await page.$('#file-list .card');
    const status = card ? await card.$eval('.status', (s) => s.textContent) : '';
    const stateName = card ? await card.getAttribute('data-state') : '';
    if (!seen.length || seen[seen.length - 1] !== status) seen.push(status);
    if (stateName === 'running' && !progressShot) {
      progressShot = true;
      await shot('05-progress');
    }
    if (stateName === 'done' || stateName === 'error') break;
    if (Date.now() > deadline) throw new Error(`the PDF never finished: ${seen.join(' | ')}`);
    await page.waitForTimeout(150);
  }
  const final = await page.$eval('#file-list .card .status', (s) => s.textContent);
  if (seen[seen.length - 1] !== final) seen.push(final);
  result.pdf_statuses = seen;
  result.stream_last_event_ids = streamIds;
  await page.unroute('**/events/stream/');
  result.pdf_progress = await page.$eval('#file-list .card progress', (p) => ({ value: p.value, max: p.max }));
  result.pdf_job = await page.getAttribute('#file-list .card', 'data-job');
  await page.waitForSelector('#page-1[data-words]', { timeout: LONG });
  await page.fill('#page-jump', '2');
  await page.press('#page-jump', 'Enter');
  await page.waitForSelector('#page-2[data-words]', { timeout: LONG });
  result.pdf_boxes = [
    await page.$$eval('#page-1 .box.word', (els) => els.length),
    await page.$$eval('#page-2 .box.word', (els) => els.length),
  ];
  await shot('06-pdf-page-2');
  // The text and Markdown views of the same job; tabs move with the arrow keys.
  await page.click('#tab-text');
  result.text_view_chars = (await page.textContent('#text-view')).length;
  await page.keyboard.press('ArrowRight');
  result.markdown_selected = await page.getAttribute('#tab-markdown', 'aria-selected');
  result.markdown_blocks = await page.$$eval('#markdown-view > *', (els) => els.length);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('06b-markdown');
  await page.click('#tab-pages');

  // 8. The anonymous allowance runs out: a 402 said in words, next to the file.
  step('run out of allowance');
  await page.setInputFiles('#file-input', pdfFile);
  await page.waitForSelector('#file-list .card[data-state="error"] .card-message', { timeout: LONG });
  result.quota_message = await page.textContent('#file-list .card[data-state="error"] .card-message');
  await shot('07-quota');

  // 8b. Other refusals, each said next to its file: a file that is no document (400), one over
  // the size limit (refused before upload), and a token the server does not know (401).
  step('other errors');
  const lastError = async (name) => {
    await page.waitForSelector(`#file-list .card:first-child[data-state="error"] .card-message`, { timeout: LONG });
    const text = await page.textContent('#file-list .card:first-child .card-message');
    const file = await page.textContent('#file-list .card:first-child .card-name');
    return { file, text, name };
  };
  await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes\n') });
  result.error_400 = await lastError('notes.txt');
  const limit = Number(await page.getAttribute('meta[name="ocrchat-max-upload-bytes"]', 'content'));
  // A sparse file one byte over the limit (Playwright will not pass buffers that large).
  const huge = path.join(mkdtempSync(path.join(tmpdir(), 'ocrchat-web-')), 'huge.png');
  const fd = openSync(huge, 'w');
  ftruncateSync(fd, limit + 1);
  closeSync(fd);
  await page.setInputFiles('#file-input', huge);
  result.error_too_large = await lastError('huge.png');
  rmSync(path.dirname(huge), { recursive: true, force: true });
  await page.evaluate(() => localStorage.setItem('ocrchat.token', 'not-a-real-token'));
  await page.setInputFiles('#file-input', imageFile);
  result.error_401 = await lastError('image');
  await page.evaluate(() => localStorage.removeItem('ocrchat.token'));
  await shot('07b-errors');

  // 9. Paste a token: the account panel shows the plan and usage; My jobs appears.
  step('paste a token');
  await page.click('#token-button');
  await page.fill('#token-input', accountToken);
  await shot('08a-token-dialog');
  await page.click('#token-save');
  await page.waitForFunction(() => /Free/.test(document.querySelector('#account-summary').textContent));
  result.account_with_token = await page.textContent('#account-summary');
  result.token_in_storage = await page.evaluate(() => localStorage.getItem('ocrchat.token') !== null);
  await shot('08-token');

  // 10. As the account: upload, ask, follow a citation chip to its words.
  step('chat');
  await page.setInputFiles('#file-input', imageFile);
  await page.waitForSelector('#file-list .card[data-state="done"]:first-child', { timeout: LONG });
  result.account_job = await page.getAttribute('#file-list .card:first-child', 'data-job');
  await page.waitForFunction(() => !document.querySelector('#chat-input').disabled, null, { timeout: LONG });
  await page.fill('#chat-input', 'What is the total?');
  await page.press('#chat-input', 'Enter');
  await page.waitForSelector('.msg.assistant .chip', { timeout: LONG });
  result.answer = await page.textContent('.msg.assistant p');
  result.chips = await page.$$eval('.msg.assistant .chip', (els) => els.map((e) => e.textContent));
  await page.click('.msg.assistant .chip');
  await page.waitForFunction(() => document.querySelectorAll('.box.word.cite').length > 0, null, { timeout: 30_000 });
  result.cited_boxes = await page.$$eval('.box.word.cite', (els) => els.map((e) => Number(e.dataset.w)));
  result.cited_words = await page.$$eval('.page-text .w.cite', (els) => els.map((e) => e.textContent));
  result.chip_snippet = await page.getAttribute('.msg.assistant .chip', 'title');
  await shot('09-chat-citation');

  // 11. My jobs: the account's job is listed; delete it.
  step('my jobs');
  await page.click('#jobs-refresh');
  await page.waitForSelector(`#job-list .job[data-job="${result.account_job}"]`, { timeout: 30_000 });
  result.jobs_listed = await page.$$eval('#job-list .job', (els) => els.map((e) => e.dataset.job));
  await shot('10-my-jobs');
  page.once('dialog', (dialog) => dialog.accept());
  await page.click(`#job-list .job[data-job="${result.account_job}"] .danger`);
  await page.waitForSelector(`#job-list .job[data-job="${result.account_job}"]`, { state: 'detached', timeout: 30_000 });
  result.jobs_after_delete = await page.$$eval('#job-list .job', (els) => els.map((e) => e.dataset.job));
  result.result_hidden_after_delete = await page.$eval('#result', (r) => r.hidden);

  result.token_in_urls = urls.filter((u) => u.includes(accountToken)).length;
  result.token_in_console = consoleLines.filter((l) => l.includes(accountToken)).length;
  result.page_errors = pageErrors;
  result.requests = urls.length;
  await context.close();

  // 12. Dark, desktop and phone width: the anonymous receipt opened by its link.
  step('dark and phone');
  for (const [name, viewport] of [['11-dark-desktop', { width: 1440, height: 1000 }], ['12-phone-dark', { width: 390, height: 844 }], ['13-phone-light', { width: 390, height: 844 }]]) {
    const scheme = name.includes('light') ? 'light' : 'dark';
    const ctx = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: viewport.width < 500 ? 2 : 1 });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.goto(`${base}/#job=${imageJob}`, { waitUntil: 'networkidle' });
    await p.waitForSelector('#page-1 .box.word', { timeout: LONG });
    const boxCount = await p.$$eval('#page-1 .box.word', (els) => els.length);
    result[`boxes_${name}`] = boxCount;
    const file = path.join(shots, `${name}.png`);
    await p.screenshot({ path: file });
    result.shots.push(file);
    if (name === '13-phone-light') {
      // The whole page on a phone: nothing wider than the screen.
      result.phone_overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await p.goto(`${base}/`, { waitUntil: 'networkidle' });
      const top = path.join(shots, '14-phone-upload.png');
      await p.screenshot({ path: top });
      result.shots.push(top);
    }
    await ctx.close();
  }
  result.page_errors = pageErrors;
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (err) {
  if (page) {
    try {
      const file = path.join(shots, 'failure.png');
      await page.screenshot({ path: file, fullPage: true });
      result.shots.push(file);
    } catch {
      // the page itself is gone
    }
  }
  result.error = String(err && err.stack || err);
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
