// invite.js — the invitation page at /invite#TOKEN. The token stays in the
// fragment, which browsers never send to servers, and is sent only in the API
// paths that need it.

import { t, tx } from './i18n.js';
import { api } from './api.js';
import { h, when, fmt, field, errorBox, setMain, loading, showFormError, clearFormError, checkForm, invalid, openDialog } from './ui.js';

const LINK_ERRORS = {
  link_expired: 'link.expired',
  link_used: 'link.used',
  link_not_found: 'link.notFound',
  // A text message cannot prove an existing account, nor claim an address
  // another SMS-made account waits to verify.
  email_link_required: 'invite.needsEmail',
  email_unverified: 'invite.needsEmail',
};

/** renderInvite loads the invitation preview and shows the accept / decline form. */
export async function renderInvite({ onAccepted }) {
  document.title = `${t('invite.title')} · Guestbridge`;
  const linkToken = decodeURIComponent(location.hash.slice(1));
  if (!linkToken) return fullPage(t('link.incomplete'), t('invite.openAgain'));
  setMain(h('h1', { class: 'visually-hidden', text: t('invite.title') }), loading(t('invite.loading')));
  const base = `/invitations/${encodeURIComponent(linkToken)}`;
  let p;
  try {
    p = await api('GET', base, undefined, { auth: false });
  } catch (err) {
    return linkError(err);
  }

  const email = p.channel === 'email';
  const needsPassword = p.passwordRequired || p.accountExists || email;
  const cases = p.caseTitles || [];
  const company = p.kind === 'company';
  const role = p.roleName || t('invite.roleGuest');
  const summary = h('div', { class: 'invite-summary' },
    h('p', { class: 'eyebrow', text: t('invite.title') }),
    h('h1', {}, tx('invite.heading', { inviter: h('span', { text: p.inviterName }), org: h('span', { text: p.orgName }) })),
    h('p', {}, p.guestName ? tx('invite.hello', { name: p.guestName }) : t('invite.helloNoName'), ' ',
      company ? tx('invite.asCompanyGuest', { role: h('strong', { text: role }) })
        : cases.length ? tx('invite.toCases', { count: cases.length,
          cases: cases.map((c, i) => [i ? ', ' : '', h('strong', { text: `“${c}”` })]) })
          : t('invite.toSupport')),
    h('dl', { class: 'facts' },
      company ? [h('dt', { text: t('invite.role') }), h('dd', { text: role })] : null,
      h('dt', { text: t('invite.account') }), h('dd', { text: p.email }),
      h('dt', { text: t('invite.accessUntil') }), h('dd', {}, when(p.validUntil)),
      h('dt', { text: t('invite.linkUntil') }), h('dd', {}, when(p.linkExpiresAt))));

  const pw = h('input', { type: 'password', minlength: 10, 'data-field': 'password', autocomplete: p.accountExists ? 'current-password' : 'new-password' });
  const confirm = h('input', { type: 'password', autocomplete: 'new-password', 'data-field': 'confirm' });
  const name = h('input', { type: 'text', value: p.guestName || '', maxlength: 120, autocomplete: 'name', 'data-field': 'name' });
  const fields = [];
  let intro;
  if (p.accountExists) {
    pw.minLength = 1;
    pw.required = true;
    intro = t('invite.existing', { email: p.email });
    fields.push(field(t('invite.currentPassword'), pw));
  } else {
    fields.push(field(t('invite.yourName'), name));
    if (needsPassword) {
      intro = t('invite.choosePassword');
      pw.required = confirm.required = true;
    } else {
      intro = t('invite.noPassword', { linkUntil: fmt(p.linkExpiresAt), until: fmt(p.validUntil) });
    }
    fields.push(field(needsPassword ? t('field.password') : t('invite.passwordOptional'), pw, t('field.passwordHint')),
      field(t('field.confirmPassword'), confirm));
  }

  // Without a required password the one accept button says what it will do.
  const acceptBtn = h('button', { type: 'submit', class: 'btn primary' });
  const label = () => { acceptBtn.textContent = t(needsPassword ? 'invite.accept' : pw.value ? 'invite.acceptSetPassword' : 'invite.continueNoPassword'); };
  label();
  pw.addEventListener('input', label);
  const declineBtn = h('button', { type: 'button', class: 'btn ghost', text: t('invite.decline') });
  const form = h('form', { class: 'card', novalidate: true }, h('p', { text: intro }), fields, errorBox(),
    h('div', { class: 'actions split' }, declineBtn, acceptBtn));

  async function accept(withPassword) {
    clearFormError(form);
    const busy = [acceptBtn, declineBtn];
    busy.forEach((b) => { b.disabled = true; });
    try {
      const body = {};
      if (withPassword) {
        checkForm(form);
        if (!pw.value) throw invalid(pw, t('invite.enterPassword'));
        if (!p.accountExists && pw.value !== confirm.value) throw invalid(confirm, t('field.passwordMismatch'));
        body.password = pw.value;
      }
      if (!p.accountExists && name.value.trim() && name.value.trim() !== p.guestName) body.name = name.value.trim();
      const s = await api('POST', `${base}/accept`, body, { auth: false });
      onAccepted(s);
    } catch (err) {
      if (err.status === 404 || err.status === 410 || err.code === 'guest_ended' || err.code === 'guest_expired') linkError(err);
      else showFormError(form, err);
    } finally { busy.forEach((b) => { b.disabled = false; }); }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); accept(needsPassword || pw.value !== '' || confirm.value !== ''); });
  declineBtn.addEventListener('click', () => openDialog({
    title: t('invite.declineTitle'), submitLabel: t('invite.decline'), danger: true,
    body: h('p', {}, tx('invite.declineText', { org: h('span', { text: p.orgName }) })),
    onSubmit: async () => {
      try {
        await api('POST', `${base}/decline`, {}, { auth: false });
      } catch (err) {
        if (err.status === 404 || err.status === 410) { linkError(err); return; }
        throw err;
      }
      history.replaceState(null, '', '/invite');
      fullPage(t('invite.declined'), t('invite.declinedText', { org: p.orgName }), false);
    },
  }));

  setMain(h('div', { class: 'invite' }, summary, form));
}

function linkError(err) {
  const title = LINK_ERRORS[err.code] && t(LINK_ERRORS[err.code]);
  if (title) history.replaceState(null, '', '/invite');
  return fullPage(title || t('invite.cannotOpen'), title ? (err.message !== title ? err.message : '') : err.message, true);
}

function fullPage(title, text, showHelp = true) {
  setMain(h('div', { class: 'card narrow full-message', role: 'alert' },
    h('h1', { text: title }),
    text ? h('p', { text }) : null,
    showHelp ? h('p', { class: 'muted', text: t('invite.askNew') }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: t('link.toSignIn') })));
}
