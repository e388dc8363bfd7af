// ui.js — small DOM helpers shared by every screen. Everything is built with
// DOM calls and textContent: API data never passes through innerHTML.

import { t, formatDate } from './i18n.js';
import { revalidate } from './api.js';

let seq = 0;
export const uid = (p = 'gb') => `${p}-${++seq}`;

/** h creates an element: attrs may hold class, text, on<event> handlers and attributes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** when renders an RFC 3339 time as a <time> element in the page language and the company's time zone. */
export function when(iso, withTime = true) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', { text: iso });
  return h('time', { datetime: iso, text: formatDate(d, withTime) });
}
export const fmt = (iso) => (iso ? formatDate(new Date(iso)) : '—');

/** tell speaks msg through the polite live region only (nothing is shown). */
export function tell(msg) {
  const s = document.getElementById('status');
  s.textContent = '';
  setTimeout(() => { s.textContent = msg; }, 50);
}

/**
 * announce confirms a success: the message is shown in a visible, dismissible
 * bar (until dismissed or replaced by the next one) and spoken through the
 * live region. The bar itself is not a live region, so it is not read twice.
 */
export function announce(msg) {
  tell(msg);
  let bar = document.getElementById('flash');
  if (!bar) {
    bar = h('div', { id: 'flash', class: 'flash', hidden: true },
      h('p', { class: 'flash-text' }),
      h('button', { type: 'button', class: 'btn ghost flash-close', 'aria-label': t('ui.dismiss'), text: '×',
        onclick: () => { bar.hidden = true; } }));
    document.body.append(bar);
  }
  bar.querySelector('.flash-text').textContent = msg;
  bar.hidden = false;
  // The bar floats over the page (on a phone over the controls at the bottom),
  // so it goes by itself after a while, unless the person is reading it.
  clearTimeout(flashTimer);
  const fade = () => {
    flashTimer = setTimeout(() => { if (bar.matches(':hover, :focus-within')) fade(); else bar.hidden = true; }, FLASH_MS);
  };
  fade();
}

const FLASH_MS = 10000;
let flashTimer = 0;

/** setMain replaces the page content and moves focus to its first heading. */
export function setMain(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
  const h1 = main.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
}

/** field wraps an input with its label and an optional hint. */
export function field(label, input, hint) {
  input.id ||= uid('f');
  const parts = [h('label', { for: input.id, text: label }), input];
  if (hint) {
    const hid = uid('hint');
    input.setAttribute('aria-describedby', hid);
    parts.push(h('p', { id: hid, class: 'hint', text: hint }));
  }
  return h('div', { class: 'field' }, parts);
}

/** errorBox is a form's error line: an assertive live region that is present before it fills. */
export const errorBox = () => h('div', { class: 'form-error', id: uid('err'), 'aria-live': 'assertive' });

export function clearFormError(form) {
  const box = form.querySelector('.form-error');
  if (box) box.textContent = '';
  form.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== box?.id);
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' ')); else el.removeAttribute('aria-describedby');
  });
}

// findField looks for the input named by an API error field ("period.days"),
// trying shorter prefixes ("period") when no input has the full name.
function findField(form, name) {
  for (let f = name; f; f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '') {
    const el = form.querySelector(`[data-field="${CSS.escape(f)}"]`);
    if (el) return el;
  }
  return null;
}

/** showFormError shows err's message in the form and highlights the input it names. */
export function showFormError(form, err) {
  if (err && err.handled) return;
  clearFormError(form);
  const box = form.querySelector('.form-error');
  let msg = (err && err.message) || t('ui.error');
  if (err && err.status === 429 && err.retryAfter) msg += ` ${t('ui.retryAfter', { count: err.retryAfter })}`;
  box.textContent = msg;
  const el = err && (err.el || (err.field && findField(form, err.field)));
  if (!el) return;
  const target = el.matches('fieldset') ? el.querySelector('input:not([disabled]), select') || el : el;
  for (const x of new Set([el, target])) {
    x.setAttribute('aria-invalid', 'true');
    x.setAttribute('aria-describedby', `${x.getAttribute('aria-describedby') || ''} ${box.id}`.trim());
  }
  target.focus?.();
}

