// The read pages: lists, a model, a version, a comparison, deployments.
import { get, getAll, patch } from './api.js';
import { alertBox, announce, clear, confirmDialog, formatTime, h, link, spinner, stateBadge, timeCell, toast } from './dom.js';
import { editDialog } from './forms.js';
import { listView, namesOf, stateFromQuery, stateToQuery } from './lists.js';
import { formatNumber, isNumeric, propertiesTable, readValue, typeName, valueText, valueView } from './props.js';

function heading(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, text, ...extra));
}

function crumbs(...parts) {
  const items = [];
  parts.forEach((part, i) => { if (i) items.push(' / '); items.push(part); });
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, items);
}

function details(rows) {
  return h('dl', { class: 'details' }, rows.filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

// ---- lists

export function listPage(main, kind, { search, replaceUrl, navigate }) {
  const isModels = kind === 'models';
  document.title = `${isModels ? 'Models' : 'Versions'} · Model Registry`;
  const state = stateFromQuery(search);
  const selection = new Set();
  const compareButton = h('button', { type: 'button', class: 'button secondary', disabled: true, onclick: () => navigate(`/compare?versions=${[...selection].join(',')}`) }, 'Compare selected');
  const updateCompare = () => {
    compareButton.disabled = selection.size < 2;
    compareButton.textContent = selection.size ? `Compare selected (${selection.size})` : 'Compare selected';
  };
  const container = h('div');
  clear(main,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: -1 }, isModels ? 'Models' : 'Versions'),
      h('div', { class: 'head-actions' }, isModels ? link('/models/new', 'Register model') : compareButton)),
    h('p', { class: 'lead' }, isModels ? 'Every registered model. Search by name or filter by state, owner and custom properties.'
      : 'Versions of every model. Filter by custom properties, e.g. accuracy ≥ 0.9, and select two or more to compare.'),
    container);
  main.querySelector('.head-actions a')?.classList.add('button', 'primary');
  listView({
    container, kind, path: isModels ? '/registered_models' : '/model_versions', state,
    onState: (s) => replaceUrl(stateToQuery(s)),
    selection: isModels ? null : selection, onSelection: updateCompare,
  });
}

// ---- one model

async function setState(entity, apiPath, noun, target) {
  const archiving = target === 'ARCHIVED';
  const ok = await confirmDialog({
    title: `${archiving ? 'Archive' : 'Restore'} ${noun} ${entity.name}?`,
    body: archiving
      ? `The ${noun} stays in the registry and can be restored, but it is marked archived and should no longer be used or deployed.`
      : `The ${noun} is marked live again.`,
    confirmLabel: archiving ? 'Archive' : 'Restore',
    danger: archiving,
  });
  if (!ok) return null;
  const updated = await patch(apiPath, { state: target });
  toast(`${noun[0].toUpperCase()}${noun.slice(1)} ${entity.name} ${archiving ? 'archived' : 'restored'}.`);
  return updated;
}

function entityActions(entity, apiPath, noun, rerender) {
  const status = h('div');
  const run = (fn) => async () => {
    clear(status);
    try {
      const updated = await fn();
      if (updated) await rerender();
    } catch (error) {
      clear(status, alertBox(error));
    }
  };
  const archived = entity.state === 'ARCHIVED';
  return [
    h('div', { class: 'head-actions' },
      h('button', { type: 'button', class: 'button secondary', onclick: run(() => editDialog(entity, apiPath, noun)) }, 'Edit'),
      h('button', { type: 'button', class: `button ${archived ? 'secondary' : 'danger-outline'}`, onclick: run(() => setState(entity, apiPath, noun, archived ? 'LIVE' : 'ARCHIVED')) }, archived ? 'Restore' : 'Archive')),
    status,
  ];
}

