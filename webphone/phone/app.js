// The phone page: sign-in, status, dial pad, calls, recent calls and
// audio settings, on top of SipClient (sipclient.js). Embedding pages
// drive it through bridge.js.
import { LANGS, LANG_NAMES, initialLang, setLang, t, lang } from '../lib/i18n.js';
import { SipClient, parseUsername } from './sipclient.js';
import { ring, listDevices, setSpeaker, meter } from './audio.js';
import { cleanNumber, loadRecent, addRecent, clearRecent, formatDuration } from './recent.js';
import { startBridge } from './bridge.js';

const $ = (id) => document.getElementById(id);
const store = {
  get: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  set: (k, v) => { try { v === null ? localStorage.removeItem(k) : localStorage.setItem(k, v); } catch { /* not kept */ } },
};

const params = new URLSearchParams(location.search);
const phone = new SipClient({
  server: `wss://${location.host}/ws`,
  domain: params.get('domain') || location.hostname,
});
const ui = { conn: { state: 'idle' }, call: null, stopRing: null, timer: null, stopMeter: null, alertKey: null };
phone.micId = store.get('ovoz.mic') ?? '';

/* ---- status and messages ---- */

function connText(c) {
  switch (c.state) {
  case 'connecting': return t('status_connecting');
  case 'registered': return t('status_registered', { ext: c.ext });
  case 'reconnecting': {
    const why = c.reason === 'certificate' ? t('err_certificate', { url: c.url })
      : c.reason === 'refused' ? t('err_refused') : t('err_unreachable');
    return `${why} ${t('status_reconnecting', { s: c.retryIn })}`;
  }
  case 'failed': return c.reason === 'other' ? t('err_other', { reason: c.detail ?? '' }) : t(`err_${c.reason}`);
  default: return t(c.signedOut ? 'status_unregistered' : 'status_idle');
  }
}

function callText(c) {
  const who = c.name ? `${c.name} (${c.number})` : c.number;
  if (c.state === 'incoming') return t('incoming_from', { who });
  if (c.state === 'calling') return t('calling', { who });
  if (c.state === 'ringing') return t('ringing_out', { who });
  if (c.state === 'answered') return t(c.held ? 'on_hold' : 'in_call', { who });
  if (c.reason === 'lost') return t('call_lost');
  if (c.reason && c.direction === 'out' && !c.answeredAt) {
    const r = ['busy', 'not_found', 'unavailable', 'declined'].includes(c.reason) ? t(c.reason) : c.reason;
    return t('call_failed', { reason: r });
  }
  return t('call_ended');
}

function showAlert(key, vars) {
  ui.alertKey = key ? [key, vars] : null;
  $('alert').hidden = !key;
  $('alert').textContent = key ? t(key, vars) : '';
}

function render() {
  const c = ui.conn;
  document.body.dataset.conn = c.state;
  const signedIn = ['connecting', 'registered', 'reconnecting'].includes(c.state);
  $('login').hidden = signedIn;
  $('phone').hidden = !signedIn;
  const call = ui.call;
  const live = call && call.state !== 'ended';
  document.body.dataset.call = call ? call.state : 'none';
  // How the last call ended shows for a moment, unless the sign-in has
  // failed since (e.g. the extension was deleted): that matters more.
  const showCall = call && (live || (call.shownUntil > Date.now() && c.state !== 'failed'));
  $('status').textContent = showCall ? callText(call) : connText(c);
  $('call').hidden = !!live;
  $('answer').hidden = !(live && call.state === 'incoming');
  $('reject').hidden = !(live && call.state === 'incoming');
  $('hangup').hidden = !(live && call.state !== 'incoming');
  $('incall').hidden = !(live && call.state === 'answered');
  $('callinfo').hidden = !live;
  if (live) $('peer').textContent = call.name ? `${call.name} — ${call.number}` : call.number;
  $('mute').setAttribute('aria-pressed', String(!!call?.muted));
  $('mute').textContent = t(call?.muted ? 'unmute' : 'mute');
  $('hold').setAttribute('aria-pressed', String(!!call?.held));
  $('hold').textContent = t(call?.held ? 'resume' : 'hold');
  if (ui.alertKey) showAlert(...ui.alertKey);
  renderRecent();
}

