// cases.js — the case list (with "create" for members who may) and the case
// detail page, shared by the member and the guest views.

import { api, orgPath, token } from './api.js';
import { h, when, table, loading, failure, errorBox, field, showFormError, clearFormError, checkForm, announce, openDialog, keepCurrent } from './ui.js';
import { openSession, removedText } from './session.js';
import { languageSelect } from './settings.js';
import { kindLabel, toolLabel } from './live.js';
import { t, tx } from './i18n.js';
import { caseKeeps } from './keep.js';

/** casesSection lists the acting company's cases (a guest gets only theirs). */
export function casesSection(ctx, { heading = t('cases.title'), intro } = {}) {
  const org = ctx.me.actingOrg.orgId;
  const list = h('div', { class: 'list' });
  const parts = [h('div', { class: 'section-head' }, h('h1', { text: heading }))];
  if (intro) parts.push(intro);
  if (ctx.me.actingOrg.kind === 'member') parts.push(sessionInvitations());
  if (ctx.me.actingOrg.kind === 'member' && ctx.can('cases.write')) parts.push(createForm(org, () => load()));
  parts.push(list);

  async function load() {
    list.replaceChildren(loading(t('cases.loading')));
    try {
      const { cases = [] } = await api('GET', orgPath(org, 'cases'));
      if (!cases.length) {
        list.replaceChildren(h('p', { class: 'empty', text: t('cases.empty') }));
        return;
      }
      cases.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      list.replaceChildren(table(t('cases.title'), [t('cases.caseTitle'), t('cases.created')], cases.map((c) => [
        h('a', { href: `/cases/${encodeURIComponent(c.id)}`, 'data-nav': true, text: c.title }),
        when(c.createdAt),
      ])));
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, load));
    }
  }
  load();
  keepCurrent(list, () => orgPath(org, 'cases'), load, { what: t('cases.title') });
  return h('section', { class: 'section' }, parts);
}

function createForm(org, done) {
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, 'data-field': 'title', autocomplete: 'off' });
  const btn = h('button', { type: 'submit', class: 'btn primary', text: t('cases.create') });
  const form = h('form', { class: 'inline-form card', novalidate: true }, field(t('cases.newTitle'), title), btn, errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    btn.disabled = true;
    try {
      checkForm(form);
      const c = await api('POST', orgPath(org, 'cases'), { title: title.value.trim() });
      title.value = '';
      announce(t('cases.createdOne', { title: c.title }));
      done();
    } catch (err) { showFormError(form, err); } finally { btn.disabled = false; }
  });
  return form;
}

/** caseDetail shows one case. */
export function caseDetail(ctx, id) {
  const org = ctx.me.actingOrg.orgId;
  const back = h('a', { href: '/cases', 'data-nav': true, class: 'back', text: `← ${t('cases.all')}` });
  const body = h('div', {}, loading(t('cases.loadingOne')));
  const sec = h('section', { class: 'section' }, back, h('h1', { text: t('cases.case') }),
    ctx.me.actingOrg.kind === 'member' ? sessionInvitations() : null, body);
  (async () => {
    try {
      const c = await api('GET', orgPath(org, 'cases', id));
      sec.querySelector('h1').textContent = c.title;
      document.title = `${c.title} · Guestbridge`;
      body.replaceChildren(h('dl', { class: 'facts card' },
        h('dt', { text: t('cases.created') }), h('dd', {}, when(c.createdAt)),
        h('dt', { text: t('cases.reference') }), h('dd', { class: 'mono', text: c.id })));
      if (ctx.me.actingOrg.kind === 'member' && ctx.can('sessions.start')) {
        body.append(h('div', { class: 'actions start' }, h('button', { type: 'button', class: 'btn primary', text: t('cases.start'),
          onclick: (e) => startDialog(ctx, c, e.currentTarget) })));
      }
      // Snapshots, recordings and notes are the company's own: guests never get them.
      if (ctx.me.actingOrg.kind === 'member' && ctx.can('cases.read')) body.append(...caseKeeps(org, c.id));
      body.append(sessionReports(org, c.id));
    } catch (err) {
      if (!err.handled) body.replaceChildren(failure(err));
    }
  })();
  return sec;
}

/**
 * sessionReports lists the case's past sessions, each with its participants
 * (kind, joined, left, removed and why) and its record of chat and tool
 * messages, as far as the reader may see them; it prints on its own.
 */
function sessionReports(org, caseId) {
  const box = h('section', { class: 'session-reports', 'aria-label': t('cases.reports') }, h('h2', { text: t('cases.sessions') }), loading(t('cases.loadingSessions')));
  const print = h('button', { type: 'button', class: 'btn small no-print', text: t('cases.print'), onclick: () => window.print() });
  (async () => {
    try {
      const { sessions = [] } = await api('GET', orgPath(org, 'cases', caseId, 'sessions'));
      if (!sessions.length) { box.replaceChildren(h('h2', { text: t('cases.sessions') }), h('p', { class: 'empty', text: t('cases.noSessions') })); return; }
      box.replaceChildren(h('div', { class: 'section-head' }, h('h2', { text: t('cases.sessions') }), print), ...sessions.map(report));
    } catch (err) {
      if (!err.handled) box.replaceChildren(h('h2', { text: t('cases.sessions') }), failure(err));
    }
  })();
  return box;
}

