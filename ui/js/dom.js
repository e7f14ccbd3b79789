// Small DOM helpers. Text is always set through textContent, never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// An in-app link; app.js routes clicks on [data-link] without a page load.
export const link = (href, ...children) => h('a', { href, 'data-link': true }, ...children);

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

// A labelled form field: label, control, optional hint and an error slot.
export function field(label, control, hint) {
  control.id ||= nextId('f');
  const error = h('p', { class: 'field-error', id: `${control.id}-error`, hidden: true });
  const describedBy = [error.id];
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
    describedBy.unshift(hintEl.id);
  }
  control.setAttribute('aria-describedby', describedBy.join(' '));
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl, error);
  wrap.setError = (message) => {
    error.textContent = message || '';
    error.hidden = !message;
    setInvalid(control, Boolean(message));
  };
  return wrap;
}

export function setInvalid(control, invalid) {
  if (invalid) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

export function announce(message) {
  const el = document.getElementById('announcer');
  el.textContent = '';
  setTimeout(() => { el.textContent = message; }, 30);
}

export function formatTime(ms) {
  if (!ms) return '';
  const date = new Date(Number(ms));
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function timeCell(ms) {
  return ms ? h('time', { datetime: new Date(Number(ms)).toISOString() }, formatTime(ms)) : '';
}

export function stateBadge(state) {
  const s = state || 'UNKNOWN';
  return h('span', { class: `badge badge-${s.toLowerCase()}` }, s === 'LIVE' ? 'Live' : s === 'ARCHIVED' ? 'Archived' : s);
}

export function alertBox(error) {
  return h('div', { class: 'alert', role: 'alert' }, h('strong', {}, error.title || 'Something went wrong'), ' ', error.message || String(error));
}

export function spinner(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

// A modal confirmation; resolves true when confirmed.
export function confirmDialog({ title, body, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('form', { method: 'dialog' },
        h('h2', { id: titleId }, title),
        h('p', {}, body),
        h('div', { class: 'actions' },
          h('button', { value: 'cancel', class: 'button secondary', autofocus: true }, 'Cancel'),
          h('button', { value: 'ok', class: `button ${danger ? 'danger' : 'primary'}` }, confirmLabel))));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(dialog.returnValue === 'ok'); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function toast(message) {
  const el = h('div', { class: 'toast', role: 'status' }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}