/** invalid makes an error for an input, shown like an API error. */
export const invalid = (el, message) => Object.assign(new Error(message), { el });

/** checkForm throws for the first input that fails the browser's own constraints. */
export function checkForm(form) {
  const bad = [...form.elements].find((el) => el.willValidate && !el.checkValidity());
  if (!bad) return;
  const label = bad.labels?.[0]?.textContent || bad.getAttribute('aria-label') || t('ui.thisField');
  throw invalid(bad, `${label}: ${bad.validationMessage}`);
}

/** closeDialogs closes every open dialog (for example when the session ends). */
export function closeDialogs() { document.querySelectorAll('dialog[open]').forEach((d) => d.close()); }

/**
 * openDialog shows a modal form. onSubmit(form) may throw an error that is
 * shown in the dialog; when it resolves the dialog closes and focus returns
 * to the opener.
 */
export function openDialog({ title, body, submitLabel, onSubmit, danger = false, opener }) {
  const titleId = uid('dlg');
  const submit = h('button', { type: 'submit', class: danger ? 'btn danger' : 'btn primary', text: submitLabel });
  const dlg = h('dialog', { 'aria-labelledby': titleId });
  const form = h('form', { novalidate: true },
    h('h2', { id: titleId, text: title }), body, errorBox(),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', text: t('ui.cancel'), onclick: () => dlg.close() }), submit));
  dlg.append(form);
  const back = opener || document.activeElement;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      checkForm(form);
      await onSubmit(form);
      dlg.close();
    } catch (e) {
      showFormError(form, e);
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  dlg.addEventListener('close', () => { dlg.remove(); if (back && back.isConnected) back.focus(); });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** periodFieldset asks for N days or a custom last day; .period() returns the API's period object. */
export function periodFieldset(legend = t('period.legend'), days = 7) {
  const group = uid('period');
  const num = h('input', { type: 'number', min: 1, step: 1, value: days, required: true, inputmode: 'numeric',
    'aria-label': t('period.daysLabel'), 'data-field': 'period.days', class: 'short' });
  const date = h('input', { type: 'date', min: isoDay(new Date()), required: true, disabled: true,
    'aria-label': t('period.untilLabel'), 'data-field': 'period.until' });
  const rDays = h('input', { type: 'radio', name: group, value: 'days', checked: true });
  const rDate = h('input', { type: 'radio', name: group, value: 'until' });
  const sync = () => { num.disabled = !rDays.checked; date.disabled = !rDate.checked; };
  rDays.addEventListener('change', sync);
  rDate.addEventListener('change', () => { sync(); date.focus(); });
  const fs = h('fieldset', { class: 'period', 'data-field': 'period' }, h('legend', { text: legend }),
    h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rDays, t('period.days')), num,
      h('span', { class: 'muted', text: t('period.fromNow') })),
    h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rDate, t('period.custom')), date),
    h('p', { class: 'hint', text: t('period.hint') }));
  // The date goes as a date: the server ends it at the end of that day in the company's zone.
  fs.period = () => (rDays.checked ? { days: Number(num.value) } : { until: date.value });
  return fs;
}