function report(s) {
  const people = table(t('session.participants'), [t('session.name'), t('session.kind'), t('session.joined'), t('session.left'), t('session.removed')],
    (s.participants || []).map((p) => [p.name || '—', kindLabel(p.kind), when(p.joinedAt), when(p.leftAt), h('span', { text: removedText(p) })]));
  const lines = (s.record || []).map((r) => h('li', { class: r.tool === 'chat' ? 'rec-chat' : 'rec-tool' },
    when(r.at), ' ', h('strong', { text: r.name || (r.kind ? kindLabel(r.kind) : t('live.someone')) }),
    h('span', { text: r.tool === 'chat' ? `: ${r.text}` : ` · ${toolLabel(r.tool)}${r.text ? ` · ${r.text}` : ''}` })));
  return h('article', { class: 'card session-report', 'data-session': s.id },
    h('h3', {}, s.endedAt ? tx('cases.sessionFromTo', { from: when(s.createdAt), to: when(s.endedAt) })
      : [tx('cases.sessionFrom', { from: when(s.createdAt) }), ' ', h('span', { class: 'badge', text: t('session.live') })]),
    people,
    h('h4', { text: t('cases.record') }),
    lines.length ? h('ol', { class: 'session-record' }, lines) : h('p', { class: 'empty', text: t('cases.noRecord') }));
}

// How often an open page asks whether its technician was invited to a live
// session; an unchanged answer is a 304 without a body.
const INVITATION_POLL_MS = 4000;

/**
 * sessionInvitations is a notice that appears by itself when a colleague
 * invites this technician to a live session, with the way in.
 */
export function sessionInvitations() {
  const box = h('div', { class: 'session-invitations', role: 'status', 'aria-live': 'polite' });
  let etag = '';
  let started = false;
  async function poll() {
    if (started && !box.isConnected) return; // the page was left
    started = true;
    try {
      const headers = { Accept: 'application/json', 'X-Client-Platform': 'web', Authorization: `Bearer ${token.get()}` };
      if (etag) headers['If-None-Match'] = etag;
      const res = await fetch('/v1/me/session-invitations', { headers, cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401 || res.status === 403) return; // signed out: the app shows sign-in
      if (res.status === 200) {
        etag = res.headers.get('ETag') || '';
        const { invitations = [] } = await res.json();
        box.replaceChildren(...invitations.filter((i) => !i.joined).map((i) => h('div', { class: 'card invite-notice' },
          h('p', {}, i.caseTitle
            ? tx('cases.invitedOn', { name: h('strong', { text: i.primaryName || t('cases.colleague') }), case: h('strong', { text: i.caseTitle }) })
            : tx('cases.invited', { name: h('strong', { text: i.primaryName || t('cases.colleague') }) })),
          h('a', { href: `/session/${encodeURIComponent(i.sessionId)}`, 'data-nav': true, class: 'btn primary', text: t('cases.join') }))));
      }
    } catch { /* offline: the next round tries again */ }
    setTimeout(poll, INVITATION_POLL_MS);
  }
  poll();
  return box;
}

/** startDialog starts a live session on the case and opens its page. */
function startDialog(ctx, c, opener) {
  const org = ctx.me.actingOrg.orgId;
  const name = h('input', { type: 'text', maxlength: 120, autocomplete: 'off', 'data-field': 'customer.name' });
  const email = h('input', { type: 'email', autocomplete: 'off', 'data-field': 'customer.email' });
  const phone = h('input', { type: 'tel', autocomplete: 'off', placeholder: '+4915112345678', pattern: '\\+[1-9][0-9]{6,14}', 'data-field': 'customer.phone' });
  const lang = languageSelect('customer.language');
  openDialog({
    title: t('cases.start'), submitLabel: t('cases.startSubmit'), opener,
    body: [h('p', { class: 'muted', text: t('cases.startIntro') }),
      field(t('cases.customerName'), name), field(t('cases.customerEmail'), email, t('cases.customerEmailHint')),
      field(t('cases.customerPhone'), phone, t('cases.customerPhoneHint')),
      field(t('settings.messageLanguage'), lang)],
    onSubmit: async () => {
      const customer = Object.fromEntries([['name', name], ['email', email], ['phone', phone], ['language', lang]].map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v));
      const started = await api('POST', orgPath(org, 'cases', c.id, 'sessions'), Object.keys(customer).length ? { customer } : {});
      announce(t('cases.started'));
      openSession(ctx, started);
    },
  });
}
