// Phone tab: the web phone (/phone/) in an iframe, signed in as an
// extension with an ephemeral credential passed in the URL fragment (never
// shown, never sent to the server as part of a request line); and the
// per-extension softphone settings with a QR code.
import { api, el } from './api.js';
import { t } from './i18n.js';

let ctx;
let server = null;

export function initPhone(c) {
  ctx = c;
  document.getElementById('phone-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    openPhone(document.getElementById('phone-ext').value);
  });
  document.getElementById('phone-settings').addEventListener('click',
    () => openSettings(document.getElementById('phone-ext').value));
  document.getElementById('settings-close').addEventListener('click', () => document.getElementById('settings-dialog').close());
  document.getElementById('settings-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(document.getElementById('settings-text').textContent);
      ctx.status(t('copied'));
    } catch { /* no clipboard permission: the text is selectable */ }
  });
}

async function openPhone(ext) {
  if (!ext) return;
  try {
    const c = await api('POST', '/api/credentials', { extension: ext, ttl: 3600 });
    const frame = el('iframe', {
      title: t('phoneFrame', { ext }),
      allow: 'microphone; autoplay',
      src: `/phone/#u=${encodeURIComponent(c.username)}&p=${encodeURIComponent(c.password)}`,
    });
    document.getElementById('phone-holder').replaceChildren(frame);
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
  }
}

function settingsText(ext) {
  const udp = server?.sipUdp;
  const wild = !udp || udp.host === '0.0.0.0' || udp.host === '::';
  const host = wild ? location.hostname : udp.host;
  const port = udp?.port ?? 5060;
  return {
    host, port,
    text: [
      `${t('server')}: ${host}`,
      `${t('port')}: ${port}`,
      `${t('transport')}: UDP`,
      `${t('username')}: ${ext}`,
      `${t('stun')}: ${t('off')}`,
    ].join('\n'),
  };
}

async function qrSvg(data) {
  try {
    const { default: qrcode } = await import('./vendor/qrcode.mjs');
    const qr = qrcode(0, 'M');
    qr.addData(data);
    qr.make();
    return qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  } catch {
    return ''; // vendor/ not installed: the text still says everything
  }
}

/** The settings dialog for @ext. */
export async function openSettings(ext) {
  if (!ext) return;
  try {
    server ??= await api('GET', '/api/server');
  } catch (e) {
    ctx.status(t('error', { msg: e.message }), true);
    return;
  }
  const s = settingsText(ext);
  document.getElementById('settings-title').textContent = t('settingsTitle', { ext });
  document.getElementById('settings-text').textContent = s.text;
  document.getElementById('settings-qr').innerHTML =
    await qrSvg(`sip:${ext}@${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port};transport=udp`);
  document.getElementById('settings-dialog').showModal();
}