export async function modelPage(main, id, { navigate }) {
  const model = await get(`/registered_models/${id}`);
  document.title = `${model.name} · Model Registry`;
  const selection = new Set();
  const compareButton = h('button', { type: 'button', class: 'button secondary', disabled: true, onclick: () => navigate(`/compare?versions=${[...selection].join(',')}`) }, 'Compare selected');
  const updateCompare = () => {
    compareButton.disabled = selection.size < 2;
    compareButton.textContent = selection.size ? `Compare selected (${selection.size})` : 'Compare selected';
  };
  const versions = h('div');
  const deployed = h('div', {}, spinner());
  const [actions, status] = entityActions(model, `/registered_models/${model.id}`, 'model', () => modelPage(main, id, { navigate }).then(() => main.querySelector('h1').focus()));
  clear(main,
    crumbs(link('/models', 'Models'), model.name),
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, model.name, ' ', stateBadge(model.state)), actions),
    status,
    model.description ? h('p', { class: 'lead' }, model.description) : h('p', { class: 'lead muted' }, 'No description.'),
    details([['Owner', model.owner || '—'], ['ID', model.id], ['External ID', model.externalId], ['Created', timeCell(model.createTimeSinceEpoch)], ['Updated', timeCell(model.lastUpdateTimeSinceEpoch)]]),
    h('section', { 'aria-labelledby': 'props-h' }, h('h2', { id: 'props-h' }, 'Custom properties'), propertiesTable(model.customProperties)),
    h('section', { 'aria-labelledby': 'versions-h' },
      h('div', { class: 'section-head' }, h('h2', { id: 'versions-h' }, 'Versions'),
        h('div', { class: 'head-actions' }, compareButton, h('a', { href: `/models/${model.id}/versions/new`, 'data-link': true, class: 'button primary' }, 'Register version'))),
      versions),
    h('section', { 'aria-labelledby': 'deployed-h' }, h('h2', { id: 'deployed-h' }, 'Deployments'), deployed));
  listView({ container: versions, kind: 'versions', path: `/registered_models/${model.id}/versions`, state: stateFromQuery(''), selection, onSelection: updateCompare, showModel: false });
  modelDeployments(model).then((view) => clear(deployed, view), (error) => clear(deployed, alertBox(error)));
}

// The inference services of a model and the version each one serves.
async function modelDeployments(model) {
  const [services, environments] = await Promise.all([getAll('/inference_services', {}, 2000), getAll('/serving_environments', {}, 500)]);
  const mine = services.filter((s) => String(s.registeredModelId) === String(model.id));
  if (!mine.length) return h('p', { class: 'muted' }, 'No inference service serves this model.');
  const envNames = Object.fromEntries(environments.map((e) => [e.id, e.name]));
  const ids = [...new Set(mine.map((s) => s.modelVersionId).filter(Boolean))];
  const versions = Object.fromEntries((await Promise.all(ids.map((id) => get(`/model_versions/${id}`).catch(() => null)))).filter(Boolean).map((v) => [v.id, v.name]));
  return servingTable(mine, envNames, (s) => (s.modelVersionId
    ? link(`/models/${model.id}/versions/${s.modelVersionId}`, versions[s.modelVersionId] || `#${s.modelVersionId}`)
    : h('span', { class: 'muted' }, 'latest')), 'Version');
}

// ---- one version