function renderRecent() {
  const list = loadRecent();
  $('recent-empty').hidden = list.length > 0;
  $('clear-recent').hidden = list.length === 0;
  $('recent').replaceChildren(...list.map((r) => {
    const li = document.createElement('li');
    const info = document.createElement('span');
    const who = r.name ? `${r.name} (${r.number})` : r.number;
    info.textContent = who;
    const small = document.createElement('small');
    small.textContent = `${t(`dir_${r.dir}`)} · ${new Date(r.at).toLocaleString(lang())}${r.duration ? ` · ${formatDuration(r.duration)}` : ''}`;
    info.append(small);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'callback';
    b.textContent = '📞';
    b.setAttribute('aria-label', t('call_back', { who }));
    b.title = b.getAttribute('aria-label');
    b.addEventListener('click', () => { $('number').value = r.number; dial(); });
    li.append(info, b);
    return li;
  }));
}

/* ---- connection ---- */

phone.addEventListener('conn', (e) => {
  ui.conn = e.detail;
  if (e.detail.state === 'registered' || e.detail.state === 'connecting') showAlert(null);
  render();
});

export async function signIn(username, password, { remember = false, persist = true } = {}) {
  showAlert(null);
  if (persist) {
    store.set('ovoz.ext', parseUsername(username).ext);
    store.set('ovoz.pw', remember ? password : null);
  }
  await phone.signIn(username, password);
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('ext').value.trim(), $('pw').value, { remember: $('remember').checked });
  if (!$('remember').checked) $('pw').value = '';
});

$('signout').addEventListener('click', async () => {
  store.set('ovoz.pw', null);
  await phone.signOut();
  ui.conn = { state: 'idle', signedOut: true };
  render();
});

window.addEventListener('online', () => { if (ui.conn.state === 'reconnecting') phone.reconnectNow(); });

/* ---- calls ---- */

function micProblem(e) {
  if (e?.reason && ['insecure', 'mic_denied', 'no_mic'].includes(e.reason)) {
    showAlert(`err_${e.reason}`);
    return true;
  }
  return false;
}

async function dial() {
  const n = cleanNumber($('number').value);
  $('number').value = n;
  if (!n) { showAlert('err_no_number'); $('number').focus(); return; }
  showAlert(null);
  try { await phone.dial(n); } catch (e) { if (!micProblem(e)) showAlert('err_other', { reason: e.message }); }
}

phone.addEventListener('call', (e) => {
  const c = e.detail;
  ui.call = { ...c, shownUntil: Date.now() + 4000 };
  if (c.state === 'incoming') {
    ui.stopRing ??= ring();
  } else if (ui.stopRing) {
    ui.stopRing();
    ui.stopRing = null;
  }
  if (c.state === 'answered' && !ui.timer) {
    const tick = () => { $('timer').textContent = formatDuration(Math.round((Date.now() - c.answeredAt) / 1000)); };
    tick();
    ui.timer = setInterval(tick, 1000);
  }
  if (c.state === 'ended') {
    clearInterval(ui.timer);
    ui.timer = null;
    ui.stopMeter?.();
    ui.stopMeter = null;
    $('timer').textContent = '0:00';
    addRecent({ number: c.number, name: c.name, at: Date.now(), duration: c.duration,
      dir: c.direction === 'out' ? 'out' : (c.answeredAt ? 'in' : 'missed') });
    if (c.reason === 'lost') showAlert('call_lost');
    setTimeout(render, 4100);
  }
  render();
});

phone.addEventListener('media', (e) => {
  const audio = $('remote');
  audio.srcObject = e.detail.stream ?? null;
  audio.play().catch(() => {});
  if (e.detail.local && !ui.stopMeter) ui.stopMeter = meter(e.detail.local, $('level'));
});

$('call').addEventListener('click', dial);
$('hangup').addEventListener('click', () => phone.hangup());
$('answer').addEventListener('click', async () => {
  try { await phone.answer(); } catch (e) { if (!micProblem(e)) showAlert('err_other', { reason: e.message }); }
});
$('reject').addEventListener('click', () => phone.reject());
$('mute').addEventListener('click', () => phone.setMute(!ui.call?.muted));
$('hold').addEventListener('click', () => phone.setHold(!ui.call?.held));

/* ---- number field and dial pad ---- */

function press(key) {
  if (ui.call?.state === 'answered') phone.sendDtmf(key);
  $('number').value += key;
}

