// The registration doctor: findings per extension and server-wide.
import { api, el } from './api.js';
import { t } from './i18n.js';
import { findingText } from './findings.js';

let ctx;
let shown = null;

export function initDoctor(c) {
  ctx = c;
  // Findings are sentences in the page's language: redraw on a change.
  document.addEventListener('langchange', () => {
    if (shown !== null && !document.getElementById('app').hidden) examine(shown);
  });
  document.getElementById('doctor-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    examine(document.getElementById('doctor-ext').value);
  });
}

function list(ul, findings) {
  ul.replaceChildren(...(findings.length ? findings.map((f) => el('li', { className: f.severity, dataset: { code: f.code } },
    findingText(f), el('code', {}, f.code))) : [el('li', { className: 'ok' }, t('nothingFound'))]));
}

/** Show the findings for @ext (and the server-wide ones). */
export async function examine(ext) {
  shown = ext ?? '';
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