export async function versionPage(main, modelId, versionId, { navigate }) {
  const version = await get(`/model_versions/${versionId}`);
  if (String(version.registeredModelId) !== String(modelId)) {
    navigate(`/models/${version.registeredModelId}/versions/${version.id}`, { replace: true });
    return;
  }
  const [model, artifacts, services, environments, newest] = await Promise.all([
    get(`/registered_models/${modelId}`),
    getAll(`/model_versions/${versionId}/artifacts`, {}, 500),
    getAll('/inference_services', {}, 2000),
    getAll('/serving_environments', {}, 500),
    get(`/registered_models/${modelId}/versions`, { orderBy: 'CREATE_TIME', sortOrder: 'DESC', pageSize: 1 }),
  ]);
  const isLatest = String(newest.items?.[0]?.id) === String(version.id);
  // The version before this one in the server's (create time, id) order: versions created in
  // the same millisecond share a create time, and the id breaks the tie (README, "Timestamps").
  const created = Number(version.createTimeSinceEpoch);
  const previous = (await get(`/registered_models/${modelId}/versions`, {
    filterQuery: `createTimeSinceEpoch < ${created} OR (createTimeSinceEpoch = ${created} AND id < ${Number(version.id)})`,
    orderBy: 'CREATE_TIME', sortOrder: 'DESC', pageSize: 1,
  })).items?.[0];
  const envNames = Object.fromEntries(environments.map((e) => [e.id, e.name]));
  document.title = `${model.name} ${version.name} · Model Registry`;
  const compareLink = previous ? h('a', { href: `/compare?versions=${previous.id},${version.id}`, 'data-link': true, class: 'button secondary' }, `Compare with ${previous.name}`) : null;
  const [actions, status] = entityActions(version, `/model_versions/${version.id}`, 'version', () => versionPage(main, modelId, versionId, { navigate }).then(() => main.querySelector('h1').focus()));
  if (compareLink) actions.prepend(compareLink);
  clear(main,
    crumbs(link('/models', 'Models'), link(`/models/${model.id}`, model.name), version.name),
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, `${model.name} `, h('span', { class: 'version-name' }, version.name), ' ', stateBadge(version.state)), actions),
    status,
    version.description ? h('p', { class: 'lead' }, version.description) : h('p', { class: 'lead muted' }, 'No description.'),
    details([['Author', version.author || '—'], ['Model', link(`/models/${model.id}`, model.name)], ['ID', version.id], ['External ID', version.externalId],
      ['Created', timeCell(version.createTimeSinceEpoch)], ['Updated', timeCell(version.lastUpdateTimeSinceEpoch)]]),
    h('section', { 'aria-labelledby': 'props-h' }, h('h2', { id: 'props-h' }, 'Custom properties'), propertiesTable(version.customProperties)),
    h('section', { 'aria-labelledby': 'artifacts-h' }, h('h2', { id: 'artifacts-h' }, 'Artifacts'), artifactsView(artifacts)),
    h('section', { 'aria-labelledby': 'serving-h' }, h('h2', { id: 'serving-h' }, 'Served by'), servingView(services, model, version, isLatest, envNames)));
}

function artifactsView(artifacts) {
  if (!artifacts.length) return h('p', { class: 'muted' }, 'No artifacts.');
  return h('div', { class: 'cards' }, artifacts.map((a) => h('article', { class: 'card' },
    h('h3', {}, a.name || `Artifact ${a.id}`, ' ', h('span', { class: 'badge' }, a.artifactType || 'artifact')),
    details([
      ['URI', a.uri ? h('code', { class: 'uri' }, a.uri) : '—'],
      ['Format', [a.modelFormatName, a.modelFormatVersion].filter(Boolean).join(' ') || undefined],
      ['Storage key', a.storageKey], ['Storage path', a.storagePath], ['Service account', a.serviceAccountName],
      ['State', a.state], ['Created', timeCell(a.createTimeSinceEpoch)],
    ]),
    Object.keys(a.customProperties || {}).length ? propertiesTable(a.customProperties) : null)));
}

// Services naming this version, and (for the newest version) those that follow the latest.
function servingView(services, model, version, isLatest, envNames) {
  const serving = services.filter((s) => String(s.registeredModelId) === String(model.id) &&
    (String(s.modelVersionId || '') === String(version.id) || (!s.modelVersionId && isLatest)));
  if (!serving.length) return h('p', { class: 'muted' }, 'No inference service serves this version.');
  return servingTable(serving, envNames, (s) => (s.modelVersionId ? 'this version' : 'the latest version'), 'Serves');
}

function servingTable(services, envNames, servesCell, servesLabel) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['Inference service', 'Environment', servesLabel, 'Desired state', 'Runtime'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, services.map((s) => h('tr', {},
      h('th', { scope: 'row' }, s.name),
      h('td', {}, link(`/deployments#env-${s.servingEnvironmentId}`, envNames[s.servingEnvironmentId] || `Environment ${s.servingEnvironmentId}`)),
      h('td', {}, servesCell(s)),
      h('td', {}, s.desiredState ? stateBadge(s.desiredState) : '—'),
      h('td', {}, s.runtime || '—'))))));
}

// ---- compare

