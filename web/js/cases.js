// cases.js — the case list (with "create" for members who may) and the case
// detail page, shared by the member and the guest views.

import { api, orgPath } from './api.js';
import { h, when, table, loading, failure, errorBox, field, showFormError, clearFormError, checkForm, announce, openDialog, keepCurrent } from './ui.js';
import { openSession } from './session.js';

/** casesSection lists the acting company's cases (a guest gets only theirs). */
export function casesSection(ctx, { heading = 'Cases', intro } = {}) {
  const org = ctx.me.actingOrg.orgId;
  const list = h('div', { class: 'list' });
  const parts = [h('div', { class: 'section-head' }, h('h1', { text: heading }))];
  if (intro) parts.push(intro);
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
  const sec = h('section', { class: 'section' }, back, h('h1', { text: 'Case' }), body);
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
    } catch (err) {
      if (!err.handled) body.replaceChildren(failure(err));
    }
  })();
  return sec;
}

/** startDialog starts a live session on the case and opens its page. */
function startDialog(ctx, c, opener) {
  const org = ctx.me.actingOrg.orgId;
  const name = h('input', { type: 'text', maxlength: 120, autocomplete: 'off', 'data-field': 'customer.name' });
  const email = h('input', { type: 'email', autocomplete: 'off', 'data-field': 'customer.email' });
  const phone = h('input', { type: 'tel', autocomplete: 'off', placeholder: '+4915112345678', pattern: '\\+[1-9][0-9]{6,14}', 'data-field': 'customer.phone' });
  openDialog({
    title: 'Start live session', submitLabel: 'Start session', opener,
    body: [h('p', { class: 'muted', text: 'The customer gets a link that shares their camera with you. All fields are optional: without email or phone, copy the link from the session page.' }),
      field('Customer name', name), field('Customer email', email, 'The link is sent to this address.'),
      field('Customer mobile number', phone, 'International format; the link is sent by SMS.')],
    onSubmit: async () => {
      const customer = Object.fromEntries([['name', name], ['email', email], ['phone', phone]].map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v));
      const started = await api('POST', orgPath(org, 'cases', c.id, 'sessions'), Object.keys(customer).length ? { customer } : {});
      announce('The live session has started.');
      openSession(ctx, started);
    },
  });
}
