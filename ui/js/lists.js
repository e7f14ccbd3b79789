// The searchable, filterable, sortable and paged lists of models and versions.
import { get } from './api.js';
import { alertBox, clear, field, h, link, select, spinner, stateBadge, timeCell } from './dom.js';
import { FILTER_OPS, conditionText, containsPattern, quoteString } from './props.js';

const SORTS = [['LAST_UPDATE_TIME', 'Last updated'], ['CREATE_TIME', 'Created'], ['ID', 'ID']];
const ORDERS = [['DESC', 'Newest first'], ['ASC', 'Oldest first']];
const PAGE_SIZES = [['10', '10'], ['25', '25'], ['50', '50'], ['100', '100']];

const KINDS = {
  models: { noun: 'models', personField: 'owner', personLabel: 'Owner' },
  versions: { noun: 'versions', personField: 'author', personLabel: 'Author' },
};

// List state <-> URL query (so a reload or a shared link shows the same list).
export function stateFromQuery(search) {
  const q = new URLSearchParams(search);
  return {
    q: q.get('q') || '',
    state: q.get('state') || '',
    person: q.get('person') || '',
    props: q.getAll('prop').map((p) => {
      const [name = '', op = '=', ...rest] = p.split('\u001f');
      return { name, op, value: rest.join('\u001f') };
    }),
    filter: q.get('filter') || '',
    orderBy: q.get('orderBy') || 'LAST_UPDATE_TIME',
    sortOrder: q.get('sortOrder') || 'DESC',
    pageSize: q.get('pageSize') || '25',
    token: q.get('page') || '',
  };
}

