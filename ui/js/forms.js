// Forms that write: register a model or a version, edit description and custom properties.
import { get, patch, post } from './api.js';
import { alertBox, clear, field, h, link, nextId, toast } from './dom.js';
import { propertiesEditor } from './props.js';

const NAME_LIMIT = { model: 255, version: 250, artifact: 250 };

function check(wrap, message) {
  wrap.setError(message);
  return !message;
}

function textInput(attrs = {}) {
  return h('input', { type: 'text', autocomplete: 'off', ...attrs });
}

function nameProblem(value, limit, what) {
  if (!value.trim()) return `Give the ${what} a name.`;
  if (value.length > limit) return `At most ${limit} characters (now ${value.length}).`;
  if (value !== value.trim()) return 'Remove the spaces at the start or end.';
  return null;
}

// Fields for the version and its model artifact, shared by both register forms.
function versionFields({ required }) {
  const name = textInput({ required, maxlength: NAME_LIMIT.version });
  const author = textInput();
  const description = h('textarea', { rows: 2 });
  const uri = textInput({ placeholder: 's3://bucket/path/model or oci://…', class: 'mono' });
  const format = textInput({ placeholder: 'e.g. onnx' });
  const formatVersion = textInput({ placeholder: 'e.g. 1' });
  const storageKey = textInput({ placeholder: 'e.g. aws-connection-models' });
  const props = propertiesEditor();
  const wraps = {
    name: field(required ? 'Version name (required)' : 'Version name', name, required ? null : 'Leave empty to register the model without a version.'),
    author: field('Author', author),
    description: field('Description', description),
    uri: field('Model location (URI)', uri, 'Where the model files are; the artifact is created when this is set.'),
    format: field('Format', format),
    formatVersion: field('Format version', formatVersion),
    storageKey: field('Storage key', storageKey),
  };
  const view = [wraps.name, wraps.author, wraps.description, props,
    h('fieldset', {}, h('legend', {}, 'Model artifact'), wraps.uri, h('div', { class: 'row3' }, wraps.format, wraps.formatVersion, wraps.storageKey))];
  return {
    view,
    validate() {
      let ok = true;
      const hasVersion = required || name.value.trim() !== '' || uri.value.trim() !== '';
      if (hasVersion) ok = check(wraps.name, nameProblem(name.value, NAME_LIMIT.version, 'version')) && ok;
      else wraps.name.setError(null);
      if (uri.value.trim() && /\s/.test(uri.value.trim())) ok = check(wraps.uri, 'A URI has no spaces.') && ok;
      else if (uri.value.trim() && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri.value.trim())) ok = check(wraps.uri, 'Start the URI with a scheme, e.g. s3:// or https://.') && ok;
      else wraps.uri.setError(null);
      const customProperties = props.collect();
      if (customProperties === null) ok = false;
      if (!ok) return null;
      if (!hasVersion) return { skip: true };
      const version = { name: name.value, state: 'LIVE' };
      if (author.value.trim()) version.author = author.value.trim();
      if (description.value.trim()) version.description = description.value.trim();
      if (Object.keys(customProperties).length) version.customProperties = customProperties;
      let artifact = null;
      if (uri.value.trim()) {
        artifact = { artifactType: 'model-artifact', name: name.value, uri: uri.value.trim() };
        if (format.value.trim()) artifact.modelFormatName = format.value.trim();
        if (formatVersion.value.trim()) artifact.modelFormatVersion = formatVersion.value.trim();
        if (storageKey.value.trim()) artifact.storageKey = storageKey.value.trim();
      }
      return { version, artifact };
    },
  };
}

async function createVersion(modelId, { version, artifact }) {
  const created = await post('/model_versions', { ...version, registeredModelId: modelId });
  if (artifact) await post(`/model_versions/${created.id}/artifacts`, artifact);
  return created;
}

