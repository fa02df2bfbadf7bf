// The admin page: sign-in with the admin token, then five tabs.
import { api, token, ApiError, el } from './api.js';
import { LANGS, initLang, setLang, apply, t } from './i18n.js';
import { initExtensions, refresh as refreshExtensions } from './extensions.js';
import { initCalls, startLive, stopLive, loadLog } from './calls.js';
import { initDoctor, examine } from './doctor.js';
import { initPhone, openSettings } from './phone.js';

const $ = (id) => document.getElementById(id);
const TABS = ['extensions', 'calls', 'log', 'doctor', 'phone'];

function status(msg, isError = false) {
  $('status').textContent = msg;
  $('status').classList.toggle('error', isError);
}

/** Fill the extension pickers (doctor, phone), keeping the choice. */
function extensionsChanged(list) {
  for (const id of ['doctor-ext', 'phone-ext']) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(...list.map((x) => el('option', { value: x.extension,
      textContent: x.displayName ? `${x.extension} — ${x.displayName}` : x.extension })));
    if (list.some((x) => x.extension === keep)) sel.value = keep;
  }
}

function showTab(name) {
  for (const n of TABS) {
    $(`tab-${n}`).setAttribute('aria-selected', String(n === name));
    $(`panel-${n}`).hidden = n !== name;
  }
  if (name === 'calls') startLive(); else stopLive();
  if (name === 'extensions') refreshExtensions();
  if (name === 'log') loadLog();
  if (name === 'doctor') examine($('doctor-ext').value);
  history.replaceState(null, '', `#${name}`);
}

function openDoctor(ext) {
  showTab('doctor');
  $('doctor-ext').value = ext;
  examine(ext);
}

async function enter() {
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  const tab = location.hash.slice(1);
  await refreshExtensions();
  showTab(TABS.includes(tab) ? tab : 'extensions');
}

async function signIn(ev) {
  ev.preventDefault();
  const tok = $('token').value.trim();
  $('sign-in-error').hidden = true;
  try {
    await api('GET', '/api/extensions', undefined, { tok });
  } catch (e) {
    $('sign-in-error').textContent = e instanceof ApiError && e.status === 401 ? t('badToken') : t('netError');
    $('sign-in-error').hidden = false;
    return;
  }
  token.set(tok);
  $('token').value = '';
  await enter();
}

function signOut() {
  token.clear();
  stopLive();
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('phone-holder').replaceChildren();
}

function setupLang() {
  const sel = $('lang');
  const cur = initLang();
  sel.replaceChildren(...Object.entries(LANGS).map(([v, name]) => el('option', { value: v, textContent: name, lang: v })));
  sel.value = cur;
  sel.addEventListener('change', () => setLang(sel.value));
  apply(document);
}

function main() {
  setupLang();
  const ctx = { status, openDoctor, openSettings, changed: extensionsChanged };
  initExtensions(ctx);
  initCalls(ctx);
  initDoctor(ctx);
  initPhone(ctx);
  for (const n of TABS) $(`tab-${n}`).addEventListener('click', () => showTab(n));
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  // Rows built from data re-render in the new language.
  document.addEventListener('langchange', () => { if (!$('app').hidden) refreshExtensions(); });
  if (token.get()) {
    api('GET', '/api/extensions').then(enter, () => { token.clear(); });
  }
}

main();
