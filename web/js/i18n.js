// i18n.js — the page's language and its message catalogs. t(key, params)
// fills named placeholders ({name}); a message may be plural-aware, an object
// keyed by Intl.PluralRules categories, chosen by params.count. Plain data and
// string replacement only: no eval, so it runs under the page's CSP.

import de from './i18n/de.js';
import en from './i18n/en.js';

export const CATALOGS = { de, en };
export const LANGS = ['de', 'en'];
// Each language named in itself, as a switch offers it.
export const LANG_NAMES = { de: 'Deutsch', en: 'English' };
const KEY = 'guestbridge.lang';

/** pickLang chooses the page language: a remembered choice, else German for de-*, else English. */
export function pickLang(stored, languages) {
  if (LANGS.includes(stored)) return stored;
  const first = (languages || []).find(Boolean) || '';
  return /^de(-|$)/i.test(first) ? 'de' : 'en';
}

function storedLang() {
  try { return globalThis.localStorage?.getItem(KEY) || ''; } catch { return ''; }
}

let lang = pickLang(storedLang(), globalThis.navigator?.languages || [globalThis.navigator?.language]);
// The company's time zone once known; until then the browser's.
let timeZone;
const formats = new Map();
const listeners = new Set();

function applyLang() {
  if (globalThis.document) document.documentElement.lang = lang;
}
applyLang();

export const getLang = () => lang;

/** setLang switches the page language, remembers the choice and tells the listeners. */
export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  formats.clear();
  try { globalThis.localStorage?.setItem(KEY, next); } catch { /* storage off: the choice lasts as long as the page */ }
  applyLang();
  listeners.forEach((fn) => fn(lang));
}

/** onLangChange registers fn(lang), called after each switch. */
export function onLangChange(fn) { listeners.add(fn); }

/** setTimeZone formats dates in the company's IANA zone; an unknown zone keeps the browser's. */
export function setTimeZone(tz) {
  let next;
  if (tz) {
    try { new Intl.DateTimeFormat('en', { timeZone: tz }); next = tz; } catch { next = undefined; }
  }
  if (next === timeZone) return;
  timeZone = next;
  formats.clear();
}

function message(key, count) {
  let msg = CATALOGS[lang][key];
  if (msg === undefined) msg = CATALOGS.en[key];
  // A missing key shows itself: the browser tests look for key-like text.
  if (msg === undefined) return key;
  if (typeof msg === 'object') msg = msg[new Intl.PluralRules(lang).select(Number(count) || 0)] ?? msg.other;
  return msg;
}

/** t returns the message for key in the page language with {placeholders} filled from params. */
export function t(key, params = {}) {
  return message(key, params.count).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * tx is t for messages with elements in them: it returns an array of strings
 * and the params' values as they are (DOM nodes stay nodes), for h() children.
 */
export function tx(key, params = {}) {
  const out = [];
  message(key, params.count).split(/(\{\w+\})/).forEach((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name && name in params) out.push(params[name]);
    else if (part) out.push(part);
  });
  return out;
}

/**
 * tl is the text attributes of an element whose words stay the same while it
 * lives: its message, and a data-i18n mark so that translateStatic turns it
 * into another language in place (a live page is not rendered again).
 */
export const tl = (key) => ({ text: t(key), 'data-i18n': key });

/** translateStatic fills the elements marked data-i18n (and data-i18n-label, their aria-label) in the page language. */
export function translateStatic(root = globalThis.document) {
  root?.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root?.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
}

function format(kind) {
  if (!formats.has(kind)) {
    const opts = kind === 'date' ? { dateStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'short' };
    formats.set(kind, new Intl.DateTimeFormat(lang, { ...opts, timeZone }));
  }
  return formats.get(kind);
}

/** formatDate formats a Date in the page language and the company's time zone (date only when withTime is false). */
export function formatDate(d, withTime = true) {
  return format(withTime ? 'dateTime' : 'date').format(d);
}
