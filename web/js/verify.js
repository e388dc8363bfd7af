// verify.js — the page of an email verification link, /verify-email#TOKEN.
// Opening it proves the mailbox: the account made from an SMS link then owns
// its address. The token stays in the fragment and is sent only to the API.

import { api } from './api.js';
import { h, setMain, loading } from './ui.js';

const TITLES = {
  verification_used: 'This link has already been used.',
  verification_expired: 'This link has expired.',
  verification_not_found: 'This link is not valid.',
  verification_void: 'This address belongs to another account now.',
};

/** renderVerify confirms the address of the link and says what happened. */
export async function renderVerify() {
  document.title = 'Confirm your email · Guestbridge';
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) return page('This link is incomplete.', 'Open the link from the email again, exactly as you received it.');
  setMain(loading('your confirmation'));
  try {
    const r = await api('POST', `/email-verifications/${encodeURIComponent(tok)}`, {}, { auth: false });
    history.replaceState(null, '', '/verify-email');
    page('Your email address is confirmed.', `${r.email} is now your account's address: sign in with it and your password.`);
  } catch (err) {
    history.replaceState(null, '', '/verify-email');
    page(TITLES[err.code] || 'The address cannot be confirmed.', err.message);
  }
}

function page(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'status' },
    h('h1', { text: title }), text ? h('p', { text }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: 'Go to sign-in' })));
}