function formShell(title, intro, children, submitLabel, onSubmit) {
  const status = h('div', { class: 'form-status' });
  const button = h('button', { type: 'submit', class: 'button primary' }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true },
    ...children, status, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear(status);
    button.disabled = true;
    try {
      await onSubmit(status);
    } catch (error) {
      clear(status, alertBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return [h('h1', { tabindex: -1 }, title), h('p', { class: 'lead' }, intro), form];
}

export function registerModelPage(main, navigate) {
  document.title = 'Register a model · Model Registry';
  const name = textInput({ required: true, maxlength: NAME_LIMIT.model });
  const owner = textInput();
  const description = h('textarea', { rows: 3 });
  const props = propertiesEditor();
  const nameWrap = field('Model name (required)', name, 'Unique in this registry.');
  const first = versionFields({ required: false });
  clear(main, ...formShell('Register a model', 'A model groups the versions of one model over time. You can register its first version in the same step.', [
    h('fieldset', {}, h('legend', {}, 'Model'), nameWrap, field('Owner', owner), field('Description', description), props),
    h('fieldset', {}, h('legend', {}, 'First version'), ...first.view),
  ], 'Register', async (status) => {
    const okName = check(nameWrap, nameProblem(name.value, NAME_LIMIT.model, 'model'));
    const customProperties = props.collect();
    const versionPart = first.validate();
    if (!okName) { name.focus(); return; }
    if (customProperties === null || versionPart === null) return;
    const model = { name: name.value, state: 'LIVE' };
    if (owner.value.trim()) model.owner = owner.value.trim();
    if (description.value.trim()) model.description = description.value.trim();
    if (Object.keys(customProperties).length) model.customProperties = customProperties;
    const created = await post('/registered_models', model);
    if (versionPart.skip) {
      toast(`Registered ${created.name}.`);
      navigate(`/models/${created.id}`);
      return;
    }
    try {
      const version = await createVersion(created.id, versionPart);
      toast(`Registered ${created.name}, version ${version.name}.`);
      navigate(`/models/${created.id}/versions/${version.id}`);
    } catch (error) {
      clear(status, alertBox({ title: 'The model was registered, but its first version was not.', message: error.message }),
        h('p', {}, link(`/models/${created.id}`, `Open ${created.name}`), ' to add the version.'));
    }
  }));
  main.querySelector('h1').focus();
}

export async function registerVersionPage(main, navigate, modelId) {
  const model = await get(`/registered_models/${modelId}`);
  document.title = `New version of ${model.name} · Model Registry`;
  const fields = versionFields({ required: true });
  clear(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/models', 'Models'), ' / ', link(`/models/${model.id}`, model.name), ' / ', 'New version'),
    ...formShell(`Register a version of ${model.name}`, 'A version is one trained model: who made it, its properties and where its files are.', fields.view, 'Register version', async () => {
      const part = fields.validate();
      if (part === null) return;
      const version = await createVersion(model.id, part);
      toast(`Registered version ${version.name}.`);
      navigate(`/models/${model.id}/versions/${version.id}`);
    }));
  main.querySelector('h1').focus();
}

// A dialog editing an entity's description and custom properties; resolves with the updated
// entity, or null when cancelled.
export function editDialog(entity, apiPath, noun) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const description = h('textarea', { rows: 3, value: entity.description || '' });
    const props = propertiesEditor(entity.customProperties || {});
    const status = h('div', { class: 'form-status' });
    const save = h('button', { type: 'submit', class: 'button primary' }, 'Save');
    let result = null;
    const form = h('form', { novalidate: true },
      h('h2', { id: titleId }, `Edit ${noun} ${entity.name}`),
      field('Description', description), props, status,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button secondary', onclick: () => dialog.close() }, 'Cancel'), save));
    const dialog = h('dialog', { class: 'dialog wide', 'aria-labelledby': titleId }, form);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const customProperties = props.collect();
      if (customProperties === null) return;
      save.disabled = true;
      clear(status);
      try {
        // state is sent as it is, so servers that reset an absent state keep it.
        result = await patch(apiPath, { description: description.value, customProperties, state: entity.state });
        dialog.close();
      } catch (error) {
        clear(status, alertBox(error));
      } finally {
        save.disabled = false;
      }
    });
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
    description.focus();
  });
}
