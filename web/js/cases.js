// cases.js — the case list (with "create" for members who may) and the case
// detail page, shared by the member and the guest views.

import { api, orgPath, token } from './api.js';
import { h, when, table, loading, failure, errorBox, field, showFormError, clearFormError, checkForm, announce, openDialog, keepCurrent } from './ui.js';
import { openSession } from './session.js';
import { languageSelect } from './settings.js';
import { KIND_LABEL, TOOL_LABEL } from './live.js';

/** casesSection lists the acting company's cases (a guest gets only theirs). */
export function casesSection(ctx, { heading = 'Cases', intro } = {}) {
  const org = ctx.me.actingOrg.orgId;
  const list = h('div', { class: 'list' });
  const parts = [h('div', { class: 'section-head' }, h('h1', { text: heading }))];
  if (intro) parts.push(intro);
  if (ctx.me.actingOrg.kind === 'member') parts.push(sessionInvitations());
  if (ctx.me.actingOrg.kind === 'member' && ctx.can('cases.write')) parts.push(createForm(org, () => load()));
  parts.push(list);

  async function load() {
    list.replaceChildren(loading('cases'));
    try {
      const { cases = [] } = await api('GET', orgPath(org, 'cases'));
      if (!cases.length) {
        list.replaceChildren(h('p', { class: 'empty', text: 'There are no cases yet.' }));
        return;
      }
      cases.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      list.replaceChildren(table('Cases', ['Title', 'Created'], cases.map((c) => [
        h('a', { href: `/cases/${encodeURIComponent(c.id)}`, 'data-nav': true, text: c.title }),
        when(c.createdAt),
      ])));
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, load));
    }
  }
  load();
  keepCurrent(list, () => orgPath(org, 'cases'), load, { what: 'Cases' });
  return h('section', { class: 'section' }, parts);
}

function createForm(org, done) {
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, 'data-field': 'title', autocomplete: 'off' });
  const btn = h('button', { type: 'submit', class: 'btn primary', text: 'Create case' });
  const form = h('form', { class: 'inline-form card', novalidate: true }, field('New case title', title), btn, errorBox());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    btn.disabled = true;
    try {
      checkForm(form);
      const c = await api('POST', orgPath(org, 'cases'), { title: title.value.trim() });
      title.value = '';
      announce(`Case “${c.title}” created.`);
      done();
    } catch (err) { showFormError(form, err); } finally { btn.disabled = false; }
  });
  return form;
}

/** caseDetail shows one case. */
export function caseDetail(ctx, id) {
  const org = ctx.me.actingOrg.orgId;
  const back = h('a', { href: '/cases', 'data-nav': true, class: 'back', text: '← All cases' });
  const body = h('div', {}, loading('the case'));
  const sec = h('section', { class: 'section' }, back, h('h1', { text: 'Case' }),
    ctx.me.actingOrg.kind === 'member' ? sessionInvitations() : null, body);
  (async () => {
    try {
      const c = await api('GET', orgPath(org, 'cases', id));
      sec.querySelector('h1').textContent = c.title;
      document.title = `${c.title} · Guestbridge`;
      body.replaceChildren(h('dl', { class: 'facts card' },
        h('dt', { text: 'Created' }), h('dd', {}, when(c.createdAt)),
        h('dt', { text: 'Reference' }), h('dd', { class: 'mono', text: c.id })));
      if (ctx.me.actingOrg.kind === 'member' && ctx.can('sessions.start')) {
        body.append(h('div', { class: 'actions start' }, h('button', { type: 'button', class: 'btn primary', text: 'Start live session',
          onclick: (e) => startDialog(ctx, c, e.currentTarget) })));
      }
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
  const box = h('section', { class: 'session-reports', 'aria-label': 'Session reports' }, h('h2', { text: 'Sessions' }), loading('the sessions'));
  const print = h('button', { type: 'button', class: 'btn small no-print', text: 'Print reports', onclick: () => window.print() });
  (async () => {
    try {
      const { sessions = [] } = await api('GET', orgPath(org, 'cases', caseId, 'sessions'));
      if (!sessions.length) { box.replaceChildren(h('h2', { text: 'Sessions' }), h('p', { class: 'empty', text: 'No live session has been held on this case.' })); return; }
      box.replaceChildren(h('div', { class: 'section-head' }, h('h2', { text: 'Sessions' }), print), ...sessions.map(report));
    } catch (err) {
      if (!err.handled) box.replaceChildren(h('h2', { text: 'Sessions' }), failure(err));
    }
  })();
  return box;
}

function report(s) {
  const removed = (p) => (p.removed ? `Yes (${p.removedReason || 'removed'}${p.removedNote ? `: “${p.removedNote}”` : ''})` : 'No');
  const people = table('Participants', ['Name', 'Kind', 'Joined', 'Left', 'Removed'], (s.participants || []).map((p) => [
    p.name || '—', KIND_LABEL[p.kind] || p.kind, when(p.joinedAt), when(p.leftAt), h('span', { text: removed(p) })]));
  const lines = (s.record || []).map((r) => h('li', { class: r.tool === 'chat' ? 'rec-chat' : 'rec-tool' },
    when(r.at), ' ', h('strong', { text: `${r.name || KIND_LABEL[r.kind] || 'Someone'}` }),
    h('span', { text: r.tool === 'chat' ? `: ${r.text}` : ` · ${TOOL_LABEL[r.tool] || r.tool}${r.text ? ` · ${r.text}` : ''}` })));
  return h('article', { class: 'card session-report', 'data-session': s.id },
    h('h3', {}, 'Session of ', when(s.createdAt), s.endedAt ? h('span', {}, ' – ', when(s.endedAt)) : h('span', { class: 'badge', text: 'Live' })),
    people,
    h('h4', { text: 'Chat and activity' }),
    lines.length ? h('ol', { class: 'session-record' }, lines) : h('p', { class: 'empty', text: 'Nothing was said or done with tools.' }));
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
          h('p', {}, h('strong', { text: i.primaryName || 'A colleague' }), ' invited you to a live session',
            i.caseTitle ? [' on ', h('strong', { text: i.caseTitle })] : null, '.'),
          h('a', { href: `/session/${encodeURIComponent(i.sessionId)}`, 'data-nav': true, class: 'btn primary', text: 'Join the session' }))));
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
    title: 'Start live session', submitLabel: 'Start session', opener,
    body: [h('p', { class: 'muted', text: 'The customer gets a link that shares their camera with you. All fields are optional: without email or phone, copy the link from the session page.' }),
      field('Customer name', name), field('Customer email', email, 'The link is sent to this address.'),
      field('Customer mobile number', phone, 'International format; the link is sent by SMS.'),
      field('Message language', lang)],
    onSubmit: async () => {
      const customer = Object.fromEntries([['name', name], ['email', email], ['phone', phone], ['language', lang]].map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v));
      const started = await api('POST', orgPath(org, 'cases', c.id, 'sessions'), Object.keys(customer).length ? { customer } : {});
      announce('The live session has started.');
      openSession(ctx, started);
    },
  });
}
