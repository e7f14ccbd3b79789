// The REST API client: one place for the base path, the bearer token and errors in words.
import { h, nextId } from './dom.js';

export const API_BASE = '/api/model_registry/v1';
const TOKEN_KEY = 'model-registry.token';

export class ApiError extends Error {
  constructor(title, message, status) {
    super(message);
    this.title = title;
    this.status = status;
  }
}

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) || '';
export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('tokenchange'));
}

const TITLES = {
  400: 'The request was not accepted.',
  401: 'Sign-in required.',
  403: 'Not allowed.',
  404: 'Not found.',
  405: 'Not supported by this server.',
  409: 'Conflict.',
  413: 'Too large.',
  422: 'Missing information.',
  429: 'Too many requests.',
};

async function toError(response) {
  let detail = '';
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      detail = body.message || body.error || text;
    } catch {
      detail = text;
    }
  } catch { /* no body */ }
  detail = String(detail || response.statusText || '').trim();
  if (detail) detail = detail.charAt(0).toUpperCase() + detail.slice(1);
  const title = TITLES[response.status] ||
    (response.status >= 500 ? 'The server failed to answer.' : `Unexpected answer (HTTP ${response.status}).`);
  return new ApiError(title, detail ? `${detail} (HTTP ${response.status})` : `HTTP ${response.status}`, response.status);
}

// One token prompt at a time; concurrent 401s wait for the same answer.
let pendingPrompt = null;
function askForToken(rejected) {
  pendingPrompt ||= new Promise((resolve) => {
    const titleId = nextId('dlg');
    const input = h('input', { type: 'password', id: nextId('token'), autocomplete: 'off', required: true, spellcheck: 'false' });
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('form', { method: 'dialog' },
        h('h2', { id: titleId }, 'Sign in to the model registry'),
        h('p', {}, rejected
          ? 'The server did not accept the token. Paste a valid access token.'
          : 'This server requires authentication. Paste an access token; it is kept for this browser tab only.'),
        h('div', { class: 'field' }, h('label', { for: input.id }, 'Access token'), input),
        h('div', { class: 'actions' },
          h('button', { value: 'cancel', class: 'button secondary', formnovalidate: true }, 'Cancel'),
          h('button', { value: 'ok', class: 'button primary' }, 'Sign in'))));
    dialog.addEventListener('close', () => {
      dialog.remove();
      pendingPrompt = null;
      const token = input.value.trim();
      resolve(dialog.returnValue === 'ok' && token ? token : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return pendingPrompt;
}

export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: 'application/json' };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('Cannot reach the server.', 'Check that the model registry is running and try again.', 0);
    }
    if (response.status === 401 && attempt < 5) {
      const next = await askForToken(Boolean(token));
      if (next === null) throw new ApiError('Sign-in required.', 'The server needs an access token to show this.', 401);
      setToken(next);
      continue;
    }
    if (!response.ok) throw await toError(response);
    if (response.status === 204) return null;
    return response.json();
  }
}

export const get = (path, params) => request('GET', params ? `${path}?${query(params)}` : path);
export const post = (path, body) => request('POST', path, body);
export const patch = (path, body) => request('PATCH', path, body);

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, value);
  }
  return q.toString();
}

// Every item of a list (bounded: stops after `limit` items).
export async function getAll(path, params = {}, limit = 2000) {
  const items = [];
  let token = '';
  do {
    const page = await get(path, { ...params, pageSize: 200, nextPageToken: token });
    items.push(...(page.items || []));
    token = page.nextPageToken || '';
  } while (token && items.length < limit);
  return items;
}
