// joinCompany.js — the page of a member invitation link, /join-company#TOKEN.
// Opening it shows who invites whom into which company and role, and uses
// nothing. An address that has an account joins with that account's
// password; otherwise the person names themselves and chooses a password,
// and the account is made with the membership. The token stays in the
// fragment and is sent only to the API.

import { t, tx } from './i18n.js';
import { api } from './api.js';
import { h, setMain, loading, when, field, errorBox, showFormError, clearFormError, checkForm } from './ui.js';

const TITLES = {
  member_invitation_used: 'link.used',
  member_invitation_expired: 'link.expiredShort',
  member_invitation_not_found: 'link.notFound',
};

/** renderJoinCompany shows the invitation and accepts it with an account's password or a new account. */
export async function renderJoinCompany({ onAccepted }) {
  document.title = `${t('joinCompany.title')} · Guestbridge`;
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) return page(t('link.incomplete'), t('joinCompany.openAgain'));
  const path = `/member-invitations/${encodeURIComponent(tok)}`;
  setMain(loading(t('joinCompany.loading')));
  let p;
  try {
    p = await api('GET', path, undefined, { auth: false });
  } catch (err) {
    return failed(err);
  }
  const pw = h('input', { type: 'password', required: true, 'data-field': 'password',
    autocomplete: p.hasAccount ? 'current-password' : 'new-password', minlength: p.hasAccount ? null : 10 });
  const name = h('input', { type: 'text', required: true, maxlength: 120, autocomplete: 'name', 'data-field': 'name', value: p.name || '' });
  const submit = h('button', { type: 'submit', class: 'btn primary', text: t(p.hasAccount ? 'joinCompany.join' : 'joinCompany.create') });
  const form = h('form', { novalidate: true },
    p.hasAccount ? null : field(t('joinCompany.name'), name),
    field(t(p.hasAccount ? 'joinCompany.password' : 'joinCompany.newPassword'), pw,
      t(p.hasAccount ? 'joinCompany.passwordHint' : 'joinCompany.newPasswordHint', { email: p.email })),
    errorBox(),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    try {
      checkForm(form);
      const body = p.hasAccount ? { password: pw.value } : { password: pw.value, name: name.value.trim() };
      const s = await api('POST', `${path}/accept`, body, { auth: false });
      history.replaceState(null, '', '/');
      onAccepted(s);
    } catch (err) {
      if (TITLES[err.code]) failed(err); else showFormError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  setMain(h('div', { class: 'card narrow' },
    h('p', { class: 'eyebrow', text: t('joinCompany.title') }),
    h('h1', {}, tx('joinCompany.question', { org: h('strong', { text: p.orgName }) })),
    h('p', {}, tx('joinCompany.invitedBy', { inviter: h('strong', { text: p.inviterName || t('joinCompany.someone') }),
      role: h('strong', { text: p.roleName }) })),
    h('dl', { class: 'facts' },
      h('dt', { text: t('members.email') }), h('dd', { text: p.email }),
      h('dt', { text: t('joinCompany.linkUntil') }), h('dd', {}, when(p.expiresAt))),
    form));
  (p.hasAccount ? pw : name).focus();
}

function failed(err) {
  if (TITLES[err.code]) history.replaceState(null, '', '/join-company');
  page(TITLES[err.code] ? t(TITLES[err.code]) : t('joinCompany.failed'), err.message);
}

function page(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'status' },
    h('h1', { text: title }), text ? h('p', { text }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: t('link.toSignIn') })));
}
