// The API as this page uses it: every call goes through `request`, which adds the token (from
// localStorage, in an Authorization header: never in a URL, never logged) and turns error
// answers into readable messages.

import { humanBytes } from './dom.js';

const TOKEN_KEY = 'ocrchat.token';

/** The saved API token, or null. */
export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

/** Saves (or with null forgets) the API token. */
export function setToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the token lasts for this page only.
  }
  memoryToken = value || null;
}

let memoryToken = null;

function authHeaders(extra = {}, withToken = token() || memoryToken) {
  const headers = { ...extra };
  if (withToken) headers.Authorization = `Bearer ${withToken}`;
  return headers;
}

/** An error answer, with a message a person can act on. */
export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Turns a status and JSON error body into a sentence. */
export function readableError(status, body) {
  const said = body && typeof body.error === 'string' ? body.error : '';
  switch (status) {
    case 0:
      return 'Could not reach the server. Check the connection and try again.';
    case 400:
      if (/too large/i.test(said)) return capitalise(said) + '.';
      return said ? `The server refused this: ${said}.` : 'The server refused this request.';
    case 401:
      return 'Your API token was not accepted (unknown or revoked). Update it or forget it to continue anonymously.';
    case 402: {
      // The numbers, unless the server's sentence already says them.
      const known = body && Number.isFinite(body.used) && Number.isFinite(body.cap);
      const numbers = known && !said.includes(`${body.used} of ${body.cap}`)
        ? ` (${body.used} of ${body.cap} used)` : '';
      return `${capitalise(said || 'Out of credits')}${numbers}. Nothing was charged.`;
    }
    case 404:
      return 'Not found: it was deleted, or it belongs to someone else.';
    case 409:
      return said ? capitalise(said) + '.' : 'Not ready yet.';
    case 413:
      return `File too large: the limit is ${humanBytes(maxUploadBytes())}.`;
    case 429:
      return said ? capitalise(said) : 'Too many requests: wait a moment and try again.';
    default:
      if (status >= 500) return `The server had a problem (${status}). Try again in a moment.`;
      return said ? capitalise(said) : `Request failed (${status}).`;
  }
}

function capitalise(text) {
  const t = String(text).trim().replace(/\.$/, '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** The upload limit this server announced in the page. */
export function maxUploadBytes() {
  const meta = document.querySelector('meta[name="ocrchat-max-upload-bytes"]');
  const value = Number(meta && meta.content);
  return Number.isFinite(value) && value > 0 ? value : 50 * 1024 * 1024;
}

/** Fetches an API path; resolves with the parsed JSON (or the Response when `raw`). */
export async function request(path, { method = 'GET', body, headers = {}, raw = false, signal, withToken } = {}) {
  let response;
  const init = { method, headers: authHeaders(headers, withToken), signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, null, readableError(0, null));
  }
  if (!response.ok && response.status !== 304) {
    let errorBody = null;
    try {
      errorBody = await response.json();
    } catch {
      errorBody = null;
    }
    throw new ApiError(response.status, errorBody, readableError(response.status, errorBody));
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/**
 * Submits one file. XMLHttpRequest rather than fetch for its upload progress events.
 * Resolves with the job object; rejects with an ApiError.
 */
export function submit(file, fields, onUploadProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null && value !== '') form.append(key, value);
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/ocr/');
    const headers = authHeaders();
    for (const [key, value] of Object.entries(headers)) xhr.setRequestHeader(key, value);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onUploadProgress) onUploadProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else reject(new ApiError(xhr.status, body, readableError(xhr.status, body)));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, null, readableError(0, null))));
    xhr.send(form);
  });
}

/**
 * Follows a job's progress stream (Server-Sent Events) until `done` or `failed`. Read with
 * fetch, so the token travels in a header (EventSource cannot send one); a dropped connection
 * is resumed with `Last-Event-ID`, so no step is missed or repeated.
 */
export async function followJob(uuid, onEvent, { signal } = {}) {
  let lastId = null;
  let failures = 0;
  for (;;) {
    const headers = { Accept: 'text/event-stream' };
    if (lastId !== null) headers['Last-Event-ID'] = String(lastId);
    try {
      const response = await request(`/api/v1/ocr/${uuid}/events/stream/`, { headers, raw: true, signal });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const chunk = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          const event = parseEvent(chunk);
          if (!event) continue;
          failures = 0;
          if (event.id !== null) lastId = event.id;
          onEvent(event.data);
          if (event.data.status === 'done' || event.data.status === 'failed' || event.type === 'erased') {
            return event.data;
          }
        }
      }
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
    }
    // The stream ended early (a proxy, a restart, the network): resume after the last event.
    failures += 1;
    if (failures > 8) throw new ApiError(0, null, 'Lost the progress stream; reload to check the job.');
    await sleep(Math.min(500 * 2 ** failures, 8000), signal);
  }
}

function parseEvent(chunk) {
  let data = '';
  let id = null;
  let type = 'message';
  for (const line of chunk.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data += (data ? '\n' : '') + value;
    else if (field === 'id') id = value;
    else if (field === 'event') type = value;
  }
  if (!data) return null;
  try {
    return { id, type, data: JSON.parse(data) };
  } catch {
    return null;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
  });
}

/** Fetches a page image with the token and returns an object URL for it (revoke when done). */
export async function pageImageUrl(uuid, index, signal) {
  const response = await request(`/api/v1/ocr/${uuid}/pages/${index}/image/`, { raw: true, signal });
  return URL.createObjectURL(await response.blob());
}

/**
 * Downloads a job in a format: fetched with the token, then saved under the name the server
 * gives (the upload's name with the format's extension).
 */
export async function download(uuid, format, fallbackName) {
  const response = await request(`/api/v1/ocr/${uuid}/download/?format=${encodeURIComponent(format)}`, { raw: true });
  const name = fileNameFrom(response.headers.get('Content-Disposition')) || `${fallbackName}.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

function fileNameFrom(disposition) {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(disposition) || /filename\s*=\s*([^;]+)/i.exec(disposition);
  return plain ? plain[1].trim() : null;
}
