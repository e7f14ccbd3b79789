// The app shell: routes paths to pages, handles in-app links, the session (token) control.
import { getToken, setToken } from './api.js';
import { clear, h } from './dom.js';
import { registerModelPage, registerVersionPage } from './forms.js';
import { comparePage, deploymentsPage, errorPage, listPage, modelPage, notFoundPage, versionPage } from './pages.js';

const main = document.getElementById('main');

const routes = [
  [/^\/$/, () => navigate('/models', { replace: true })],
  [/^\/models$/, (m, ctx) => listPage(main, 'models', ctx)],
  [/^\/versions$/, (m, ctx) => listPage(main, 'versions', ctx)],
  [/^\/models\/new$/, () => registerModelPage(main, navigate)],
  [/^\/models\/(\d+)$/, (m, ctx) => modelPage(main, m[1], ctx)],
  [/^\/models\/(\d+)\/versions\/new$/, (m) => registerVersionPage(main, navigate, m[1])],
  [/^\/models\/(\d+)\/versions\/(\d+)$/, (m, ctx) => versionPage(main, m[1], m[2], ctx)],
  [/^\/compare$/, (m, ctx) => comparePage(main, ctx.search)],
  [/^\/deployments$/, () => deploymentsPage(main)],
];

let renderCount = 0;

async function render({ focus = true } = {}) {
  // /ui/... also serves the app; its pages live at the root.
  if (location.pathname === '/ui' || location.pathname.startsWith('/ui/')) {
    history.replaceState(null, '', (location.pathname.slice(3) || '/') + location.search + location.hash);
  }
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const mine = ++renderCount;
  const section = path.split('/')[1];
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = { search: location.search, navigate, replaceUrl };
  try {
    const route = routes.find(([pattern]) => pattern.test(path));
    if (!route) notFoundPage(main);
    else await route[1](path.match(route[0]), ctx);
  } catch (error) {
    if (mine === renderCount) errorPage(main, error);
  }
  if (mine !== renderCount) return;
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  if (focus) (main.querySelector('h1') || main).focus({ preventScroll: Boolean(location.hash) });
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  return render();
}

// Records a list's state in the address without re-rendering.
function replaceUrl(search) {
  history.replaceState(null, '', location.pathname + search);
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-link]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    history.pushState(null, '', url);
    document.getElementById(url.hash.slice(1))?.scrollIntoView();
    return;
  }
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', () => render());

function renderSession() {
  const slot = document.getElementById('session');
  if (!getToken()) { clear(slot); return; }
  clear(slot, h('button', { type: 'button', class: 'button secondary small', onclick: () => { setToken(''); render(); } }, 'Forget token'));
}
window.addEventListener('tokenchange', renderSession);
renderSession();

render({ focus: false });
