// Custom properties (typed MetadataValues): reading, showing, editing, and filterQuery text.
import { h, nextId, select, setInvalid } from './dom.js';

export const TYPES = [
  ['MetadataStringValue', 'Text'],
  ['MetadataIntValue', 'Integer'],
  ['MetadataDoubleValue', 'Number'],
  ['MetadataBoolValue', 'Boolean'],
  ['MetadataStructValue', 'JSON object'],
];
const TYPE_NAMES = Object.fromEntries(TYPES);

function decodeStruct(text) {
  try { return JSON.parse(text); } catch { /* older servers send base64 */ }
  try { return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)))); } catch { return text; }
}

function encodeBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

// {type, value} where value is a JS string, number, boolean or object.
export function readValue(meta) {
  switch (meta?.metadataType) {
    case 'MetadataIntValue': return { type: meta.metadataType, value: Number(meta.int_value) };
    case 'MetadataDoubleValue': return { type: meta.metadataType, value: Number(meta.double_value) };
    case 'MetadataBoolValue': return { type: meta.metadataType, value: Boolean(meta.bool_value) };
    case 'MetadataStructValue': return { type: meta.metadataType, value: decodeStruct(meta.struct_value) };
    case 'MetadataStringValue': return { type: meta.metadataType, value: meta.string_value ?? '' };
    default: return { type: meta?.metadataType || 'unknown', value: JSON.stringify(meta) };
  }
}

export const typeName = (type) => TYPE_NAMES[type] || type;
export const isNumeric = (type) => type === 'MetadataIntValue' || type === 'MetadataDoubleValue';

export function valueText({ type, value }) {
  if (type === 'MetadataStructValue') return typeof value === 'string' ? value : JSON.stringify(value);
  if (type === 'MetadataBoolValue') return value ? 'true' : 'false';
  return String(value);
}

export function valueView(prop) {
  const { type, value } = prop;
  if (type === 'MetadataStructValue') {
    return h('pre', { class: 'struct' }, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  }
  if (type === 'MetadataBoolValue') return h('span', { class: `bool bool-${value}` }, value ? 'true' : 'false');
  if (isNumeric(type)) return h('span', { class: 'num' }, formatNumber(value));
  if (value === '') return h('span', { class: 'muted' }, '(empty)');
  return h('span', { class: 'text-value' }, value);
}

export function formatNumber(n) {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(10)));
}

// A read-only table of an entity's custom properties.
export function propertiesTable(customProperties) {
  const names = Object.keys(customProperties || {}).sort((a, b) => a.localeCompare(b));
  if (!names.length) return h('p', { class: 'muted' }, 'No custom properties.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'props' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Property'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Value'))),
    h('tbody', {}, names.map((name) => {
      const prop = readValue(customProperties[name]);
      return h('tr', {}, h('th', { scope: 'row' }, name), h('td', { class: 'muted' }, typeName(prop.type)), h('td', {}, valueView(prop)));
    }))));
}

// ---- editing

const INT_PATTERN = /^[+-]?\d{1,9}$/;

// Checks one edited value; returns [MetadataValue, null] or [null, error text].
export function encodeValue(type, raw) {
  const text = String(raw ?? '');
  switch (type) {
    case 'MetadataStringValue': return [{ metadataType: type, string_value: text }, null];
    case 'MetadataIntValue':
      if (!INT_PATTERN.test(text.trim())) return [null, 'Enter a whole number of at most 9 digits.'];
      return [{ metadataType: type, int_value: String(Number(text.trim())) }, null];
    case 'MetadataDoubleValue': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) return [null, 'Enter a number, e.g. 0.95 or 1e-3.'];
      return [{ metadataType: type, double_value: n }, null];
    }
    case 'MetadataBoolValue':
      if (text !== 'true' && text !== 'false') return [null, 'Choose true or false.'];
      return [{ metadataType: type, bool_value: text === 'true' }, null];
    case 'MetadataStructValue': {
      let parsed;
      try { parsed = JSON.parse(text); } catch { return [null, 'Enter valid JSON, e.g. {"layers": 3}.']; }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [null, 'Enter a JSON object, in braces.'];
      return [{ metadataType: type, struct_value: encodeBase64(JSON.stringify(parsed)) }, null];
    }
    default: return [null, 'Unknown type.'];
  }
}

