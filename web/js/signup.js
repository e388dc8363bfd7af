// signup.js — starting a company: /signup asks for the company's and the
// first admin's details and mails a verification link; /signup-confirm#TOKEN
// is that link's page, where pressing Create makes the account, the company
// and its admin (opening the link alone makes nothing). The token stays in
// the fragment and is sent only to the API.

import { t, tx, getLang } from './i18n.js';
import { api } from './api.js';
import { h, setMain, loading, when, field, errorBox, showFormError, clearFormError, checkForm } from './ui.js';

/** renderSignup shows the sign-up form and, once sent, where the link went. */
export function renderSignup() {
  document.title = `${t('signup.title')} · Guestbridge`;
  const company = h('input', { type: 'text', required: true, maxlength: 120, autocomplete: 'organization', 'data-field': 'companyName' });
  const name = h('input', { type: 'text', required: true, maxlength: 120, autocomplete: 'name', 'data-field': 'name' });
  const email = h('input', { type: 'email', required: true, autocomplete: 'email', 'data-field': 'email' });
  const pw = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-field': 'password' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: t('signup.submit') });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { text: t('signup.title') }),
    h('p', { class: 'muted', text: t('signup.intro') }),
    field(t('signup.company'), company), field(t('signup.name'), name), field(t('field.email'), email),
    field(t('signup.password'), pw, t('signup.passwordHint')),
    errorBox(), submit,
    h('p', { class: 'muted' }, h('a', { href: '/', 'data-nav': true, text: t('signup.haveAccount') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    try {
      checkForm(form);
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const r = await api('POST', '/signup', {
        companyName: company.value.trim(), name: name.value.trim(), email: email.value.trim(), password: pw.value,
        language: getLang(), timeZone: zone,
      }, { auth: false });
      setMain(h('div', { class: 'card narrow full-message', role: 'status' },
        h('h1', { text: t('signup.checkMail') }),
        h('p', {}, tx('signup.sentTo', { email: h('strong', { text: r.email }), until: when(r.expiresAt) }))));
    } catch (err) {
      showFormError(form, err);
    } finally { submit.disabled = false; }
  });
  setMain(form);
  company.focus();
}

const TITLES = { signup_used: 'signup.usedTitle', signup_expired: 'link.expiredShort', signup_not_found: 'link.notFound' };

/** renderSignupConfirm shows the pending company and creates it on a press. */
export async function renderSignupConfirm({ onCreated }) {
  document.title = `${t('signup.title')} · Guestbridge`;
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) return page(t('link.incomplete'), t('signup.openAgain'));
  const path = `/signups/${encodeURIComponent(tok)}`;
  setMain(loading(t('signup.loading')));
  let p;
  try {
    p = await api('GET', path, undefined, { auth: false });
  } catch (err) {
    return failed(err);
  }
  const create = h('button', { type: 'button', class: 'btn primary', text: t('signup.create') });
  create.addEventListener('click', async () => {
    create.disabled = true;
    try {
      const s = await api('POST', `${path}/confirm`, {}, { auth: false });
      history.replaceState(null, '', '/');
      onCreated(s);
    } catch (err) {
      failed(err);
    } finally { create.disabled = false; }
  });
  setMain(h('div', { class: 'card narrow' },
    h('p', { class: 'eyebrow', text: t('signup.title') }),
    h('h1', {}, tx('signup.question', { company: h('strong', { text: p.companyName }) })),
    h('dl', { class: 'facts' },
      h('dt', { text: t('signup.name') }), h('dd', { text: p.name }),
      h('dt', { text: t('field.email') }), h('dd', { text: p.email }),
      h('dt', { text: t('joinCompany.linkUntil') }), h('dd', {}, when(p.expiresAt))),
    h('div', { class: 'actions' }, create)));
  create.focus();
}

function failed(err) {
  if (TITLES[err.code]) history.replaceState(null, '', '/signup-confirm');
  page(TITLES[err.code] ? t(TITLES[err.code]) : t('signup.failed'), err.message);
}

function page(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'status' },
    h('h1', { text: title }), text ? h('p', { text }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: t('link.toSignIn') })));
}
