// The result over the page: each page image with its blocks, lines and words drawn where they
// were read, shaded by confidence, beside the page's text. Pages load when they come near the
// viewport and are let go when far from it (IntersectionObserver), so a 200-page job keeps a
// handful of images and a few thousand boxes in the DOM, not all of them.

import { pageImageUrl, request } from './api.js';
import { clear, confidenceClass, h, normWord } from './dom.js';

/** How far outside the viewport a page is loaded (and kept). */
const LOAD_MARGIN = '1200px 0px';

export class Viewer {
  /**
   * @param {{pages: HTMLElement, nav: HTMLElement, tooltip: HTMLElement}} els
   */
  constructor(els) {
    this.els = els;
    this.job = null;
    this.pages = new Map();
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: LOAD_MARGIN });
    // The page crossing the middle of the viewport is the current one (for the page number box).
    this.current = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && this.navInput && document.activeElement !== this.navInput) {
          this.navInput.value = String(Number(entry.target.dataset.index) + 1);
        }
      }
    }, { rootMargin: '-50% 0px -50% 0px' });
    this.onSelection = () => this.selectionToBoxes();
    document.addEventListener('selectionchange', this.onSelection);
  }

  /** Shows a job's pages (placeholders until each comes into view). */
  show(job) {
    this.reset();
    this.job = job;
    const recognised = new Map((job.pages || []).map((p) => [p.index, p]));
    for (let index = 0; index < job.page_count; index += 1) {
      const summary = recognised.get(index) || null;
      const page = new PageView(this, job.uuid, index, summary);
      this.pages.set(index, page);
      this.els.pages.appendChild(page.el);
      this.observer.observe(page.el);
      this.current.observe(page.el);
    }
    this.renderNav();
  }

  /** Forgets the current job: stops observing, lets go of images. */
  reset() {
    for (const page of this.pages.values()) page.unload();
    this.observer.disconnect();
    this.current.disconnect();
    this.pages.clear();
    clear(this.els.pages);
    clear(this.els.nav);
    this.hideTooltip();
    this.navInput = null;
    this.job = null;
  }

  renderNav() {
    const count = this.job.page_count;
    if (count <= 1) return;
    const input = h('input', {
      type: 'number', min: 1, max: count, value: 1, id: 'page-jump', 'aria-label': 'Page number', inputmode: 'numeric',
    });
    const go = () => {
      const n = Math.min(Math.max(1, Number(input.value) || 1), count);
      this.gotoPage(n - 1);
    };
    input.addEventListener('change', go);
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
    const step = (delta) => () => { input.value = String(Math.min(Math.max(1, Number(input.value) + delta), count)); go(); };
    this.els.nav.append(
      h('button', { type: 'button', class: 'button quiet small', onclick: step(-1), 'aria-label': 'Previous page' }, '‹'),
      h('label', { for: 'page-jump' }, 'Page '), input, ` of ${count}`,
      h('button', { type: 'button', class: 'button quiet small', onclick: step(1), 'aria-label': 'Next page' }, '›'),
    );
    this.navInput = input;
  }

  onIntersect(entries) {
    for (const entry of entries) {
      const page = this.pages.get(Number(entry.target.dataset.index));
      if (!page) continue;
      if (entry.isIntersecting) page.load();
      else page.unload();
    }
  }

  /** Scrolls to a page and resolves once its layout is drawn. */
  async gotoPage(index) {
    const page = this.pages.get(index);
    if (!page) return null;
    page.el.scrollIntoView({ behavior: 'auto', block: 'start' });
    if (this.navInput) this.navInput.value = String(index + 1);
    await page.load();
    return page;
  }

  /** Shows page `index` and marks the words of `snippet` on it (a chat citation). */
  async highlightSnippet(index, snippet) {
    for (const page of this.pages.values()) page.setCitation(null);
    const page = this.pages.get(index);
    if (!page) return 0;
    page.setCitation(snippet);
    await this.gotoPage(index);
    const first = page.el.querySelector('.box.word.cite');
    if (first) first.scrollIntoView({ block: 'center', behavior: 'auto' });
    return page.el.querySelectorAll('.box.word.cite').length;
  }

  /** Marks the boxes of the words selected in a page's text panel. */
  selectionToBoxes() {
    for (const box of this.els.pages.querySelectorAll('.box.word.sel')) box.classList.remove('sel');
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    const node = range.commonAncestorContainer;
    const panel = (node.nodeType === 1 ? node : node.parentElement)?.closest('.page-text');
    if (!panel) return;
    const page = this.pages.get(Number(panel.dataset.index));
    if (!page) return;
    for (const span of panel.querySelectorAll('.w')) {
      if (range.intersectsNode(span)) page.boxOf(Number(span.dataset.w))?.classList.add('sel');
    }
  }

  showTooltip(box, word) {
    const tip = this.els.tooltip;
    clear(tip);
    tip.append(
      h('span', { class: 'tip-text' }, word.text),
      h('span', { class: `tip-conf ${confidenceClass(word.confidence)}` }, `confidence ${Math.round(word.confidence * 100)}%`),
    );
    tip.hidden = false;
    const r = box.getBoundingClientRect();
    const t = tip.getBoundingClientRect();
    let top = r.top - t.height - 8;
    if (top < 4) top = r.bottom + 8;
    const left = Math.min(Math.max(4, r.left + r.width / 2 - t.width / 2), window.innerWidth - t.width - 4);
    tip.style.top = `${Math.round(top)}px`;
    tip.style.left = `${Math.round(left)}px`;
    box.setAttribute('aria-describedby', 'tooltip');
  }

  hideTooltip() {
    this.els.tooltip.hidden = true;
  }
}

