// guest.js — the view of a guest: a guest on cases sees only their cases, how
// long the access lasts and, for a session opened from an SMS link, the offer
// to set a password; a guest of the company sees the devices in their workspace.

import { t, tx } from './i18n.js';
import { api, token } from './api.js';
import { h, when, fmt, field, errorBox, setMain, showFormError, clearFormError, checkForm, invalid, loading } from './ui.js';
import { casesSection, caseDetail } from './cases.js';
import { devicesSection, scopeOf } from './devices.js';

/** renderGuest shows the guest's cases or one case. */
export function renderGuest(ctx) {
  if (ctx.guestKind === 'company') return renderCompanyGuest(ctx);
  const acting = ctx.me.actingOrg;
  const path = location.pathname;
  const id = path.startsWith('/cases/') ? decodeURIComponent(path.slice('/cases/'.length)) : '';
  if (!id && path !== '/cases') history.replaceState(null, '', '/cases');
  document.title = `${t('guest.yourCases')} · ${ctx.orgName} · Guestbridge`;
  const validUntil = ctx.membership.validUntil || acting.validUntil;
  const parts = [];
  if (acting.viaLink) parts.push(passwordBanner(ctx));
  const intro = h('p', { class: 'muted intro' }, tx('guest.intro', { org: ctx.orgName, until: when(validUntil) }));
  parts.push(id ? caseDetail(ctx, id) : casesSection(ctx, { heading: t('guest.yourCases'), intro }));
  setMain(...parts);
}

function passwordBanner(ctx) {
  const { user, actingOrg } = ctx.me;
  const titleId = 'sms-banner-title';
  const verify = user.emailVerified === false ? verifyHint(user) : null;
  if (user.hasPassword) {
    // A session from a text-message link cannot change a password; signing in
    // with it is what opens the rest of the account.
    return h('aside', { class: 'banner', 'aria-labelledby': titleId },
      h('h2', { id: titleId, text: t('guest.smsSession', { until: fmt(actingOrg.sessionEndsAt) }) }),
      h('p', { text: t('guest.smsSignIn') }), verify);
  }
  const pw = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-field': 'password' });
  const confirm = h('input', { type: 'password', required: true, autocomplete: 'new-password', 'data-field': 'confirm' });
  const btn = h('button', { type: 'submit', class: 'btn primary', text: t('guest.setPassword') });
  const form = h('form', { class: 'banner-form', novalidate: true },
    field(t('guest.newPassword'), pw, t('field.passwordHint')), field(t('field.confirmPassword'), confirm), btn, errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    btn.disabled = true;
    try {
      checkForm(form);
      if (pw.value !== confirm.value) throw invalid(confirm, t('field.passwordMismatch'));
      await api('POST', '/me/password', { password: pw.value });
      // Trade the 24-hour link session for a normal one with the new password.
      const before = token.get();
      try {
        let next = await api('POST', '/auth/login', { email: user.email, password: pw.value }, { auth: false });
        if (next.actingOrg.orgId !== actingOrg.orgId) {
          token.set(next.token);
          next = await api('POST', '/auth/switch', { orgId: actingOrg.orgId });
        }
        ctx.startSession(next, location.pathname, t('guest.passwordSet'));
      } catch {
        if (token.get() !== before) { ctx.reload(); return; }
        form.closest('aside').replaceWith(h('p', { class: 'notice ok', role: 'status',
          text: t('guest.passwordSetEnded') }));
      }
    } catch (err) { showFormError(form, err); } finally { btn.disabled = false; }
  });
  return h('aside', { class: 'banner', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: t('guest.smsSession', { until: fmt(actingOrg.sessionEndsAt) }) }),
    h('p', { text: t('guest.smsSetPassword') }), form, verify);
}

// verifyHint offers the email that proves the account's address: until then
// invitations by email and "Companies" do not reach this account.
function verifyHint(user) {
  const btn = h('button', { type: 'button', class: 'btn', text: t('guest.sendVerification') });
  const status = h('p', { class: 'muted', role: 'status' });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = await api('POST', '/me/email/verification', {});
      status.textContent = t('guest.verificationSent', { email: r.email, until: fmt(r.expiresAt) });
    } catch (err) {
      if (err.handled) return;
      status.textContent = err.message;
      btn.disabled = false;
    }
  });
  return h('div', { class: 'verify-hint' },
    h('p', {}, tx('guest.verifyHint', { email: h('strong', { text: user.email }) })),
    btn, status);
}

/** renderCompanyGuest shows a guest of the company the devices their workspace gives them. */
async function renderCompanyGuest(ctx) {
  const acting = ctx.me.actingOrg;
  if (location.pathname !== '/devices') history.replaceState(null, '', '/devices');
  document.title = `${t('devices.title')} · ${ctx.orgName} · Guestbridge`;
  setMain(h('h1', { class: 'visually-hidden', text: t('devices.title') }), loading(t('guest.loadingAccess')));
  // The workspace decides the privileges per group or device; it comes with the invitation.
  let workspace = null;
  try {
    const { invitations = [] } = await api('GET', '/me/invitations');
    workspace = (invitations.find((i) => i.id === acting.guestId) || {}).workspace || null;
  } catch (err) {
    if (err.handled) return;
  }
  if (location.pathname !== '/devices') return; // navigated away meanwhile
  const own = (ctx.me.memberships || []).find((m) => m.kind === 'member');
  const titleId = 'guest-banner-title';
  const error = errorBox();
  const back = own ? h('button', { type: 'button', class: 'btn primary', text: t('guest.switchBack', { org: own.orgName || own.orgId }) }) : null;
  back?.addEventListener('click', async () => {
    error.textContent = '';
    back.disabled = true;
    try {
      ctx.startSession(await api('POST', '/auth/switch', { orgId: own.orgId }), '/', t('guest.backIn', { org: own.orgName || own.orgId }));
    } catch (err) {
      if (!err.handled) error.textContent = err.message;
      back.disabled = false;
    }
  });
  const banner = h('aside', { class: 'banner info', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: t('guest.companyBanner', { org: ctx.orgName }) }),
    h('p', {}, tx(own ? 'guest.companySeesOwn' : 'guest.companySees', { until: when(ctx.membership.validUntil) })),
    back, error);
  const canAll = !workspace || workspace.mode === 'all';
  setMain(devicesSection(ctx, { privsAt: scopeOf(acting.privileges, workspace), canCreateGroup: canAll && ctx.can('devices.configure'),
    intro: banner }));
}