/** actionMenu is a "⋯" button opening a keyboard-navigable menu of actions. */
export function actionMenu(label, items) {
  const btn = h('button', { type: 'button', class: 'btn icon', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-label': label, title: label, text: '⋯' });
  const menu = h('ul', { role: 'menu', class: 'menu', hidden: true, 'aria-label': label });
  const wrap = h('div', { class: 'menu-wrap' }, btn, menu);
  const entries = () => [...menu.querySelectorAll('[role=menuitem]')];
  const outside = (e) => { if (!wrap.contains(e.target)) close(false); };
  // The menu is placed where its button is (fixed, so that a scrolling table
  // does not clip it). A scroll that moves the button moves the menu with it,
  // and closes it only once the button is out of sight; a chat or activity
  // list scrolling to a new line leaves it alone.
  function place() {
    const r = btn.getBoundingClientRect();
    const below = r.bottom + 4 + menu.offsetHeight <= window.innerHeight;
    menu.style.top = `${below ? r.bottom + 4 : Math.max(4, r.top - 4 - menu.offsetHeight)}px`;
    menu.style.left = `${Math.max(4, r.right - menu.offsetWidth)}px`;
    return r.bottom > 0 && r.top < window.innerHeight;
  }
  const onScroll = (e) => {
    if ((e.target === document || e.target.contains?.(wrap)) && !place()) close(false);
  };
  function open() {
    menu.hidden = false;
    place();
    window.addEventListener('scroll', onScroll, true);
    btn.setAttribute('aria-expanded', 'true');
    entries()[0]?.focus();
    document.addEventListener('pointerdown', outside, true);
  }
  function close(refocus = true) {
    menu.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    window.removeEventListener('scroll', onScroll, true);
    if (refocus) btn.focus();
  }
  for (const it of items) {
    menu.append(h('li', { role: 'none' }, h('button', { type: 'button', role: 'menuitem', tabindex: '-1',
      class: it.danger ? 'danger' : null, text: it.label, onclick: () => { close(); it.run(btn); } })));
  }
  btn.addEventListener('click', () => (menu.hidden ? open() : close()));
  btn.addEventListener('keydown', (e) => { if (e.key === 'ArrowDown' && menu.hidden) { e.preventDefault(); open(); } });
  menu.addEventListener('keydown', (e) => {
    const list = entries();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') { e.preventDefault(); list[(i + 1) % list.length].focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); list[(i - 1 + list.length) % list.length].focus(); }
    else if (e.key === 'Home') { e.preventDefault(); list[0].focus(); }
    else if (e.key === 'End') { e.preventDefault(); list[list.length - 1].focus(); }
    else if (e.key === 'Escape') { e.preventDefault(); close(); }
    else if (e.key === 'Tab') close(false);
  });
  return wrap;
}

/** table builds a responsive table; on narrow screens each row becomes a card labelled by the headers. */
export function table(caption, headers, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows.map((cells) => row(headers, cells, cells.key, cells.name)))));
}

/**
 * row builds a table row whose cells are labelled for the narrow layout; each
 * cell holds one element. key and name, when given, let keepCurrent tell
 * which row changed and say so by name.
 */
export function row(headers, cells, key, name) {
  return h('tr', { 'data-key': key, 'data-name': name }, cells.map((c, i) => h('td', { 'data-label': headers[i] }, Array.isArray(c) ? h('div', {}, c) : c)));
}

/** keyed marks a row's cells with the key and name of what the row shows. */
export const keyed = (cells, key, name) => Object.assign(cells, { key, name });

/** indicator shows an on/off state as a green or red dot with its text: never colour alone. */
export const indicator = (on, onText, offText) => h('span', { class: `ind ${on ? 'on' : 'off'}` },
  h('span', { class: 'dot', 'aria-hidden': 'true' }), on ? onText : offText);

/** checklist is a fieldset of checkboxes over items {value, label, hint}; .values() returns the checked ones. */
export function checklist(legend, items, checked = [], dataField) {
  const boxes = items.map((it) => h('input', { type: 'checkbox', value: it.value, checked: checked.includes(it.value) }));
  const fs = h('fieldset', { class: 'checklist', 'data-field': dataField }, h('legend', { text: legend }),
    items.map((it, i) => h('label', { class: 'choice' }, boxes[i],
      h('span', {}, it.label, it.hint ? h('span', { class: 'muted', text: ` — ${it.hint}` }) : null))));
  fs.boxes = boxes;
  fs.values = () => boxes.filter((b) => b.checked).map((b) => b.value);
  return fs;
}

/** confirmDialog asks before an action; run() may throw an error shown in the dialog. */
export function confirmDialog({ title, text, submitLabel, danger = false, opener, run }) {
  return openDialog({ title, submitLabel, danger, opener, body: h('p', {}, text), onSubmit: run });
}

export const capitalize = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : '');