/** One page: placeholder, then image, boxes and text while near the viewport. */
class PageView {
  constructor(viewer, uuid, index, summary) {
    this.viewer = viewer;
    this.uuid = uuid;
    this.index = index;
    this.summary = summary;
    this.words = [];
    this.loading = null;
    this.loaded = false;
    this.citation = null;
    this.active = -1;
    const width = summary?.width || 1000;
    const height = summary?.height || 1414;
    this.sheet = h('div', { class: 'sheet' });
    this.sheet.style.aspectRatio = `${width} / ${height}`;
    this.figure = h('div', {
      class: 'figure', tabindex: summary ? 0 : -1, role: 'group',
      'aria-label': `Page ${index + 1} image with the recognised words; arrow keys move between words`,
    }, this.sheet);
    this.text = h('div', { class: 'page-text', dataset: { index: String(index) }, tabindex: 0, 'aria-label': `Text of page ${index + 1}` });
    const meta = summary
      ? `${summary.engine}${summary.mean_confidence != null ? ` · ${Math.round(summary.mean_confidence * 100)}% confidence` : ''}`
      : 'not read yet';
    this.el = h('section', { class: 'page', id: `page-${index + 1}`, dataset: { index: String(index) }, 'aria-label': `Page ${index + 1}` },
      h('h3', { class: 'page-title' }, `Page ${index + 1}`, h('span', { class: 'meta' }, meta)),
      h('div', { class: 'page-grid' }, this.figure, h('div', { class: 'page-text-wrap' }, this.text)),
    );
    this.figure.addEventListener('pointerover', (e) => this.onPointer(e));
    this.figure.addEventListener('pointerout', (e) => { if (e.target.classList.contains('word')) this.viewer.hideTooltip(); });
    this.figure.addEventListener('click', (e) => this.onClick(e));
    this.figure.addEventListener('keydown', (e) => this.onKey(e));
    this.figure.addEventListener('blur', () => this.viewer.hideTooltip());
    this.text.addEventListener('click', (e) => {
      const span = e.target.closest('.w');
      if (span && document.getSelection()?.isCollapsed) this.activate(Number(span.dataset.w), { scrollText: false });
    });
  }

