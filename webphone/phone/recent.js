// Numbers typed or pasted, and the local list of recent calls.
const KEY = 'ovoz.recent';
const MAX = 30;

/** A pasted number without spaces, dashes, dots or brackets. */
export function cleanNumber(text) {
  const s = String(text).trim();
  if (/^sip:/i.test(s)) return s;
  return s.replace(/[\s\-().\u00a0]/g, '');
}

export function loadRecent() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch { return []; }
}

/** Add { number, name, dir: in|out|missed, at, duration } at the top. */
export function addRecent(entry) {
  const list = [entry, ...loadRecent()].slice(0, MAX);
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch { /* not kept */ }
  return list;
}

export function clearRecent() {
  try { localStorage.removeItem(KEY); } catch { /* nothing kept */ }
}

/** m:ss or h:mm:ss. */
export function formatDuration(s) {
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
