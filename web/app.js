// The page's wiring: upload, per-file progress, the account panel, the result view, downloads,
// chat and "My jobs". Everything talks to the public API through api.js.

import { ApiError, download, followJob, maxUploadBytes, request, setToken, submit, token } from './api.js';
import { Chat } from './chat.js';
import { clear, h, humanBytes, humanSeconds, humanTime } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { Viewer } from './viewer.js';

const $ = (id) => document.getElementById(id);
const FORMATS = [
  ['txt', 'Text'], ['md', 'Markdown'], ['docx', 'Word'], ['pdf', 'Searchable PDF'],
  ['csv', 'CSV'], ['json', 'JSON'], ['hocr', 'hOCR'], ['alto', 'ALTO'],
];

const state = {
  languages: [],
  openJob: null,
  openRequest: 0,
  jobsCursor: null,
  account: null,
};

const viewer = new Viewer({ pages: $('pages'), nav: $('page-nav'), tooltip: $('tooltip') });
const chat = new Chat(
  { panel: $('chat'), log: $('chat-log'), form: $('chat-form'), input: $('chat-input'), send: $('chat-send'), note: $('chat-note') },
  async (page, snippet) => {
    selectTab('tab-pages');
    return viewer.highlightSnippet(page, snippet);
  },
);

init();

function init() {
  $('max-size').textContent = humanBytes(maxUploadBytes());
  bindUpload();
  bindTabs();
  bindToggles();
  bindToken();
  $('jobs-refresh').addEventListener('click', () => loadJobs(true));
  $('jobs-more').addEventListener('click', () => loadJobs(false));
  loadLanguages();
  loadTools();
  refreshAccount();
  const fromHash = /^#job=([0-9a-f-]{36})$/i.exec(location.hash);
  if (fromHash) openJob(fromHash[1]);
}

// ---------------------------------------------------------------- upload

function bindUpload() {
  const drop = $('drop');
  const input = $('file-input');
  input.addEventListener('change', () => {
    uploadAll([...input.files]);
    input.value = '';
  });
  drop.addEventListener('click', (e) => {
    if (e.target === drop || e.target.closest('.drop-icon, .drop-main') && e.target.tagName !== 'LABEL') input.click();
  });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.dataset.state = 'over';
    });
  }
  for (const type of ['dragleave', 'dragend']) drop.addEventListener(type, () => { drop.dataset.state = 'idle'; });
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.dataset.state = 'idle';
    uploadAll([...(e.dataTransfer?.files || [])]);
  });
  // Files dropped anywhere else would make the browser navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  $('tool').addEventListener('change', onToolChange);
  $('language-filter').addEventListener('input', filterLanguages);
}

function fields() {
  const tool = $('tool').value;
  return {
    tier: $('tier').value,
    language: $('language').value || 'auto',
    tool: tool || undefined,
    translate_to: tool === 'translate' ? $('translate-to').value : undefined,
  };
}

async function uploadAll(files) {
  if (!files.length) return;
  $('files-panel').hidden = false;
  const options = fields();
  const cards = files.map((file) => new FileCard(file));
  for (const card of cards) {
    await card.run(options);
  }
  refreshAccount();
  if (token()) loadJobs(true);
}

/** One uploaded file: its progress, result or readable error. */
class FileCard {
  constructor(file) {
    this.file = file;
    this.started = performance.now();
    this.bar = h('progress', { max: 1, 'aria-label': `Progress of ${file.name}` });
    this.status = h('span', { class: 'status' }, 'Waiting');
    this.elapsed = h('span', { class: 'elapsed' });
    this.message = h('p', { class: 'card-message', role: 'status' });
    this.actions = h('div', { class: 'card-actions' });
    this.el = h('li', { class: 'card', dataset: { state: 'waiting' } },
      h('div', { class: 'card-head' },
        h('span', { class: 'card-name', title: file.name }, file.name),
        h('span', { class: 'card-size' }, humanBytes(file.size))),
      this.bar,
      h('div', { class: 'card-line' }, this.status, this.elapsed),
      this.message,
      this.actions,
    );
    $('file-list').prepend(this.el);
  }

  setState(name, text) {
    this.el.dataset.state = name;
    this.status.textContent = text;
  }

  tick() {
    this.elapsed.textContent = humanSeconds((performance.now() - this.started) / 1000);
  }