  load() {
    if (!this.summary) return Promise.resolve();
    if (this.loaded) return Promise.resolve();
    if (this.loading) return this.loading;
    this.abort = new AbortController();
    const { signal } = this.abort;
    this.el.classList.add('loading');
    this.loading = Promise.all([
      request(`/api/v1/ocr/${this.uuid}/pages/${this.index}/`, { signal }),
      pageImageUrl(this.uuid, this.index, signal).catch((err) => {
        if (err.name === 'AbortError') throw err;
        return null;
      }),
    ]).then(([layout, imageUrl]) => {
      this.draw(layout, imageUrl);
      this.loaded = true;
    }).catch((err) => {
      if (err.name !== 'AbortError') {
        this.sheet.appendChild(h('p', { class: 'error page-error', role: 'alert' }, `Could not load this page: ${err.message}`));
      }
    }).finally(() => {
      this.loading = null;
      this.el.classList.remove('loading');
    });
    return this.loading;
  }

  unload() {
    if (this.abort) this.abort.abort();
    this.abort = null;
    this.loading = null;
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = null;
    if (this.loaded || this.sheet.childElementCount) {
      clear(this.sheet);
      clear(this.text);
    }
    this.words = [];
    this.boxes = [];
    this.spans = [];
    this.active = -1;
    this.loaded = false;
  }

  draw(layout, imageUrl) {
    clear(this.sheet);
    clear(this.text);
    const { width, height } = layout;
    this.sheet.style.aspectRatio = `${width} / ${height}`;
    this.imageUrl = imageUrl;
    if (imageUrl) {
      this.sheet.appendChild(h('img', { src: imageUrl, alt: `Page ${this.index + 1} as uploaded`, decoding: 'async' }));
    } else {
      this.sheet.appendChild(h('p', { class: 'hint no-image' }, 'No page image stored for this page.'));
    }
    const overlay = h('div', { class: 'overlay', 'aria-hidden': 'true' });
    const place = (el, [x0, y0, x1, y1]) => {
      el.style.left = `${(x0 / width) * 100}%`;
      el.style.top = `${(y0 / height) * 100}%`;
      el.style.width = `${(Math.max(1, x1 - x0) / width) * 100}%`;
      el.style.height = `${(Math.max(1, y1 - y0) / height) * 100}%`;
      return el;
    };
    this.words = [];
    this.boxes = [];
    this.spans = [];
    this.lineOf = [];
    const fragment = document.createDocumentFragment();
    const text = document.createDocumentFragment();
    layout.blocks.forEach((block, b) => {
      fragment.appendChild(place(h('div', { class: 'box block' }), block.bbox));
      const para = h('p', { class: 'blk' });
      block.lines.forEach((line, l) => {
        fragment.appendChild(place(h('div', { class: 'box line' }), line.bbox));
        if (l) para.appendChild(h('br'));
        line.words.forEach((word, k) => {
          const i = this.words.length;
          this.words.push(word);
          this.lineOf.push(`${b}.${l}`);
          const box = place(h('div', { class: `box word ${confidenceClass(word.confidence)}`, dataset: { w: String(i) } }), word.bbox);
          this.boxes.push(box);
          fragment.appendChild(box);
          if (k) para.appendChild(document.createTextNode(' '));
          const span = h('span', { class: `w ${word.confidence < 0.6 ? 'low' : ''}`, dataset: { w: String(i) } }, word.text);
          this.spans.push(span);
          para.appendChild(span);
        });
      });
      text.appendChild(para);
    });
    if (!this.words.length) text.appendChild(h('p', { class: 'hint' }, 'No text was found on this page.'));
    overlay.appendChild(fragment);
    this.sheet.appendChild(overlay);
    this.text.appendChild(text);
    this.el.dataset.words = String(this.words.length);
    if (this.citation) this.markCitation();
  }

  boxOf(i) {
    return this.boxes?.[i] || null;
  }

