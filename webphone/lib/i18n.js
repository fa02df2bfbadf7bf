// Strings of Ovoz's pages in Uzbek (Latin script, the default), Russian
// and English. A page marks its text with data-i18n="key" (text),
// data-i18n-label="key" (aria-label and title) and
// data-i18n-placeholder="key"; applyI18n() fills them in and t() formats
// messages made in code. The choice is kept in localStorage.
import uz from './i18n/uz.js';
import ru from './i18n/ru.js';
import en from './i18n/en.js';

export const LANGS = { uz, ru, en };
export const LANG_NAMES = { uz: "O'zbekcha", ru: 'Русский', en: 'English' };
const KEY = 'ovoz.lang';
let current = 'uz';

/** The language asked for in ?lang=, else the saved one, else Uzbek. */
export function initialLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && LANGS[q]) return q;
  try {
    const s = localStorage.getItem(KEY);
    if (s && LANGS[s]) return s;
  } catch { /* storage blocked (third-party iframe): not remembered */ }
  return 'uz';
}

export function lang() { return current; }

/** Switch to @code, remember it, and re-fill @root. */
export function setLang(code, root = document) {
  if (!LANGS[code]) return;
  current = code;
  try { localStorage.setItem(KEY, code); } catch { /* not remembered */ }
  document.documentElement.lang = code;
  applyI18n(root);
}

/** The string @key in the current language, with {name} filled from @vars. */
export function t(key, vars = {}) {
  const s = LANGS[current][key] ?? LANGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  if (root.title !== undefined && root.querySelector?.('title[data-i18n]')) {
    root.title = t(root.querySelector('title[data-i18n]').dataset.i18n);
  }
}