  async run(options) {
    if (this.file.size > maxUploadBytes()) {
      this.fail(`File too large: the limit is ${humanBytes(maxUploadBytes())}.`);
      return;
    }
    this.started = performance.now();
    const timer = setInterval(() => this.tick(), 1000);
    this.tick();
    const openIfIdle = state.openRequest;
    try {
      this.setState('uploading', 'Uploading');
      this.bar.removeAttribute('value');
      let job = await submit(this.file, options, (fraction) => {
        if (fraction < 1) { this.bar.max = 1; this.bar.value = fraction; this.status.textContent = `Uploading ${Math.round(fraction * 100)}%`; } else {
          this.bar.removeAttribute('value');
          this.status.textContent = 'Reading';
        }
      });
      this.uuid = job.uuid;
      this.el.dataset.job = job.uuid;
      if (job.status !== 'done' && job.status !== 'failed') {
        this.progress(job.pages_done, job.page_count);
        await followJob(job.uuid, (event) => this.progress(event.pages_done, event.page_count));
        job = await request(`/api/v1/ocr/${job.uuid}/`);
      }
      clearInterval(timer);
      this.tick();
      this.finish(job);
      // Show the result unless the user opened something else meanwhile.
      if (state.openRequest === openIfIdle) showJob(job);
    } catch (err) {
      clearInterval(timer);
      this.fail(err instanceof ApiError ? err.message : String(err.message || err));
    }
  }

  progress(done, total) {
    this.setState('running', `${done} / ${total} pages`);
    this.bar.max = Math.max(1, total);
    this.bar.value = done;
  }

  finish(job) {
    if (job.status === 'failed') {
      this.fail(`Could not read it: ${job.error || 'no reason given'}`);
      return;
    }
    this.bar.max = 1;
    this.bar.value = 1;
    const confidence = job.mean_confidence != null ? ` · ${Math.round(job.mean_confidence * 100)}% confidence` : '';
    this.setState('done', `Done · ${job.page_count} page${job.page_count === 1 ? '' : 's'}${confidence}`);
    clear(this.actions).appendChild(h('button', { type: 'button', class: 'button small', onclick: () => openJob(job.uuid) }, 'Open'));
  }

  fail(message) {
    this.el.dataset.state = 'error';
    this.status.textContent = 'Not read';
    this.bar.max = 1;
    this.bar.value = 0;
    this.message.textContent = message;
    this.message.setAttribute('role', 'alert');
    this.message.classList.add('error');
  }
}

// ---------------------------------------------------------------- options

async function loadLanguages() {
  try {
    const list = await request('/api/v1/languages/');
    state.languages = list.languages;
    filterLanguages();
    const target = $('translate-to');
    clear(target);
    for (const lang of list.languages.filter((l) => l.kind === 'language')) {
      target.appendChild(h('option', { value: lang.code, selected: lang.code === 'en' }, `${lang.name} (${lang.code})`));
    }
  } catch (err) {
    $('language').title = err.message;
  }
}

function filterLanguages() {
  const select = $('language');
  const query = $('language-filter').value.trim().toLowerCase();
  const chosen = select.value || 'auto';
  clear(select);
  select.appendChild(h('option', { value: 'auto' }, 'auto: detect per page'));
  const matches = state.languages.filter((l) => !query
    || l.name.toLowerCase().includes(query)
    || l.code.toLowerCase() === query
    || l.tesseract.toLowerCase() === query
    || l.aliases.some((a) => a.toLowerCase() === query));
  for (const lang of matches) {
    select.appendChild(h('option', { value: lang.code }, `${lang.name} (${lang.code})${lang.kind === 'script' ? ', script' : ''}`));
  }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  else if (query && matches.length) select.value = matches[0].code;
}

async function loadTools() {
  try {
    const { tools } = await request('/api/v1/tools/');
    const select = $('tool');
    for (const tool of tools) {
      select.appendChild(h('option', { value: tool.slug, disabled: !tool.available },
        `${tool.slug}${tool.available ? '' : ' (not available here)'}`));
      if (tool.tier === 'vlm' && !tool.available) {
        const vlm = [...$('tier').options].find((o) => o.value === 'vlm');
        vlm.disabled = true;
        vlm.textContent = 'vlm: vision model (not configured here)';
      }
    }
    state.tools = tools;
  } catch {
    // The form still works without presets.
  }
}

function onToolChange() {
  const slug = $('tool').value;
  $('translate-field').hidden = slug !== 'translate';
  const tool = (state.tools || []).find((t) => t.slug === slug);
  $('tool-note').hidden = !tool;
  $('tool-note').textContent = tool ? tool.description : '';
}

// ---------------------------------------------------------------- account and token

