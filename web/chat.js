// The chat panel beside a finished job: its conversation history, new questions, and each
// answer's citations as chips that show the cited words on their page.

import { ApiError, request, token } from './api.js';
import { clear, h } from './dom.js';

export class Chat {
  /**
   * @param {{panel, log, form, input, send, note}} els
   * @param {(page: number, snippet: string) => Promise<number>} showCitation 0-based page
   */
  constructor(els, showCitation) {
    this.els = els;
    this.showCitation = showCitation;
    this.job = null;
    this.conversation = null;
    els.form.addEventListener('submit', (e) => { e.preventDefault(); this.ask(); });
    els.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); this.ask(); }
    });
  }

  /** Opens the panel for a job (or explains why chat is not available for it). */
  async open(job) {
    this.job = job;
    this.conversation = null;
    clear(this.els.log);
    this.els.panel.hidden = false;
    const note = (text) => {
      this.els.note.textContent = text;
      this.els.note.hidden = !text;
    };
    if (job.status !== 'done') {
      this.setAvailable(false);
      note('Chat opens when the job is done.');
      return;
    }
    if (!token()) {
      this.setAvailable(false);
      note('Chat needs an API token: use “Use an API token” at the top. Questions are answered from this document only, with the pages they come from.');
      return;
    }
    note('');
    this.setAvailable(true);
    try {
      const history = await request(`/api/v1/chat/${job.uuid}/history/`);
      if (this.job !== job) return;
      for (const message of history.messages || []) {
        this.conversation = message.conversation;
        this.addMessage(message);
      }
    } catch (err) {
      if (this.job !== job) return;
      if (err instanceof ApiError && err.status === 404) {
        this.setAvailable(false);
        note('This job was read anonymously; chat is for jobs of your account. Upload it again with your token to ask about it.');
      } else {
        note(err.message);
      }
    }
  }

  close() {
    this.job = null;
    this.els.panel.hidden = true;
  }

  setEnabled(on) {
    this.els.input.disabled = !on;
    this.els.send.disabled = !on;
  }

  /** Chat cannot be used for this job (no token, not done, not the account's): only a note. */
  setAvailable(on) {
    this.setEnabled(on);
    this.els.panel.classList.toggle('unavailable', !on);
    this.els.form.hidden = !on;
  }

  async ask() {
    const question = this.els.input.value.trim();
    if (!question || !this.job || this.els.send.disabled) return;
    const job = this.job;
    this.addMessage({ role: 'user', content: question, citations: [] });
    this.els.input.value = '';
    this.setEnabled(false);
    const pending = h('li', { class: 'msg assistant pending' }, h('span', { class: 'typing', 'aria-label': 'Thinking' }, '…'));
    this.els.log.appendChild(pending);
    pending.scrollIntoView({ block: 'nearest' });
    try {
      const body = { message: question };
      if (this.conversation) body.conversation = this.conversation;
      const answer = await request(`/api/v1/chat/${job.uuid}/`, { method: 'POST', body });
      if (this.job !== job) return;
      this.conversation = answer.conversation;
      pending.remove();
      this.addMessage(answer.message);
    } catch (err) {
      pending.remove();
      this.els.log.appendChild(h('li', { class: 'msg error', role: 'alert' }, err.message));
    } finally {
      if (this.job === job) {
        this.setEnabled(true);
        this.els.input.focus();
      }
    }
  }

  addMessage(message) {
    const citations = message.citations || [];
    const item = h('li', { class: `msg ${message.role}` },
      h('span', { class: 'visually-hidden' }, message.role === 'user' ? 'You: ' : 'Answer: '),
      h('p', {}, message.content),
    );
    if (citations.length) {
      const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Sources' });
      for (const citation of citations) {
        const chip = h('button', {
          type: 'button', class: 'chip', title: citation.snippet,
          'aria-label': `Show the source on page ${citation.page}: ${citation.snippet}`,
        }, `p. ${citation.page}`);
        chip.addEventListener('click', async () => {
          for (const c of this.els.log.querySelectorAll('.chip[aria-pressed="true"]')) c.setAttribute('aria-pressed', 'false');
          chip.setAttribute('aria-pressed', 'true');
          await this.showCitation(citation.page - 1, citation.snippet);
        });
        chips.appendChild(chip);
      }
      item.appendChild(chips);
    }
    const fallback = message.metadata?.fallback;
    if (fallback) {
      item.appendChild(h('p', { class: 'hint' }, fallback === 'not_configured'
        ? 'Quoted from the document (no language model on this server).'
        : 'Quoted from the document (the model’s answer could not be used).'));
    }
    this.els.log.appendChild(item);
    item.scrollIntoView({ block: 'nearest' });
  }
}
