// Live calls (polled while the tab is open) and the call log with
// filters, paging and CSV export.
import { api, el, when, mmss } from './api.js';
import { t } from './i18n.js';

let ctx;
let timer = null;
const PAGE = 50;
let offset = 0;
let query = '';

export function initCalls(c) {
  ctx = c;
  document.getElementById('log-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    offset = 0;
    query = logQuery();
    loadLog();
  });
  document.getElementById('log-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); loadLog(); });
  document.getElementById('log-next').addEventListener('click', () => { offset += PAGE; loadLog(); });
  document.getElementById('log-csv').addEventListener('click', exportCsv);
}

/* ---- live ---- */

// The relay's per-leg statistics (GET /api/calls/active "media"): for
// each relayed stream, what each side sent and received, loss and
// jitter; and the server's one-way audio finding ("mediaNote"), if any.
function sideText(name, x) {
  if (!x) return '';
  const kind = x.kind === 'webrtc' ? t('webPhone') : x.kind === 'srtp-sdes' ? 'SRTP' : 'RTP';
  return `${t(name)} (${kind}): ${t('rxTx', { rx: x.rxPackets ?? 0, tx: x.txPackets ?? 0 })}, `
    + `${t('loss')} ${x.lost ?? 0}, ${t('jitter', { ms: Math.round(x.jitterMs ?? 0) })}`;
}

function oneWay(note) {
  return note ? el('div', { className: 'oneway-note' },
    el('span', { className: 'badge oneway', textContent: t('oneWay') }), ` ${note}`) : null;
}

function mediaCell(c) {
  const streams = (Array.isArray(c.media) ? c.media : []).filter((m) => m.answered !== false);
  return [...streams.flatMap((m) => [
    el('div', { className: 'leg', dataset: { side: 'caller' } }, sideText('caller', m.caller)),
    el('div', { className: 'leg', dataset: { side: 'callee' } }, sideText('callee', m.callee)),
  ]), oneWay(c.mediaNote)].filter(Boolean);
}

async function pollLive() {
  try {
    const { calls } = await api('GET', '/api/calls/active');
    const now = Date.now() / 1000;
    document.querySelector('#live-table tbody').replaceChildren(...calls.map((c) => el('tr', {},
      el('td', {}, c.caller ?? ''),
      el('td', {}, c.callee ?? ''),
      el('td', {}, t(c.state === 'answered' ? 'answered' : 'ringing')),
      el('td', {}, mmss(c.duration ?? (c.answeredAt ? now - c.answeredAt : 0))),
      el('td', {}, ...mediaCell(c)))));
    document.getElementById('live-empty').hidden = calls.length > 0;
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

export function startLive() {
  stopLive();
  pollLive();
  timer = setInterval(pollLive, 2000);
}

export function stopLive() {
  if (timer) clearInterval(timer);
  timer = null;
}

/* ---- log ---- */

function unix(v) {
  return v ? String(Math.floor(new Date(v).getTime() / 1000)) : '';
}

function logQuery() {
  const f = document.getElementById('log-form');
  const p = new URLSearchParams();
  if (f.extension.value.trim()) p.set('extension', f.extension.value.trim());
  if (f.from.value) p.set('from', unix(f.from.value));
  if (f.to.value) p.set('to', unix(f.to.value));
  if (f.disposition.value) p.set('disposition', f.disposition.value);
  return p.toString();
}

// A failure Ovoz did not cause itself, in words the operator can act on.
function hint(c) {
  return c.disposition === 'failed' && c.status === 488 ? t('hint488') : '';
}

export async function loadLog() {
  try {
    const r = await api('GET', `/api/calls?${query}${query ? '&' : ''}limit=${PAGE}&offset=${offset}`);
    document.querySelector('#log-table tbody').replaceChildren(...r.calls.map((c) => el('tr', {},
      el('td', {}, when(c.startedAt)),
      el('td', {}, c.caller ?? ''),
      el('td', {}, c.callee ?? ''),
      el('td', {}, c.disposition ? t(`d_${c.disposition}`) : t('ringing')),
      el('td', {}, mmss(c.duration)),
      el('td', {}, c.reason ?? hint(c), oneWay(c.mediaNote)))));
    document.getElementById('log-empty').hidden = r.calls.length > 0;
    document.getElementById('log-page').textContent = r.total
      ? t('page', { a: offset + 1, b: offset + r.calls.length, n: r.total }) : '';
    document.getElementById('log-prev').disabled = offset === 0;
    document.getElementById('log-next').disabled = offset + r.calls.length >= r.total;
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

async function exportCsv() {
  try {
    const q = logQuery();
    const text = await api('GET', `/api/calls?${q}${q ? '&' : ''}format=csv`, undefined, { raw: true });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const a = el('a', { href: url, download: 'ovoz-calls.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}
