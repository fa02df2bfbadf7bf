// The admin REST API from the page: the token lives in sessionStorage
// (gone when the tab closes) and goes in every request's Authorization.
const KEY = 'ovoz-admin-token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (v) => sessionStorage.setItem(KEY, v),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** @method @path with an optional JSON @body: the parsed JSON (or text). */
export async function api(method, path, body, { raw = false, tok = token.get() } = {}) {
  const headers = { Authorization: `Bearer ${tok ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (r.status === 204) return null;
  const text = await r.text();
  let json = null;
  if (!raw) { try { json = JSON.parse(text); } catch { /* not JSON */ } }
  if (!r.ok) throw new ApiError(r.status, json?.error ?? text ?? r.statusText);
  return raw ? text : json;
}

/** Element helper: el('td', {className: 'x'}, 'text', child...). */
export function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('aria-') || k === 'role') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

/** "12:05" today, "2026-11-22 12:05" otherwise; '' for null. */
export function when(unix) {
  if (!unix) return '';
  const d = new Date(unix * 1000);
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === now.toDateString() ? hm
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

export function mmss(s) {
  s = Math.max(0, Math.floor(s ?? 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