export async function comparePage(main, search) {
  const ids = [...new Set((new URLSearchParams(search).get('versions') || '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)))];
  document.title = 'Compare versions · Model Registry';
  if (ids.length < 2) {
    clear(main, heading('Compare versions'), h('p', { class: 'lead' }, 'Select two or more versions on a model page or in the versions list, then choose "Compare selected".'));
    return;
  }
  const versions = await Promise.all(ids.map((id) => get(`/model_versions/${id}`)));
  const [names, artifacts] = await Promise.all([
    namesOf(versions.map((v) => v.registeredModelId)),
    Promise.all(versions.map((v) => getAll(`/model_versions/${v.id}/artifacts`, {}, 50))),
  ]);
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff' });
  const rows = [];
  const row = (label, cells, { numeric = false, group } = {}) => rows.push({ label, cells, numeric, group });
  const text = (v) => (v === undefined || v === null ? '' : String(v));

  row('Model', versions.map((v) => ({ key: text(v.registeredModelId), view: link(`/models/${v.registeredModelId}`, names[v.registeredModelId] || `#${v.registeredModelId}`) })), { group: 'Version' });
  row('State', versions.map((v) => ({ key: v.state, view: stateBadge(v.state) })), { group: 'Version' });
  row('Author', versions.map((v) => ({ key: text(v.author), view: v.author || '—' })), { group: 'Version' });
  row('Description', versions.map((v) => ({ key: text(v.description), view: v.description || '—' })), { group: 'Version' });
  row('Created', versions.map((v) => ({ key: formatTime(v.createTimeSinceEpoch), view: timeCell(v.createTimeSinceEpoch) })), { group: 'Version' });

  const propNames = [...new Set(versions.flatMap((v) => Object.keys(v.customProperties || {})))];
  const propsOf = (name) => versions.map((v) => (v.customProperties?.[name] ? readValue(v.customProperties[name]) : null));
  const numericNames = propNames.filter((n) => propsOf(n).every((p) => !p || isNumeric(p.type))).sort();
  const otherNames = propNames.filter((n) => !numericNames.includes(n)).sort();
  for (const name of numericNames) {
    const props = propsOf(name);
    const base = props[0]?.value;
    row(name, props.map((p, i) => {
      if (!p) return { key: '', view: h('span', { class: 'muted' }, '—') };
      const delta = i > 0 && typeof base === 'number' ? p.value - base : 0;
      return { key: String(p.value), view: [h('span', { class: 'num' }, formatNumber(p.value)), delta ? h('span', { class: `delta ${delta > 0 ? 'up' : 'down'}` }, ` ${delta > 0 ? '+' : '−'}${formatNumber(Math.abs(delta))}`) : null] };
    }), { numeric: true, group: 'Metrics and numeric properties' });
  }
  for (const name of otherNames) {
    row(name, propsOf(name).map((p) => (p ? { key: `${p.type}:${valueText(p)}`, view: [valueView(p), p.type !== 'MetadataStringValue' ? h('span', { class: 'muted small' }, ` ${typeName(p.type)}`) : null] } : { key: '', view: h('span', { class: 'muted' }, '—') })), { group: 'Other properties' });
  }
  row('URI', artifacts.map((list) => ({ key: list.map((a) => a.uri).join('\n'), view: list.length ? list.map((a) => h('code', { class: 'uri block' }, a.uri || '—')) : '—' })), { group: 'Artifacts' });
  row('Format', artifacts.map((list) => { const f = list.map((a) => [a.modelFormatName, a.modelFormatVersion].filter(Boolean).join(' ')).join(', '); return { key: f, view: f || '—' }; }), { group: 'Artifacts' });

  let differing = 0;
  const body = [];
  let group = null;
  for (const r of rows) {
    if (r.group !== group) {
      group = r.group;
      body.push(h('tr', { class: 'group' }, h('th', { scope: 'colgroup', colspan: versions.length + 1 }, group)));
    }
    const differs = new Set(r.cells.map((c) => c.key)).size > 1;
    if (differs) differing++;
    body.push(h('tr', { class: differs ? 'differs' : 'same' },
      h('th', { scope: 'row' }, r.label, differs ? h('span', { class: 'diff-mark', title: 'Values differ' }, h('span', { class: 'visually-hidden' }, ' (differs)'), ' ≠') : null),
      r.cells.map((c) => h('td', { class: r.numeric ? 'numcell' : '' }, c.view))));
  }
  const tableEl = h('table', { class: 'compare' },
    h('caption', {}, `${versions.length} versions, ${differing} of ${rows.length} rows differ`),
    h('thead', {}, h('tr', {}, h('td', {}), versions.map((v) => h('th', { scope: 'col' }, link(`/models/${v.registeredModelId}/versions/${v.id}`, v.name))))),
    h('tbody', {}, body));
  onlyDiff.addEventListener('change', () => tableEl.classList.toggle('only-diff', onlyDiff.checked));
  clear(main,
    heading('Compare versions'),
    h('p', { class: 'lead' }, 'Rows whose values differ are highlighted and marked ≠. Numbers show the difference to the first column.'),
    h('div', { class: 'check' }, onlyDiff, h('label', { for: 'only-diff' }, 'Show only differences')),
    h('div', { class: 'table-wrap' }, tableEl));
  announce(`${differing} rows differ`);
}

// ---- deployments

export async function deploymentsPage(main) {
  document.title = 'Deployments · Model Registry';
  clear(main, heading('Deployments'), h('p', { class: 'lead' }, 'Serving environments, their inference services and the model version each one serves.'), spinner());
  const envs = await getAll('/serving_environments', { orderBy: 'ID', sortOrder: 'ASC' }, 500);
  const servicesByEnv = await Promise.all(envs.map((e) => getAll(`/serving_environments/${e.id}/inference_services`, {}, 500)));
  const all = servicesByEnv.flat();
  const names = await namesOf(all.map((s) => s.registeredModelId));
  const versionIds = [...new Set(all.map((s) => s.modelVersionId).filter(Boolean))];
  const versions = Object.fromEntries((await Promise.all(versionIds.map((id) => get(`/model_versions/${id}`).catch(() => null)))).filter(Boolean).map((v) => [v.id, v]));
  const sections = envs.map((env, i) => h('section', { class: 'env', id: `env-${env.id}`, 'aria-labelledby': `env-h-${env.id}` },
    h('h2', { id: `env-h-${env.id}` }, env.name, ' ', h('span', { class: 'muted small' }, `${servicesByEnv[i].length} inference service${servicesByEnv[i].length === 1 ? '' : 's'}`)),
    env.description ? h('p', {}, env.description) : null,
    servicesByEnv[i].length ? h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['Inference service', 'Model', 'Version', 'Desired state', 'Runtime', 'Updated'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, servicesByEnv[i].map((s) => h('tr', {},
        h('th', { scope: 'row' }, s.name),
        h('td', {}, link(`/models/${s.registeredModelId}`, names[s.registeredModelId] || `#${s.registeredModelId}`)),
        h('td', {}, s.modelVersionId
          ? link(`/models/${s.registeredModelId}/versions/${s.modelVersionId}`, versions[s.modelVersionId]?.name || `#${s.modelVersionId}`)
          : h('span', { class: 'muted' }, 'latest')),
        h('td', {}, s.desiredState ? stateBadge(s.desiredState) : '—'),
        h('td', {}, s.runtime || '—'),
        h('td', { class: 'nowrap' }, timeCell(s.lastUpdateTimeSinceEpoch))))))) : h('p', { class: 'muted' }, 'No inference services.')));
  clear(main, heading('Deployments'), h('p', { class: 'lead' }, 'Serving environments, their inference services and the model version each one serves.'),
    sections.length ? sections : h('p', { class: 'empty' }, 'No serving environments yet. They are created through the API, e.g. by a serving controller.'));
}

export function notFoundPage(main) {
  document.title = 'Not found · Model Registry';
  clear(main, heading('Page not found'), h('p', {}, 'There is no page at this address. ', link('/models', 'Go to the models list'), '.'));
}

export function errorPage(main, error) {
  clear(main, heading(error.status === 404 ? 'Not found' : 'Could not load this page'), alertBox(error),
    h('p', {}, link('/models', 'Back to the models list')));
}
