// guest.js — the view of a guest: only their cases, how long the access
// lasts, and, for a session opened from an SMS link, the offer to set a password.

import { api, token } from './api.js';
import { h, when, fmt, field, errorBox, setMain, showFormError, clearFormError, checkForm, invalid } from './ui.js';
import { casesSection, caseDetail } from './cases.js';

/** renderGuest shows the guest's cases or one case. */
export function renderGuest(ctx) {
  const acting = ctx.me.actingOrg;
  const path = location.pathname;
  const id = path.startsWith('/cases/') ? decodeURIComponent(path.slice('/cases/'.length)) : '';
  if (!id && path !== '/cases') history.replaceState(null, '', '/cases');
  document.title = `Your cases · ${ctx.orgName} · Guestbridge`;
  const validUntil = ctx.membership.validUntil || acting.validUntil;
  const parts = [];
  if (acting.viaLink) parts.push(passwordBanner(ctx));
  const intro = h('p', { class: 'muted intro' }, `You are a guest of ${ctx.orgName}. Your access is valid until `,
    when(validUntil), '.');
  parts.push(id ? caseDetail(ctx, id) : casesSection(ctx, { heading: 'Your cases', intro }));
  setMain(...parts);
}

function passwordBanner(ctx) {
  const { user, actingOrg } = ctx.me;
  const pw = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-field': 'password' });
  const confirm = h('input', { type: 'password', required: true, autocomplete: 'new-password', 'data-field': 'confirm' });
  const current = h('input', { type: 'password', required: true, autocomplete: 'current-password', 'data-field': 'currentPassword' });
  const btn = h('button', { type: 'submit', class: 'btn primary', text: 'Set password' });
  const titleId = 'sms-banner-title';
  const form = h('form', { class: 'banner-form', novalidate: true },
    user.hasPassword ? field('Your current password', current) : null,
    field('New password', pw, 'At least 10 characters.'), field('Confirm password', confirm), btn, errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    btn.disabled = true;
    try {
      checkForm(form);
      if (pw.value !== confirm.value) throw invalid(confirm, 'The passwords do not match.');
      const body = { password: pw.value };
      if (user.hasPassword) body.currentPassword = current.value;
      await api('POST', '/me/password', body);
      // Trade the 24-hour link session for a normal one with the new password.
      const before = token.get();
      try {
        let next = await api('POST', '/auth/login', { email: user.email, password: pw.value }, { auth: false });
        if (next.actingOrg.orgId !== actingOrg.orgId) {
          token.set(next.token);
          next = await api('POST', '/auth/switch', { orgId: actingOrg.orgId });
        }
        ctx.startSession(next, location.pathname, 'Your password is set: sign in with your email and this password until your guest access ends.');
      } catch {
        if (token.get() !== before) { ctx.reload(); return; }
        form.closest('aside').replaceWith(h('p', { class: 'notice ok', role: 'status',
          text: 'Your password is set: sign in with your email and this password after this session ends.' }));
      }
    } catch (err) { showFormError(form, err); } finally { btn.disabled = false; }
  });
  return h('aside', { class: 'banner', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: `You are signed in from an SMS link until ${fmt(actingOrg.sessionEndsAt)}.` }),
    h('p', { text: 'Set a password to keep your account until your guest access ends.' }), form);
}