export const yesNo = (b) => h('span', { class: b ? 'yes' : 'no', text: b ? t('ui.yes') : t('ui.no') });
export const badge = (status, extra) => h('span', { class: `badge s-${status}` },
  t(`status.${status}`), extra ? ` · ${extra}` : '');

/** loading is a placeholder line announced politely while data loads. */
export const loading = (what) => h('p', { class: 'muted', role: 'status', text: t('ui.loading', { what }) });

/** failure shows a load error inline with a retry button. */
export function failure(err, retry) {
  return h('div', { class: 'notice error', role: 'alert' }, h('p', { text: err.message }),
    retry ? h('button', { type: 'button', class: 'btn', text: t('ui.tryAgain'), onclick: retry }) : null);
}

const POLL_MS = 4000;
const POLL_MAX_MS = 60000;

/**
 * keepCurrent keeps the list shown in el current while it is on screen: it
 * revalidates path() with its ETag every few seconds (a 304 costs no bytes)
 * and, when the list changed, calls reload() and highlights the rows that
 * are new or changed, telling screen readers which. It stops for good once el
 * has left the page, pauses while the tab is hidden, backs off on errors and
 * waits while a dialog or menu is open or focus is inside a row, so a change
 * never pulls the ground from under the user. path may change (filters), so
 * it is a function. Returns a function that polls at once (after a write).
 */
export function keepCurrent(el, path, reload, { what = t('ui.list'), every = POLL_MS } = {}) {
  let etag = '';
  let watched = '';
  let timer = 0;
  let delay = every;
  let running = false;
  const stop = () => { clearTimeout(timer); timer = 0; document.removeEventListener('visibilitychange', onVisibility); };
  const schedule = (ms) => { clearTimeout(timer); timer = setTimeout(tick, ms); };
  function busy() {
    if (document.querySelector('dialog[open]')) return true;
    if (el.querySelector('[aria-expanded="true"]')) return true;
    const a = document.activeElement;
    return !!(a && a !== document.body && el.contains(a) && a.closest('tr'));
  }
  async function tick() {
    timer = 0;
    if (!el.isConnected) { stop(); return; }
    if (document.visibilityState === 'hidden' || running) return;
    running = true;
    try {
      const p = path();
      if (p !== watched) { watched = p; etag = ''; }
      const first = !etag;
      const r = await revalidate(p, etag);
      delay = every;
      if (r.changed && !first) {
        if (busy()) {
          // Not taken yet: the tag stays old, so the next poll sees the change again.
          return;
        }
        const before = signatures(el);
        await reload();
        highlight(el, before, what);
      }
      etag = r.etag;
    } catch (err) {
      if (err.handled) { stop(); return; }
      delay = Math.min(delay * 2, POLL_MAX_MS);
    } finally {
      running = false;
      if (el.isConnected && document.visibilityState !== 'hidden' && !timer) schedule(delay);
    }
  }
  function onVisibility() {
    if (!el.isConnected) { stop(); return; }
    if (document.visibilityState === 'hidden') { clearTimeout(timer); timer = 0; } else schedule(0);
  }
  document.addEventListener('visibilitychange', onVisibility);
  schedule(0);
  return () => { if (!running) schedule(0); };
}

function rowKey(tr) {
  return tr.dataset.key || tr.cells[0]?.textContent || '';
}

function signatures(el) {
  return new Map([...el.querySelectorAll('tbody tr')].map((tr) => [rowKey(tr), tr.textContent]));
}

// highlight marks rows that are new or whose text changed since before.
function highlight(el, before, what) {
  const names = [];
  for (const tr of el.querySelectorAll('tbody tr')) {
    const k = rowKey(tr);
    if (before.get(k) === tr.textContent) continue;
    tr.classList.add('row-changed');
    tr.addEventListener('animationend', () => tr.classList.remove('row-changed'), { once: true });
    names.push(tr.dataset.name || tr.cells[0]?.firstElementChild?.textContent || tr.cells[0]?.textContent || '');
  }
  if (names.length) {
    const first = names.slice(0, 3).join(', ');
    tell(t('ui.updated', { what, names: names.length > 3 ? t('ui.andMore', { names: first, count: names.length - 3 }) : first }));
  }
}
