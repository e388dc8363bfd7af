// app.js — starts the client: routing, sign-in, the header with the company
// switcher, and the hand-off to the member, guest, invitation and live session screens.

import { api, token, onAuthLost } from './api.js';
import { h, field, errorBox, setMain, showFormError, clearFormError, checkForm, closeDialogs, announce, loading, failure, confirmDialog } from './ui.js';
import { renderMember } from './member.js';
import { renderGuest } from './guest.js';
import { renderInvite } from './invite.js';
import { renderVerify } from './verify.js';
import { renderCompanies } from './companies.js';
import { renderSession } from './session.js';
import { renderJoin } from './join.js';
import { closeLive } from './rtc.js';

const header = document.getElementById('app-header');
let ctx = null; // {me, membership, guestKind, orgName, can(privilege), reload(message)}
let flash = ''; // a confirmation shown once on the next screen

/** navigate changes the client-side route (never with a token in it) and renders it. */
export function navigate(path, replace = false) {
  history[replace ? 'replaceState' : 'pushState'](null, '', path);
  route();
}

/** startSession stores a token from login, switch or accept and opens the app. */
export function startSession(session, path = '/', message = '') {
  token.set(session.token);
  flash = message;
  ctx = null;
  navigate(path, true);
}

function signOut(message) {
  closeLive();
  token.clear();
  ctx = null;
  closeDialogs();
  history.replaceState(null, '', '/');
  signIn(message);
  if (!message) announce('You are signed out.');
}

onAuthLost((err) => signOut(err.message));
window.addEventListener('popstate', () => route());
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});

const brand = () => h('a', { href: '/', class: 'brand', 'data-nav': true }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Guestbridge');

async function route() {
  closeLive();
  if (location.pathname === '/join') {
    header.replaceChildren(brand());
    return renderJoin();
  }
  if (location.pathname === '/verify-email') {
    header.replaceChildren(brand());
    return renderVerify();
  }
  if (location.pathname === '/invite') {
    header.replaceChildren(brand());
    return renderInvite({ onAccepted: (s) => startSession(s, '/') });
  }
  if (!token.get()) return signIn();
  if (!ctx) {
    setMain(loading('your account'));
    try {
      ctx = await loadContext();
    } catch (err) {
      if (err.handled) return;
      header.replaceChildren(brand());
      setMain(h('h1', { text: 'Guestbridge' }), failure(err, () => route()));
      return;
    }
    renderHeader();
  }
  const companies = header.querySelector('a.companies');
  if (location.pathname === '/companies') companies?.setAttribute('aria-current', 'page'); else companies?.removeAttribute('aria-current');
  if (location.pathname === '/companies') renderCompanies(ctx);
  else if (location.pathname.startsWith('/session/') && ctx.me.actingOrg.kind === 'member') {
    renderSession(ctx, decodeURIComponent(location.pathname.slice('/session/'.length)));
  } else if (ctx.me.actingOrg.kind === 'guest') renderGuest(ctx); else renderMember(ctx);
  if (flash) {
    document.getElementById('main').prepend(h('p', { class: 'notice ok', text: flash }));
    announce(flash);
    flash = '';
  }
}

async function loadContext() {
  const me = await api('GET', '/me');
  const acting = me.actingOrg;
  const membership = (me.memberships || []).find((m) => m.orgId === acting.orgId && m.kind === acting.kind) || {};
  const privileges = new Set(acting.privileges || []);
  return {
    me, membership,
    guestKind: acting.kind === 'guest' ? acting.guestKind || membership.guestKind || 'case' : '',
    orgName: acting.orgName || membership.orgName || acting.orgId,
    can: (p) => privileges.has(p),
    reload: (message = '') => { flash = message; ctx = null; route(); },
    navigate, startSession,
  };
}

function renderHeader() {
  const { me, orgName } = ctx;
  const acting = me.actingOrg;
  // Custom roles have ids, not names, here: they show as "Member".
  const role = acting.kind === 'guest' ? (ctx.guestKind === 'company' ? 'Guest of the company' : 'Guest')
    : ({ admin: 'Admin', technician: 'Technician' })[acting.role] || 'Member';
  const usable = (me.memberships || []).filter((m) => !(m.kind === 'guest' && m.status && m.status !== 'active'));
  const parts = [brand(), h('div', { class: 'acting' }, h('span', { class: 'muted', text: 'Acting in' }),
    usable.length > 1 ? switcher(usable, acting) : h('strong', { text: orgName }), h('span', { class: 'tag', text: role }))];
  const pending = h('span', { class: 'count', hidden: true });
  const companies = h('a', { href: '/companies', 'data-nav': true, class: 'companies' }, 'Companies', pending);
  api('GET', '/me/invitations').then(({ invitations = [] }) => {
    const n = invitations.filter((i) => i.status === 'pending').length;
    if (!n) return;
    pending.hidden = false;
    pending.replaceChildren(h('span', { 'aria-hidden': 'true', text: String(n) }), h('span', { class: 'visually-hidden', text: ` (${n} pending)` }));
  }).catch(() => {});
  parts.push(h('div', { class: 'user' }, companies, h('span', { class: 'user-name', text: me.user.name || me.user.email }),
    h('button', { type: 'button', class: 'btn ghost', text: 'Sign out', onclick: () => signOut() }),
    h('button', { type: 'button', class: 'btn ghost', text: 'Sign out everywhere', onclick: (e) => confirmDialog({
      title: 'Sign out everywhere?', submitLabel: 'Sign out everywhere', opener: e.currentTarget,
      text: 'Every session of your account ends at once, on this device and all others.',
      run: async () => { await api('POST', '/me/sign-out-everywhere'); signOut('You are signed out everywhere.'); },
    }) })));
  header.replaceChildren(...parts);
}

function switcher(memberships, acting) {
  const select = h('select', { id: 'org-switch' }, memberships.map((m) => h('option', {
    value: m.orgId, selected: m.orgId === acting.orgId,
  }, m.orgName || m.orgId, m.kind === 'guest' ? ' (guest)' : '')));
  const form = h('form', { class: 'switcher' }, h('label', { class: 'visually-hidden', for: 'org-switch', text: 'Company' }),
    select, h('button', { type: 'submit', class: 'btn small', text: 'Switch' }), errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (select.value === acting.orgId) return;
    try {
      startSession(await api('POST', '/auth/switch', { orgId: select.value }), '/');
      announce('Switched company.');
    } catch (err) { showFormError(form, err); }
  });
  return form;
}

function signIn(message) {
  header.replaceChildren(brand());
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-field': 'email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-field': 'password' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: 'Sign in' });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { text: 'Sign in' }),
    h('p', { class: 'muted', text: 'Guest access for remote support.' }),
    field('Email', email), field('Password', password), errorBox(), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    try {
      checkForm(form);
      const s = await api('POST', '/auth/login', { email: email.value.trim(), password: password.value }, { auth: false });
      startSession(s, location.pathname);
    } catch (err) {
      showFormError(form, err);
      if (err.code === 'invalid_credentials') { password.value = ''; }
    } finally { submit.disabled = false; }
  });
  setMain(form);
  email.focus();
  if (message) form.querySelector('.form-error').textContent = message;
}

route();