  onPointer(e) {
    const box = e.target;
    if (!box.classList?.contains('word')) return;
    const word = this.words[Number(box.dataset.w)];
    if (word) this.viewer.showTooltip(box, word);
  }

  onClick(e) {
    const box = e.target;
    if (!box.classList?.contains('word')) return;
    this.activate(Number(box.dataset.w), { scrollText: true });
  }

  /** Makes word `i` the active one: tooltip on its box, its text highlighted (and shown). */
  activate(i, { scrollText }) {
    if (!this.words[i]) return;
    this.boxes[this.active]?.classList.remove('active');
    this.spans[this.active]?.classList.remove('active');
    this.active = i;
    const box = this.boxes[i];
    const span = this.spans[i];
    box.classList.add('active');
    span.classList.add('active');
    if (scrollText) {
      const panel = this.text;
      const top = span.offsetTop - panel.clientHeight / 2;
      panel.scrollTop = Math.max(0, top);
    }
    this.viewer.showTooltip(box, this.words[i]);
  }

  onKey(e) {
    if (!this.words.length) return;
    const lineStart = (i, dir) => {
      const line = this.lineOf[i];
      let j = i;
      while (this.lineOf[j] === line) j += dir;
      return j;
    };
    let next = null;
    const current = this.active < 0 ? -1 : this.active;
    switch (e.key) {
      case 'ArrowRight': next = current + 1; break;
      case 'ArrowLeft': next = current < 0 ? 0 : current - 1; break;
      case 'ArrowDown': next = current < 0 ? 0 : lineStart(current, 1); break;
      case 'ArrowUp': {
        if (current < 0) { next = 0; break; }
        const prevEnd = lineStart(current, -1);
        next = prevEnd < 0 ? 0 : lineStart(prevEnd, -1) + 1;
        break;
      }
      case 'Home': next = 0; break;
      case 'End': next = this.words.length - 1; break;
      case 'Escape':
        this.viewer.hideTooltip();
        this.boxes[this.active]?.classList.remove('active');
        this.spans[this.active]?.classList.remove('active');
        this.active = -1;
        return;
      default: return;
    }
    e.preventDefault();
    this.activate(Math.min(Math.max(0, next), this.words.length - 1), { scrollText: true });
  }

  setCitation(snippet) {
    this.citation = snippet;
    if (!this.loaded) return;
    for (const el of this.el.querySelectorAll('.cite')) el.classList.remove('cite');
    if (snippet) this.markCitation();
  }

  /**
   * Marks the words of the cited snippet: the run of page words that best matches it, compared
   * by letters and digits only (punctuation-only words such as `:` join the run but do not count).
   */
  markCitation() {
    const wanted = String(this.citation).split(/\s+/).map(normWord).filter(Boolean);
    const tokens = [];
    this.words.forEach((w, i) => {
      const norm = normWord(w.text);
      if (norm) tokens.push({ i, norm });
    });
    if (!wanted.length || !tokens.length) return;
    let best = { start: -1, score: 0 };
    for (let start = 0; start < tokens.length; start += 1) {
      let score = 0;
      for (let k = 0; k < wanted.length && start + k < tokens.length; k += 1) {
        if (tokens[start + k].norm === wanted[k]) score += 1;
      }
      if (score > best.score) best = { start, score };
    }
    let indices = [];
    if (best.start >= 0 && best.score >= Math.max(1, Math.ceil(wanted.length / 2))) {
      const first = tokens[best.start].i;
      const last = tokens[Math.min(best.start + wanted.length, tokens.length) - 1].i;
      for (let i = first; i <= last; i += 1) indices.push(i);
    } else {
      // No run matches well (a snippet across a line break the reader split differently):
      // mark the snippet's longer words wherever they stand.
      const set = new Set(wanted.filter((w) => w.length > 2));
      indices = tokens.filter((t) => set.has(t.norm)).map((t) => t.i);
    }
    for (const i of indices) {
      this.boxes[i]?.classList.add('cite');
      this.spans[i]?.classList.add('cite');
    }
  }
}
