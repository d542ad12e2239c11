// A small Markdown renderer for results: headings, paragraphs (line breaks kept), lists, block
// quotes, code blocks, rules and pipe tables, with bold, italics, inline code and http(s) links.
// It builds DOM nodes and puts all text in as text nodes, so a document's content can never
// become markup or script here, whatever it contains.

import { h } from './dom.js';

/** Renders Markdown into a DocumentFragment. */
export function renderMarkdown(source) {
  const out = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, '\n').replace(/\f/g, '\n\n---\n\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i++]);
      i += 1;
      out.appendChild(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.appendChild(h(`h${Math.min(heading[1].length + 1, 6)}`, {}, inline(heading[2])));
      i += 1;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.appendChild(h('hr'));
      i += 1;
      continue;
    }
    if (isTableStart(lines, i)) {
      const header = cells(lines[i]);
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) rows.push(cells(lines[i++]));
      out.appendChild(h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, header.map((c) => h('th', { scope: 'col' }, inline(c))))),
        h('tbody', {}, rows.map((row) => h('tr', {}, header.map((_, k) => h('td', {}, inline(row[k] || '')))))),
      )));
      continue;
    }
    const item = /^\s*([-*+]|\d{1,9}[.)])\s+/;
    if (item.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? 'ol' : 'ul');
      while (i < lines.length && item.test(lines[i])) {
        list.appendChild(h('li', {}, inline(lines[i].replace(item, ''))));
        i += 1;
      }
      out.appendChild(list);
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*>\s?/, ''));
      out.appendChild(h('blockquote', {}, renderMarkdown(quoted.join('\n'))));
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines, i)) paragraph.push(lines[i++].trim());
    if (!paragraph.length) { paragraph.push(lines[i++].trim()); }
    const p = h('p');
    paragraph.forEach((text, k) => {
      if (k) p.appendChild(h('br'));
      p.appendChild(inline(text));
    });
    out.appendChild(p);
  }
  return out;
}

function startsBlock(lines, i) {
  const line = lines[i];
  return /^\s{0,3}#{1,6}\s/.test(line) || /^\s*(```|~~~)/.test(line) || /^\s*([-*+]|\d{1,9}[.)])\s+/.test(line)
    || /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line) || /^\s*>/.test(line) || isTableStart(lines, i);
}

function isTableStart(lines, i) {
  return lines[i].includes('|') && i + 1 < lines.length && /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(lines[i + 1]);
}

function cells(line) {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  return t.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Inline spans of one line of text. */
function inline(text) {
  const out = document.createDocumentFragment();
  const pattern = /\\([\\`*_{}[\]()#+\-.!|>~])|`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s][^*]*?)\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(text))) {
    if (match.index > last) out.appendChild(document.createTextNode(text.slice(last, match.index)));
    if (match[1] !== undefined) out.appendChild(document.createTextNode(match[1]));
    else if (match[2] !== undefined) out.appendChild(h('code', {}, match[2]));
    else if (match[3] !== undefined || match[4] !== undefined) out.appendChild(h('strong', {}, inline(match[3] ?? match[4])));
    else if (match[5] !== undefined) out.appendChild(h('em', {}, inline(match[5])));
    else if (match[6] !== undefined) out.appendChild(h('a', { href: match[7], rel: 'noopener noreferrer nofollow', target: '_blank' }, match[6]));
    last = pattern.lastIndex;
  }
  if (last < text.length) out.appendChild(document.createTextNode(text.slice(last)));
  return out;
}