async function refreshAccount() {
  const summary = $('account-summary');
  try {
    const account = await request('/api/v1/account/');
    state.account = account;
    const period = account.plan === 'anonymous' ? 'today' : 'this month';
    let text;
    if (account.plan === 'paid') text = `Paid · ${account.remaining} credits left`;
    else text = `${account.plan === 'free' ? 'Free' : 'Anonymous'} · ${account.used} of ${account.cap} credits used ${period}`;
    summary.textContent = account.email ? `${account.email} · ${text}` : text;
    summary.dataset.plan = account.plan;
    $('page-cap').textContent = `, ${account.file_page_cap} pages per file on your plan`;
    $('token-button').textContent = token() ? 'Change token' : 'Use an API token';
    $('jobs-panel').hidden = !token();
    if (token() && !$('job-list').childElementCount) loadJobs(true);
  } catch (err) {
    if (err.status === 401) $('token-button').textContent = 'Change token';
    summary.textContent = err.status === 401 ? 'Token not accepted: change or forget it' : 'Account unavailable';
    summary.dataset.plan = 'error';
    summary.title = err.message;
  }
}

function bindToken() {
  const dialog = $('token-dialog');
  const input = $('token-input');
  const error = $('token-error');
  $('token-button').addEventListener('click', () => {
    input.value = '';
    error.hidden = true;
    $('token-forget').hidden = !token();
    dialog.showModal();
    input.focus();
  });
  $('token-cancel').addEventListener('click', () => dialog.close());
  $('token-forget').addEventListener('click', () => {
    setToken(null);
    dialog.close();
    clear($('job-list'));
    $('jobs-panel').hidden = true;
    refreshAccount();
    if (state.openJob) chat.open(state.openJob);
  });
  $('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    try {
      // Checked before it is kept: a mistyped token would make every call a 401.
      await request('/api/v1/account/', { withToken: value });
    } catch (err) {
      error.textContent = err.status === 401 ? 'This token was not accepted: check it and try again.' : err.message;
      error.hidden = false;
      return;
    }
    setToken(value);
    input.value = '';
    dialog.close();
    clear($('job-list'));
    await refreshAccount();
    if (state.openJob) chat.open(state.openJob);
  });
}

// ---------------------------------------------------------------- my jobs

async function loadJobs(fresh) {
  if (!token()) return;
  const list = $('job-list');
  const params = new URLSearchParams({ limit: '20' });
  if (!fresh && state.jobsCursor) params.set('cursor', state.jobsCursor);
  try {
    const page = await request(`/api/v1/ocr/?${params}`);
    if (fresh) clear(list);
    for (const job of page.jobs) list.appendChild(jobItem(job));
    state.jobsCursor = page.next_cursor || null;
    $('jobs-more').hidden = !state.jobsCursor;
    $('jobs-empty').hidden = list.childElementCount > 0;
    $('jobs-panel').hidden = false;
  } catch (err) {
    $('jobs-empty').hidden = false;
    $('jobs-empty').textContent = err.message;
  }
}

function jobItem(job) {
  const name = job.file_name || `${job.file_kind} file`;
  const item = h('li', { class: 'job', dataset: { job: job.uuid } },
    h('div', { class: 'job-main' },
      h('span', { class: 'job-name', title: name }, name),
      h('span', { class: 'job-meta' },
        h('span', { class: `badge ${job.status}` }, job.status),
        ` ${job.page_count} page${job.page_count === 1 ? '' : 's'} · ${humanTime(job.created_at)}`)),
    h('div', { class: 'job-actions' },
      h('button', { type: 'button', class: 'button small', onclick: () => openJob(job.uuid), 'aria-label': `Open ${name}` }, 'Open'),
      h('button', {
        type: 'button', class: 'button small danger quiet', 'aria-label': `Delete ${name}`,
        onclick: async () => {
          if (!window.confirm(`Delete “${name}” and everything read from it? This cannot be undone.`)) return;
          try {
            await request(`/api/v1/ocr/${job.uuid}/`, { method: 'DELETE' });
            item.remove();
            if (state.openJob?.uuid === job.uuid) closeResult();
            $('jobs-empty').hidden = $('job-list').childElementCount > 0;
          } catch (err) {
            window.alert(err.message);
          }
        },
      }, 'Delete')),
  );
  return item;
}

// ---------------------------------------------------------------- the result