// An editor for a set of custom properties; `editor.collect()` returns the map or null (and
// shows errors) when a row is invalid.
export function propertiesEditor(customProperties = {}) {
  const rows = h('div', { class: 'prop-rows' });
  const legendId = nextId('props');
  const addButton = h('button', { type: 'button', class: 'button secondary small', onclick: () => addRow('', 'MetadataStringValue', '', true) }, '+ Add property');
  const root = h('fieldset', { class: 'props-editor', 'aria-labelledby': legendId },
    h('legend', { id: legendId }, 'Custom properties'),
    rows, addButton);

  function addRow(name, type, valueText, focus = false) {
    const nameInput = h('input', { type: 'text', value: name, 'aria-label': 'Property name', placeholder: 'name', class: 'prop-name', maxlength: 255 });
    const typeSelect = select(TYPES, type, { 'aria-label': 'Property type', class: 'prop-type' });
    let valueInput = makeValueInput(type, valueText);
    const error = h('p', { class: 'field-error', hidden: true });
    const row = h('div', { class: 'prop-row' }, nameInput, typeSelect, valueInput,
      h('button', { type: 'button', class: 'button icon', 'aria-label': 'Remove property', title: 'Remove property', onclick: () => { row.remove(); addButton.focus(); } }, '×'),
      error);
    typeSelect.addEventListener('change', () => {
      const previous = valueInput.value;
      const next = makeValueInput(typeSelect.value, typeSelect.value === 'MetadataBoolValue' ? 'true' : previous);
      valueInput.replaceWith(next);
      valueInput = next;
    });
    row.read = () => ({ name: nameInput.value.trim(), type: typeSelect.value, value: valueInput.value, nameInput, valueInput });
    row.setError = (message) => { error.textContent = message || ''; error.hidden = !message; };
    rows.append(row);
    if (focus) nameInput.focus();
  }

  function makeValueInput(type, text) {
    if (type === 'MetadataBoolValue') return select([['true', 'true'], ['false', 'false']], text === 'false' ? 'false' : 'true', { 'aria-label': 'Property value', class: 'prop-value' });
    if (type === 'MetadataStructValue') return h('textarea', { 'aria-label': 'Property value (JSON object)', class: 'prop-value', rows: 2, value: text, placeholder: '{"key": "value"}' });
    return h('input', { type: 'text', 'aria-label': 'Property value', class: 'prop-value', value: text, inputmode: isNumeric(type) ? 'decimal' : undefined });
  }

  for (const name of Object.keys(customProperties).sort()) {
    const prop = readValue(customProperties[name]);
    const text = prop.type === 'MetadataStructValue' && typeof prop.value !== 'string' ? JSON.stringify(prop.value) : valueText(prop);
    addRow(name, prop.type, text);
  }

  root.collect = () => {
    const out = {};
    let firstBad = null;
    for (const row of rows.children) {
      const { name, type, value, nameInput, valueInput } = row.read();
      let message = null;
      let encoded = null;
      if (!name) message = 'Give the property a name.';
      else if (Object.hasOwn(out, name)) message = `"${name}" is used twice.`;
      else [encoded, message] = encodeValue(type, value);
      row.setError(message);
      setInvalid(nameInput, Boolean(message && !name));
      setInvalid(valueInput, Boolean(message && name));
      if (message) firstBad ||= name ? valueInput : nameInput;
      else out[name] = encoded;
    }
    if (firstBad) { firstBad.focus(); return null; }
    return out;
  };
  return root;
}

// ---- filterQuery text

export function quoteString(text) {
  return `"${String(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// LIKE pattern for "contains": the user's %, _ and \ match themselves.
export function containsPattern(text) {
  return quoteString(`%${String(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
}

export function propertyName(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/\\/g, '\\\\')}\``;
}

// A literal from what a person typed: numbers and true/false keep their type, "quoted" forces text.
export function literal(text) {
  const t = String(text).trim();
  if (/^[+-]?\d+$/.test(t) || /^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return t;
  if (t === 'true' || t === 'false') return t;
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return quoteString(t.slice(1, -1));
  return quoteString(t);
}

export const FILTER_OPS = [
  ['=', '='], ['!=', '≠'], ['>', '>'], ['>=', '≥'], ['<', '<'], ['<=', '≤'], ['contains', 'contains'],
];

export function conditionText({ name, op, value }) {
  if (op === 'contains') return `${propertyName(name)} ILIKE ${containsPattern(value)}`;
  return `${propertyName(name)} ${op} ${literal(value)}`;
}
