// app.js — starts the client: routing, sign-in, the header with the company
// switcher, and the hand-off to the member, guest, invitation and live session screens.

import { api, token, onAuthLost, orgPath } from './api.js';
import { t, getLang, setLang, LANGS, LANG_NAMES, setTimeZone, onLangChange, translateStatic } from './i18n.js';
import { h, field, errorBox, setMain, showFormError, clearFormError, checkForm, closeDialogs, announce, loading, failure, confirmDialog } from './ui.js';
import { renderMember } from './member.js';
import { renderGuest } from './guest.js';
import { renderInvite } from './invite.js';
import { renderVerify } from './verify.js';
import { renderJoinCompany } from './joinCompany.js';
import { renderSignup, renderSignupConfirm } from './signup.js';
import { renderCompanies } from './companies.js';
import { renderSession } from './session.js';
import { renderJoin } from './join.js';
import { closeLive, liveOpen } from './rtc.js';

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
  if (!message) announce(t('app.signedOut'));
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

/** langSwitch is the header's DE | EN choice; the current language is pressed. */
function langSwitch() {
  return h('div', { class: 'lang-switch', role: 'group', 'aria-label': t('app.language') }, LANGS.map((l, i) => [
    i ? h('span', { class: 'sep', 'aria-hidden': 'true', text: '|' }) : null,
    h('button', { type: 'button', class: 'btn ghost small', lang: l, 'aria-pressed': String(l === getLang()),
      title: LANG_NAMES[l], text: l.toUpperCase(), onclick: () => setLang(l) })]));
}

// A switch renders the page again in the new language; the session and the
// route stay, and focus returns to the switch that was pressed.
onLangChange(async (lang) => {
  translateStatic();
  if (ctx) renderHeader();
  // A live session is not left for a language: rendering its page again would
  // disconnect everyone on it and use up a guest's single-use link. Its words
  // marked data-i18n were translated in place above.
  if (!liveOpen()) await route();
  else if (location.pathname === '/join') bare();
  header.querySelector(`.lang-switch [lang="${lang}"]`)?.focus();
});
translateStatic();

/** bare is the header of the pages without an account: the brand and the language switch. */
const bare = () => header.replaceChildren(brand(), h('div', { class: 'user' }, langSwitch()));

async function route() {
  closeLive();
  if (location.pathname === '/join') {
    bare();
    return renderJoin();
  }
  if (location.pathname === '/verify-email') {
    bare();
    return renderVerify();
  }
  if (location.pathname === '/signup' && !token.get()) {
    bare();
    return renderSignup();
  }
  if (location.pathname === '/signup-confirm') {
    bare();
    return renderSignupConfirm({ onCreated: (s) => startSession(s, '/', t('signup.welcome', { company: s.actingOrg?.orgName || '' })) });
  }
  if (location.pathname === '/join-company') {
    bare();
    return renderJoinCompany({ onAccepted: (s) => startSession(s, '/', t('joinCompany.welcome', { org: s.actingOrg?.orgName || '' })) });
  }
  if (location.pathname === '/invite') {
    bare();
    return renderInvite({ onAccepted: (s) => startSession(s, '/') });
  }
  if (!token.get()) return signIn();
  if (!ctx) {
    setMain(loading(t('app.loadingAccount')));
    try {
      ctx = await loadContext();
    } catch (err) {
      if (err.handled) return;
      bare();
      setMain(h('h1', { text: 'Guestbridge' }), failure(err, () => route()));
      return;
    }
    renderHeader();
  } else if (!header.querySelector('.acting')) renderHeader();
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
  // Dates in the company's time zone: everyone acting in a company may read
  // its settings. Without them dates stay in the browser's zone.
  const org = await api('GET', orgPath(acting.orgId)).catch((err) => { if (err.handled) throw err; return {}; });
  setTimeZone(org && org.timeZone);
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
  const role = acting.kind === 'guest' ? t(ctx.guestKind === 'company' ? 'role.companyGuest' : 'role.guest')
    : t(({ admin: 'role.admin', technician: 'role.technician' })[acting.role] || 'role.member');
  const usable = (me.memberships || []).filter((m) => !(m.kind === 'guest' && m.status && m.status !== 'active'));
  const parts = [brand(), h('div', { class: 'acting' }, h('span', { class: 'muted', text: t('app.actingIn') }),
    usable.length > 1 ? switcher(usable, acting) : h('strong', { text: orgName }), h('span', { class: 'tag', text: role }))];
  const pending = h('span', { class: 'count', hidden: true });
  // A session opened from an SMS link acts only as that guest: the API refuses
  // it "Companies", so the header does not offer them.
  const companies = acting.viaLink ? null : h('a', { href: '/companies', 'data-nav': true, class: 'companies' }, t('app.companies'), pending);
  if (companies) api('GET', '/me/invitations').then(({ invitations = [] }) => {
    const n = invitations.filter((i) => i.status === 'pending').length;
    if (!n) return;
    pending.hidden = false;
    pending.replaceChildren(h('span', { 'aria-hidden': 'true', text: String(n) }), h('span', { class: 'visually-hidden', text: ` ${t('app.pending', { count: n })}` }));
  }).catch(() => {});
  parts.push(h('div', { class: 'user' }, langSwitch(), companies, h('span', { class: 'user-name', text: me.user.name || me.user.email }),
    h('button', { type: 'button', class: 'btn ghost', text: t('app.signOut'), onclick: () => signOut() }),
    h('button', { type: 'button', class: 'btn ghost', text: t('app.signOutAll'), onclick: (e) => confirmDialog({
      title: t('app.signOutAll.title'), submitLabel: t('app.signOutAll'), opener: e.currentTarget,
      text: t('app.signOutAll.text'),
      run: async () => { await api('POST', '/me/sign-out-everywhere'); signOut(t('app.signedOutAll')); },
    }) })));
  header.replaceChildren(...parts);
}

function switcher(memberships, acting) {
  const select = h('select', { id: 'org-switch' }, memberships.map((m) => h('option', {
    value: m.orgId, selected: m.orgId === acting.orgId,
  }, m.orgName || m.orgId, m.kind === 'guest' ? ` ${t('app.asGuest')}` : '')));
  const form = h('form', { class: 'switcher' }, h('label', { class: 'visually-hidden', for: 'org-switch', text: t('app.company') }),
    select, h('button', { type: 'submit', class: 'btn small', text: t('app.switch') }), errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (select.value === acting.orgId) return;
    try {
      startSession(await api('POST', '/auth/switch', { orgId: select.value }), '/');
      announce(t('app.switched'));
    } catch (err) { showFormError(form, err); }
  });
  return form;
}

function signIn(message) {
  bare();
  document.title = `${t('signin.title')} · Guestbridge`;
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-field': 'email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-field': 'password' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: t('signin.submit') });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { text: t('signin.title') }),
    h('p', { class: 'muted', text: t('signin.tagline') }),
    field(t('field.email'), email), field(t('field.password'), password), errorBox(), submit,
    h('p', { class: 'muted signup-link' }, t('signin.noCompany'), ' ', h('a', { href: '/signup', 'data-nav': true, text: t('signin.signup') })));
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