export function stateToQuery(state) {
  const q = new URLSearchParams();
  if (state.q) q.set('q', state.q);
  if (state.state) q.set('state', state.state);
  if (state.person) q.set('person', state.person);
  for (const p of state.props) if (p.name) q.append('prop', [p.name, p.op, p.value].join('\u001f'));
  if (state.filter) q.set('filter', state.filter);
  if (state.orderBy !== 'LAST_UPDATE_TIME') q.set('orderBy', state.orderBy);
  if (state.sortOrder !== 'DESC') q.set('sortOrder', state.sortOrder);
  if (state.pageSize !== '25') q.set('pageSize', state.pageSize);
  if (state.token) q.set('page', state.token);
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function filterQuery(state, kind) {
  const parts = [];
  if (state.q.trim()) parts.push(`name ILIKE ${containsPattern(state.q.trim())}`);
  if (state.state) parts.push(`state = ${quoteString(state.state)}`);
  if (state.person.trim()) parts.push(`${KINDS[kind].personField} = ${quoteString(state.person.trim())}`);
  for (const p of state.props) {
    if (p.name.trim() && p.value.trim() !== '') parts.push(conditionText({ ...p, name: p.name.trim() }));
  }
  if (state.filter.trim()) parts.push(`(${state.filter.trim()})`);
  return parts.join(' AND ');
}

// Renders a list into `container`. `path` is the API list path; `onState(state)` is called when
// the person changes the list; `selection` (a Set of version ids) enables compare checkboxes.
export function listView({ container, kind, path, state, onState, selection, onSelection, showModel = true }) {
  const meta = KINDS[kind];
  const previousTokens = [];
  let sequence = 0;
  let debounce = 0;

  const searchInput = h('input', { type: 'search', value: state.q, placeholder: `Search ${meta.noun} by name`, autocomplete: 'off' });
  const stateSelect = select([['', 'Any state'], ['LIVE', 'Live'], ['ARCHIVED', 'Archived']], state.state);
  const personInput = h('input', { type: 'text', value: state.person, placeholder: 'anyone', autocomplete: 'off' });
  const sortSelect = select(SORTS, state.orderBy);
  const orderSelect = select(ORDERS, state.sortOrder);
  const rawFilter = h('input', { type: 'text', value: state.filter, placeholder: 'e.g. accuracy > 0.9 OR framework = "onnx"', autocomplete: 'off', spellcheck: 'false', class: 'mono' });
  const propRows = h('div', { class: 'filter-rows' });
  const preview = h('code', { class: 'query-preview' });
  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'false' });
  const pager = h('nav', { class: 'pager', 'aria-label': `Pages of ${meta.noun}` });
  const filterCount = h('span', { class: 'count' });

  function addPropRow(p = { name: '', op: '=', value: '' }, focus = false) {
    const name = h('input', { type: 'text', value: p.name, 'aria-label': 'Custom property name', placeholder: 'property', class: 'prop-name', autocomplete: 'off' });
    const op = select(FILTER_OPS, p.op, { 'aria-label': 'Comparison' });
    const value = h('input', { type: 'text', value: p.value, 'aria-label': 'Value', placeholder: 'value', class: 'prop-value', autocomplete: 'off' });
    const row = h('div', { class: 'filter-row' }, name, op, value,
      h('button', { type: 'button', class: 'button icon', 'aria-label': 'Remove this filter', title: 'Remove this filter', onclick: () => { row.remove(); changed(true); addButton.focus(); } }, '×'));
    row.read = () => ({ name: name.value, op: op.value, value: value.value });
    for (const el of [name, value]) el.addEventListener('input', () => changed(false));
    op.addEventListener('change', () => changed(true));
    propRows.append(row);
    if (focus) name.focus();
  }
  const addButton = h('button', { type: 'button', class: 'button secondary small', onclick: () => addPropRow(undefined, true) }, '+ Add property filter');
  for (const p of state.props) addPropRow(p);

  function readControls() {
    state.q = searchInput.value;
    state.state = stateSelect.value;
    state.person = personInput.value;
    state.orderBy = sortSelect.value;
    state.sortOrder = orderSelect.value;
    state.filter = rawFilter.value;
    state.props = [...propRows.children].map((row) => row.read());
  }

  function changed(now) {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      readControls();
      state.token = '';
      previousTokens.length = 0;
      onState?.(state);
      load();
    }, now ? 0 : 300);
  }
  searchInput.addEventListener('input', () => changed(false));
  personInput.addEventListener('input', () => changed(false));
  rawFilter.addEventListener('input', () => changed(false));
  for (const el of [stateSelect, sortSelect, orderSelect]) el.addEventListener('change', () => changed(true));

  const activeFilters = state.props.length + (state.filter ? 1 : 0);
  const pageSizeSelect = select(PAGE_SIZES, state.pageSize, { 'aria-label': 'Rows per page' });
  pageSizeSelect.addEventListener('change', () => { state.pageSize = pageSizeSelect.value; changed(true); });

  clear(container,
    h('form', { class: 'toolbar', role: 'search', 'aria-label': `Find ${meta.noun}`, onsubmit: (e) => { e.preventDefault(); changed(true); } },
      field('Name', searchInput),
      field('State', stateSelect),
      field(meta.personLabel, personInput),
      field('Sort by', sortSelect),
      field('Order', orderSelect)),
    h('details', { class: 'filters', open: activeFilters > 0 },
      h('summary', {}, 'Custom property filters ', filterCount),
      propRows, addButton,
      field('Filter query', rawFilter, 'Any filterQuery expression; it is combined with the fields above by AND.'),
      h('p', { class: 'hint' }, 'Sent as: ', preview)),
    results, pager);

  async function load() {
    const mine = ++sequence;
    const fq = filterQuery(state, kind);
    preview.textContent = fq || '(no filter)';
    const count = state.props.filter((p) => p.name.trim()).length + (state.filter.trim() ? 1 : 0);
    filterCount.textContent = count ? `(${count})` : '';
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild) results.append(spinner());
    try {
      const page = await get(path, { filterQuery: fq, orderBy: state.orderBy, sortOrder: state.sortOrder, pageSize: state.pageSize, nextPageToken: state.token });
      const items = page.items || [];
      let modelNames = {};
      if (kind === 'versions' && showModel && items.length) modelNames = await namesOf(items.map((v) => v.registeredModelId));
      if (mine !== sequence) return;
      clear(results, items.length ? table(items, modelNames) : h('p', { class: 'empty' }, fq ? `No ${meta.noun} match these filters.` : `No ${meta.noun} yet.`));
      renderPager(page, items.length);
    } catch (error) {
      if (mine !== sequence) return;
      if (error.status === 400 && fq) error.title = 'The server could not use this filter.';
      clear(results, alertBox(error));
      clear(pager);
    } finally {
      if (mine === sequence) results.setAttribute('aria-busy', 'false');
    }
  }

  function renderPager(page, shown) {
    const pageNumber = previousTokens.length + 1;
    const first = (pageNumber - 1) * Number(state.pageSize) + 1;
    const go = (token, back) => {
      if (back) state.token = previousTokens.pop() ?? '';
      else { previousTokens.push(state.token); state.token = token; }
      onState?.(state);
      load().then(() => results.querySelector('table')?.focus());
    };
    clear(pager,
      h('button', { type: 'button', class: 'button secondary', disabled: !state.token, onclick: () => go('', true) }, '← Previous'),
      h('span', { class: 'page-info' }, shown ? `Page ${pageNumber} · ${first}–${first + shown - 1}` : `Page ${pageNumber}`),
      h('button', { type: 'button', class: 'button secondary', disabled: !page.nextPageToken, onclick: () => go(page.nextPageToken, false) }, 'Next →'),
      h('label', { class: 'page-size' }, 'Rows ', pageSizeSelect));
  }

  function table(items, modelNames) {
    const caption = h('caption', { class: 'visually-hidden' }, `${meta.noun}, sorted by ${SORTS.find(([v]) => v === state.orderBy)[1].toLowerCase()}`);
    if (kind === 'models') {
      return h('div', { class: 'table-wrap' }, h('table', { class: 'list', tabindex: -1 }, caption,
        h('thead', {}, h('tr', {}, ['Name', 'Owner', 'State', 'Description', 'Updated'].map((t) => h('th', { scope: 'col', class: t === 'Description' ? 'desc' : null }, t)))),
        h('tbody', {}, items.map((m) => h('tr', {},
          h('th', { scope: 'row' }, link(`/models/${m.id}`, m.name)),
          h('td', {}, m.owner || h('span', { class: 'muted' }, '—')),
          h('td', {}, stateBadge(m.state)),
          h('td', { class: 'desc' }, m.description || ''),
          h('td', { class: 'nowrap' }, timeCell(m.lastUpdateTimeSinceEpoch)))))));
    }
    const heads = [selection ? 'Compare' : null, 'Version', showModel ? 'Model' : null, 'Author', 'State', 'Description', 'Updated'].filter(Boolean);
    return h('div', { class: 'table-wrap' }, h('table', { class: 'list', tabindex: -1 }, caption,
      h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col', class: t === 'Description' ? 'desc' : null }, t)))),
      h('tbody', {}, items.map((v) => h('tr', {},
        selection ? h('td', {}, h('input', {
          type: 'checkbox', checked: selection.has(v.id), 'aria-label': `Select ${v.name} to compare`,
          onchange: (e) => { if (e.target.checked) selection.add(v.id); else selection.delete(v.id); onSelection?.(); },
        })) : null,
        h('th', { scope: 'row' }, link(`/models/${v.registeredModelId}/versions/${v.id}`, v.name)),
        showModel ? h('td', {}, link(`/models/${v.registeredModelId}`, modelNames[v.registeredModelId] || `#${v.registeredModelId}`)) : null,
        h('td', {}, v.author || h('span', { class: 'muted' }, '—')),
        h('td', {}, stateBadge(v.state)),
        h('td', { class: 'desc' }, v.description || ''),
        h('td', { class: 'nowrap' }, timeCell(v.lastUpdateTimeSinceEpoch)))))));
  }

  load();
  return { reload: load };
}

// Model names for a set of ids, in one request.
export async function namesOf(ids) {
  const unique = [...new Set(ids.filter(Boolean))];
  if (!unique.length) return {};
  const page = await get('/registered_models', { filterQuery: `id IN (${unique.map(Number).join(', ')})`, pageSize: unique.length });
  return Object.fromEntries((page.items || []).map((m) => [m.id, m.name]));
}