for (const b of $('dialpad').querySelectorAll('button')) {
  b.setAttribute('aria-label', b.dataset.key);
  b.addEventListener('click', () => press(b.dataset.key));
}
$('backspace').addEventListener('click', () => { $('number').value = $('number').value.slice(0, -1); });
$('number').addEventListener('paste', (e) => {
  const text = e.clipboardData?.getData('text');
  if (text === undefined) return;
  e.preventDefault();
  const el = $('number');
  el.setRangeText(cleanNumber(text), el.selectionStart, el.selectionEnd, 'end');
});
$('number').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') { e.preventDefault(); dial(); }
  else if (ui.call?.state === 'answered' && /^[0-9*#]$/.test(e.key)) phone.sendDtmf(e.key);
});
// Keys typed anywhere but in a field go to the number (or, in a call, out
// as DTMF), also right after a dial-pad button was clicked and kept the
// focus. Enter on a focused button or summary stays that control's.
document.addEventListener('keydown', (e) => {
  if ($('phone').hidden || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.('input, select, textarea')) return;
  const onControl = !!e.target.closest?.('button, summary');
  if (/^[0-9*#]$/.test(e.key)) { press(e.key); e.preventDefault(); }
  else if (e.key === 'Backspace') { $('number').value = $('number').value.slice(0, -1); e.preventDefault(); }
  else if (e.key === 'Enter' && !ui.call && !onControl) { dial(); e.preventDefault(); }
});

$('clear-recent').addEventListener('click', () => { clearRecent(); renderRecent(); });

/* ---- audio settings ---- */

async function refreshDevices() {
  await listDevices($('mic'), $('speaker'), { mic: phone.micId, speaker: store.get('ovoz.speaker') ?? '' }, t('default_device'));
  const canPick = typeof $('remote').setSinkId === 'function';
  $('speaker').disabled = !canPick;
  $('speaker-fixed').hidden = canPick;
}
$('settings').addEventListener('toggle', () => { if ($('settings').open) refreshDevices(); });
navigator.mediaDevices?.addEventListener?.('devicechange', refreshDevices);
$('mic').addEventListener('change', () => { phone.micId = $('mic').value; store.set('ovoz.mic', phone.micId); });
$('speaker').addEventListener('change', () => {
  store.set('ovoz.speaker', $('speaker').value);
  setSpeaker($('remote'), $('speaker').value);
});
$('test-mic').addEventListener('click', async () => {
  const b = $('test-mic');
  if (b.getAttribute('aria-pressed') === 'true') {
    ui.testStop?.();
    b.setAttribute('aria-pressed', 'false');
    return;
  }
  try {
    await phone.checkMic();
    const s = await navigator.mediaDevices.getUserMedia(phone.constraints());
    const stop = meter(s, $('level'));
    ui.testStop = () => { stop(); s.getTracks().forEach((tr) => tr.stop()); };
    b.setAttribute('aria-pressed', 'true');
    refreshDevices();
  } catch (e) { micProblem(e); }
});

/* ---- start ---- */

function fillLangs() {
  const sel = $('lang');
  sel.replaceChildren(...Object.keys(LANGS).map((c) => new Option(LANG_NAMES[c], c)));
  sel.value = lang();
  sel.addEventListener('change', () => { setLang(sel.value); render(); });
}

setLang(initialLang());
fillLangs();
if (!window.isSecureContext) showAlert('err_insecure');
if (store.get('ovoz.speaker')) setSpeaker($('remote'), store.get('ovoz.speaker'));
$('ext').value = store.get('ovoz.ext') ?? '';

// Ephemeral credentials in the fragment: used once, never kept, and
// wiped from the address bar (and history) at once.
const frag = new URLSearchParams(location.hash.slice(1));
const api = { signIn, phone, render, dial: (n) => { $('number').value = n; return dial(); } };
window.ovozPhone = api;
if (frag.get('u') && frag.get('p')) {
  history.replaceState(null, '', location.pathname + location.search);
  signIn(frag.get('u'), frag.get('p'), { persist: false });
} else if (store.get('ovoz.ext') && store.get('ovoz.pw')) {
  $('remember').checked = true;
  signIn(store.get('ovoz.ext'), store.get('ovoz.pw'), { remember: true });
}
render();
startBridge(api);