async function openJob(uuid) {
  const ticket = ++state.openRequest;
  try {
    let job = await request(`/api/v1/ocr/${uuid}/`);
    if (ticket !== state.openRequest) return;
    showJob(job);
    if (job.status === 'pending' || job.status === 'processing') {
      await followJob(uuid, (event) => {
        if (ticket === state.openRequest) $('result-meta').textContent = `${event.status} · ${event.pages_done} / ${event.page_count} pages`;
      });
      job = await request(`/api/v1/ocr/${uuid}/`);
      if (ticket === state.openRequest) showJob(job);
    }
  } catch (err) {
    if (ticket !== state.openRequest) return;
    closeResult();
    $('files-panel').hidden = false;
    $('file-list').prepend(h('li', { class: 'card', dataset: { state: 'error' } },
      h('p', { class: 'card-message error', role: 'alert' }, `Could not open the job: ${err.message}`)));
  }
}

function showJob(job) {
  state.openJob = job;
  $('welcome').hidden = true;
  $('result').hidden = false;
  $('result-title').textContent = job.file_name || 'Result';
  const bits = [
    job.status,
    `${job.page_count} page${job.page_count === 1 ? '' : 's'}`,
    job.mean_confidence != null ? `${Math.round(job.mean_confidence * 100)}% mean confidence` : null,
    job.detected_language ? `language ${job.detected_language}` : `language ${job.language}`,
    `tier ${job.tier}`,
    job.tool ? `tool ${job.tool}` : null,
  ].filter(Boolean);
  $('result-meta').textContent = bits.join(' · ');
  if (job.status === 'failed') $('result-meta').textContent += ` · ${job.error || ''}`;
  history.replaceState(null, '', `#job=${job.uuid}`);

  const downloads = clear($('downloads'));
  const base = (job.file_name || 'document').replace(/\.[^.]+$/, '');
  for (const [format, label] of FORMATS) {
    const button = h('button', {
      type: 'button', class: 'button small', dataset: { format }, disabled: job.status !== 'done',
      title: `Download ${label} (${format})`,
    }, format.toUpperCase());
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await download(job.uuid, format, base);
      } catch (err) {
        window.alert(err.message);
      } finally {
        button.disabled = false;
      }
    });
    downloads.appendChild(button);
  }

  $('text-view').textContent = job.text.replace(/\f/g, '\n\n──────── next page ────────\n\n');
  clear($('markdown-view')).appendChild(renderMarkdown(job.markdown || ''));
  // The job's `markdown` is headings and paragraphs; the md export adds the tables found
  // (extract-tables), so a job with tables shows that instead.
  if (job.status === 'done' && (job.pages || []).some((p) => p.tables && p.tables.length)) {
    request(`/api/v1/ocr/${job.uuid}/download/?format=md`, { raw: true })
      .then((response) => response.text())
      .then((markdown) => {
        if (state.openJob === job) clear($('markdown-view')).appendChild(renderMarkdown(markdown));
      })
      .catch(() => {});
  }
  const translated = typeof job.translation === 'string';
  $('tab-translation').hidden = !translated;
  $('translation-view').textContent = translated ? job.translation.replace(/\f/g, '\n\n──────── next page ────────\n\n') : '';
  viewer.show(job);
  chat.open(job);
  if (window.matchMedia('(max-width: 900px)').matches) $('result').scrollIntoView({ block: 'start' });
}

function closeResult() {
  state.openJob = null;
  viewer.reset();
  chat.close();
  $('result').hidden = true;
  $('welcome').hidden = false;
  history.replaceState(null, '', location.pathname);
}

// ---------------------------------------------------------------- tabs and toggles

function bindTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => selectTab(tab.id));
    tab.addEventListener('keydown', (e) => {
      const visible = tabs.filter((t) => !t.hidden);
      const at = visible.indexOf(tab);
      let next = null;
      if (e.key === 'ArrowRight') next = visible[(at + 1) % visible.length];
      if (e.key === 'ArrowLeft') next = visible[(at - 1 + visible.length) % visible.length];
      if (e.key === 'Home') next = visible[0];
      if (e.key === 'End') next = visible[visible.length - 1];
      if (next) {
        e.preventDefault();
        selectTab(next.id);
        next.focus();
      }
    });
  }
}

function selectTab(id) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === id;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
}

function bindToggles() {
  const pages = $('pages');
  const sync = () => {
    pages.classList.toggle('show-blocks', $('show-blocks').checked);
    pages.classList.toggle('show-lines', $('show-lines').checked);
    pages.classList.toggle('hide-words', !$('show-words').checked);
  };
  for (const id of ['show-blocks', 'show-lines', 'show-words']) $(id).addEventListener('change', sync);
  sync();
}
