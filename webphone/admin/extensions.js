// Extensions tab: list with live state, create, edit, delete.
import { api, el, when } from './api.js';
import { t } from './i18n.js';

let ctx;

/** @c: { status(msg, isError), openDoctor(ext), openSettings(ext), changed() }. */
export function initExtensions(c) {
  ctx = c;
  document.getElementById('create-form').addEventListener('submit', onCreate);
  document.getElementById('ext-refresh').addEventListener('click', () => refresh());
  const dlg = document.getElementById('edit-dialog');
  document.getElementById('edit-cancel').addEventListener('click', () => dlg.close());
  document.getElementById('edit-form').addEventListener('submit', onEdit);
}

async function onCreate(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = { extension: f.extension.value.trim(), password: f.password.value };
  if (f.displayName.value.trim()) body.displayName = f.displayName.value.trim();
  if (f.srtp.checked) body.srtp = true;
  try {
    await api('POST', '/api/extensions', body);
    ctx.status(t('created', { ext: body.extension }));
    f.reset();
    await refresh();
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

let editing = null;

function openEdit(x) {
  editing = x.extension;
  const dlg = document.getElementById('edit-dialog');
  const f = document.getElementById('edit-form');
  document.getElementById('edit-title').textContent = t('editTitle', { ext: x.extension });
  f.displayName.value = x.displayName ?? '';
  f.password.value = '';
  f.srtp.checked = x.srtp === true;
  dlg.showModal();
}

async function onEdit(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = { displayName: f.displayName.value.trim(), srtp: f.srtp.checked };
  if (f.password.value) body.password = f.password.value;
  try {
    await api('PUT', `/api/extensions/${encodeURIComponent(editing)}`, body);
    document.getElementById('edit-dialog').close();
    ctx.status(t('saved', { ext: editing }));
    await refresh();
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

async function onDelete(ext) {
  if (!confirm(t('confirmDelete', { ext }))) return;
  try {
    await api('DELETE', `/api/extensions/${encodeURIComponent(ext)}`);
    ctx.status(t('deleted', { ext }));
    await refresh();
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

function where(c) {
  return c.transport === 'udp' ? `UDP ${c.source}` : `${t('webPhone')} (${c.source})`;
}

function row(x, st, last) {
  const contacts = st?.contacts ?? [];
  const online = contacts.length > 0;
  const ext = x.extension;
  const btn = (key, fn, cls = 'secondary') => el('button', {
    type: 'button', className: cls, textContent: t(key), 'aria-label': `${t(key)} ${ext}`, onclick: fn,
  });
  return el('tr', { dataset: { ext } },
    el('td', {}, ext),
    el('td', {}, x.displayName ?? '', x.srtp ? el('span', { className: 'badge srtp', textContent: 'SRTP', title: t('srtpLabel') }) : null),
    el('td', {}, el('span', { className: `badge ${online ? 'online' : 'offline'}`, textContent: t(online ? 'online' : 'offline') })),
    el('td', {}, contacts.map(where).join(', ')),
    el('td', {}, contacts.map((c) => c.userAgent).filter(Boolean).join(', ')),
    el('td', {}, last ? `${when(last.at)} ${last.outcome} (${last.source})` : t('never')),
    el('td', {}, el('div', { className: 'bar' },
      btn('edit', () => openEdit(x)),
      btn('doctor', () => ctx.openDoctor(ext)),
      btn('settings', () => ctx.openSettings(ext)),
      btn('del', () => onDelete(ext), 'danger'))),
  );
}

/** Reload the list; returns the extensions. */
export async function refresh() {
  let list;
  try {
    list = (await api('GET', '/api/extensions')).extensions;
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
    return [];
  }
  const details = await Promise.all(list.map(async (x) => {
    const e = encodeURIComponent(x.extension);
    const [st, at] = await Promise.all([
      api('GET', `/api/extensions/${e}/status`).catch(() => null),
      api('GET', `/api/extensions/${e}/attempts?limit=1`).catch(() => null),
    ]);
    return row(x, st, at?.attempts?.[0]);
  }));
  document.querySelector('#ext-table tbody').replaceChildren(...details);
  document.getElementById('ext-empty').hidden = list.length > 0;
  ctx.changed(list);
  return list;
}
