// The registration doctor: findings per extension and server-wide.
import { api, el } from './api.js';
import { t } from './i18n.js';

let ctx;

export function initDoctor(c) {
  ctx = c;
  document.getElementById('doctor-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    examine(document.getElementById('doctor-ext').value);
  });
}

function list(ul, findings) {
  ul.replaceChildren(...(findings.length ? findings.map((f) => el('li', { className: f.severity, dataset: { code: f.code } },
    f.text, el('code', {}, f.code))) : [el('li', { className: 'ok' }, t('nothingFound'))]));
}

/** Show the findings for @ext (and the server-wide ones). */
export async function examine(ext) {
  try {
    const [mine, all] = await Promise.all([
      ext ? api('GET', `/api/extensions/${encodeURIComponent(ext)}/doctor`) : null,
      api('GET', '/api/doctor'),
    ]);
    document.getElementById('doctor-heading').textContent = ext ? t('doctorOf', { ext }) : '';
    list(document.getElementById('doctor-list'), mine?.findings ?? []);
    if (!ext) document.getElementById('doctor-list').replaceChildren();
    list(document.getElementById('doctor-server'), all.findings);
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}
