// verify.js — the page of an email verification link, /verify-email#TOKEN.
// Opening it only shows what confirming would do: mail scanners open links,
// and whoever asked for the mail need not own the mailbox (anyone holding a
// phone can make an account for a stranger's address from an SMS link). The
// address becomes the account's only when its owner presses Confirm; "This
// was not me" voids the link. The token stays in the fragment and is sent
// only to the API.

import { t, tx } from './i18n.js';
import { api } from './api.js';
import { h, setMain, loading, when } from './ui.js';

const TITLES = {
  verification_used: 'link.used',
  verification_expired: 'link.expiredShort',
  verification_not_found: 'link.notFound',
  verification_void: 'verify.void',
  verification_declined: 'verify.declinedShort',
};

/** renderVerify shows whose account and whose request the link is, and confirms only on a press. */
export async function renderVerify() {
  document.title = `${t('verify.title')} · Guestbridge`;
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) return page(t('link.incomplete'), t('verify.openAgain'));
  const path = `/email-verifications/${encodeURIComponent(tok)}`;
  setMain(loading(t('verify.loading')));
  let p;
  try {
    p = await api('GET', path, undefined, { auth: false });
  } catch (err) {
    return failed(err);
  }

  const confirmBtn = h('button', { type: 'button', class: 'btn primary', text: t('verify.confirm') });
  const notMeBtn = h('button', { type: 'button', class: 'btn ghost', text: t('verify.notMe') });
  const busy = (on) => { confirmBtn.disabled = notMeBtn.disabled = on; };
  const act = (run) => async () => {
    busy(true);
    try {
      await run();
    } catch (err) {
      failed(err);
    } finally { busy(false); }
  };
  confirmBtn.addEventListener('click', act(async () => {
    const r = await api('POST', path, {}, { auth: false });
    history.replaceState(null, '', '/verify-email');
    page(t('verify.done'), t('verify.doneText', { email: r.email }));
  }));
  notMeBtn.addEventListener('click', act(async () => {
    await api('POST', `${path}/decline`, {}, { auth: false });
    history.replaceState(null, '', '/verify-email');
    page(t('verify.declined'), t('verify.declinedText'));
  }));

  setMain(h('div', { class: 'card narrow' },
    h('p', { class: 'eyebrow', text: t('verify.title') }),
    h('h1', { text: t('verify.question') }),
    h('p', {}, p.orgName
      ? tx('verify.fromSms', { email: h('strong', { text: p.email }), org: h('strong', { text: p.orgName }) })
      : tx('verify.fromUnknown', { email: h('strong', { text: p.email }) })),
    h('dl', { class: 'facts' },
      h('dt', { text: t('verify.address') }), h('dd', { text: p.email }),
      h('dt', { text: t('verify.accountName') }), h('dd', { text: p.accountName || '—' }),
      p.orgName ? [h('dt', { text: t('verify.createdBy') }), h('dd', { text: p.orgName }),
        h('dt', { text: t('verify.createdAt') }), h('dd', {}, when(p.accountCreatedAt))] : null,
      h('dt', { text: t('verify.linkUntil') }), h('dd', {}, when(p.expiresAt))),
    h('p', { class: 'muted', text: t('verify.warning') }),
    h('div', { class: 'actions split' }, notMeBtn, confirmBtn)));
}

function failed(err) {
  // A link that can no longer be used leaves the address bar; after anything
  // else (a rate limit, a network error) the link is still good to open again.
  if (TITLES[err.code]) history.replaceState(null, '', '/verify-email');
  page(TITLES[err.code] ? t(TITLES[err.code]) : t('verify.failed'), err.message);
}

function page(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'status' },
    h('h1', { text: title }), text ? h('p', { text }) : null,
    h('a', { href: '/', 'data-nav': true, class: 'btn', text: t('link.toSignIn') })));
}
