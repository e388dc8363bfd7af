// invite.js — the invitation page at /invite#TOKEN. The token stays in the
// fragment, which browsers never send to servers, and is sent only in the API
// paths that need it.

import { api } from './api.js';
import { h, when, fmt, field, errorBox, setMain, loading, showFormError, clearFormError, checkForm, invalid, openDialog } from './ui.js';

const LINK_ERRORS = {
  link_expired: 'Your link has expired.',
  link_used: 'This link has already been used.',
  link_not_found: 'This link is not valid.',
  // A text message cannot prove an existing account, nor claim an address
  // another SMS-made account waits to verify.
  email_link_required: 'This invitation needs to come by email.',
  email_unverified: 'This invitation needs to come by email.',
};

/** renderInvite loads the invitation preview and shows the accept / decline form. */
export async function renderInvite({ onAccepted }) {
  document.title = 'Invitation · Guestbridge';
  const linkToken = decodeURIComponent(location.hash.slice(1));
  if (!linkToken) return fullPage('This link is incomplete.', 'Open the link from your invitation again, exactly as you received it.');
  setMain(h('h1', { class: 'visually-hidden', text: 'Invitation' }), loading('your invitation'));
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
  const role = p.roleName || 'guest';
  const summary = h('div', { class: 'invite-summary' },
    h('p', { class: 'eyebrow', text: 'Invitation' }),
    h('h1', {}, h('span', { text: p.inviterName }), ' invites you to ', h('span', { text: p.orgName })),
    company
      ? h('p', {}, `Hello ${p.guestName || ''}`.trim(), '. You are invited as a guest of the company, as ', h('strong', { text: role }),
        ': you will see and work on the devices they share with you. You will find the company under “Companies”.')
      : h('p', {}, `Hello ${p.guestName || ''}`.trim(), '. You are invited as a guest to ',
        cases.length === 1 ? 'the case ' : cases.length ? 'the cases ' : 'their support work',
        cases.map((t, i) => [i ? ', ' : '', h('strong', { text: `“${t}”` })]), '.'),
    h('dl', { class: 'facts' },
      company ? [h('dt', { text: 'Role' }), h('dd', { text: role })] : null,
      h('dt', { text: 'Your account' }), h('dd', { text: p.email }),
      h('dt', { text: 'Access until' }), h('dd', {}, when(p.validUntil)),
      h('dt', { text: 'This link works until' }), h('dd', {}, when(p.linkExpiresAt))));

  const pw = h('input', { type: 'password', minlength: 10, 'data-field': 'password', autocomplete: p.accountExists ? 'current-password' : 'new-password' });
  const confirm = h('input', { type: 'password', autocomplete: 'new-password', 'data-field': 'confirm' });
  const name = h('input', { type: 'text', value: p.guestName || '', maxlength: 120, autocomplete: 'name', 'data-field': 'name' });
  const fields = [];
  let intro;
  if (p.accountExists) {
    pw.minLength = 1;
    pw.required = true;
    intro = `You already have an account for ${p.email}. Confirm with your current password.`;
    fields.push(field('Your current password', pw));
  } else {
    fields.push(field('Your name', name));
    if (needsPassword) {
      intro = 'Choose a password for your guest account.';
      pw.required = confirm.required = true;
    } else {
      intro = `You can continue without a password: you are then signed in here for 24 hours (until ${fmt(p.linkExpiresAt)}). `
        + `Set a password to use your account until ${fmt(p.validUntil)}.`;
    }
    fields.push(field(needsPassword ? 'Password' : 'Password (optional)', pw, 'At least 10 characters.'), field('Confirm password', confirm));
  }

  // Without a required password the one accept button says what it will do.
  const acceptBtn = h('button', { type: 'submit', class: 'btn primary' });
  const label = () => { acceptBtn.textContent = needsPassword ? 'Accept' : pw.value ? 'Accept and set password' : 'Continue without password'; };
  label();
  pw.addEventListener('input', label);
  const declineBtn = h('button', { type: 'button', class: 'btn ghost', text: 'Decline' });
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
        if (!pw.value) throw invalid(pw, 'Enter a password, or continue without one.');
        if (!p.accountExists && pw.value !== confirm.value) throw invalid(confirm, 'The passwords do not match.');
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
    title: 'Decline the invitation?', submitLabel: 'Decline', danger: true,
    body: h('p', {}, h('span', { text: p.orgName }), ' will be told that you declined. The link stops working.'),
    onSubmit: async () => {
      try {
        await api('POST', `${base}/decline`, {}, { auth: false });
      } catch (err) {
        if (err.status === 404 || err.status === 410) { linkError(err); return; }
        throw err;
      }
      history.replaceState(null, '', '/invite');
      fullPage('You declined the invitation.', `${p.orgName} has been told. You can close this page.`, false);
    },
  }));

  setMain(h('div', { class: 'invite' }, summary, form));
}

function linkError(err) {
  const title = LINK_ERRORS[err.code];
  if (title) history.replaceState(null, '', '/invite');
  return fullPage(title || 'This invitation cannot be opened.', title ? (err.message !== title ? err.message : '') : err.message, true);
}

function fullPage(title, text, showHelp = true) {
  setMain(h('div', { class: 'card narrow full-message', role: 'alert' },
    h('h1', { text: title }),
    text ? h('p', { text }) : null,
    showHelp ? h('p', { class: 'muted', text: 'Ask the person who invited you to send a new invitation.' }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: 'Go to sign-in' })));
}
