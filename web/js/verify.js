// verify.js — the page of an email verification link, /verify-email#TOKEN.
// Opening it proves the mailbox: the account made from an SMS link then owns
// its address. The token stays in the fragment and is sent only to the API.

import { t } from './i18n.js';
import { api } from './api.js';
import { h, setMain, loading } from './ui.js';

const TITLES = {
  verification_used: 'link.used',
  verification_expired: 'link.expiredShort',
  verification_not_found: 'link.notFound',
  verification_void: 'verify.void',
};

/** renderVerify confirms the address of the link and says what happened. */
export async function renderVerify() {
  document.title = `${t('verify.title')} · Guestbridge`;
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) return page(t('link.incomplete'), t('verify.openAgain'));
  setMain(loading(t('verify.loading')));
  try {
    const r = await api('POST', `/email-verifications/${encodeURIComponent(tok)}`, {}, { auth: false });
    history.replaceState(null, '', '/verify-email');
    page(t('verify.done'), t('verify.doneText', { email: r.email }));
  } catch (err) {
    history.replaceState(null, '', '/verify-email');
    page(TITLES[err.code] ? t(TITLES[err.code]) : t('verify.failed'), err.message);
  }
}

function page(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'status' },
    h('h1', { text: title }), text ? h('p', { text }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: t('link.toSignIn') })));
}
