// companies.js — "Companies": the invitations to be a guest of another
// company, addressed to the signed-in user's email. Pending ones are accepted
// or declined here; accepted ones are switched to.

import { api } from './api.js';
import { h, when, table, loading, failure, setMain, confirmDialog, badge, keepCurrent } from './ui.js';
import { modeLabel } from './devices.js';

export function renderCompanies(ctx) {
  document.title = 'Companies · Guestbridge';
  const acting = ctx.me.actingOrg;
  const list = h('div', { class: 'list' });
  const error = h('div', { class: 'form-error', 'aria-live': 'assertive' });

  async function load() {
    list.replaceChildren(loading('invitations'));
    try {
      const { invitations = [] } = await api('GET', '/me/invitations');
      if (!invitations.length) {
        list.replaceChildren(h('p', { class: 'empty', text: 'No invitations. When a company invites you as its guest, the invitation appears here.' }));
        return;
      }
      const order = { pending: 0, accepted: 1, inactive: 2 };
      invitations.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || String(b.invitedAt).localeCompare(String(a.invitedAt)));
      list.replaceChildren(table('Invitations from companies', ['Company', 'Status', 'Workspace', 'Invited', 'Valid until', 'Actions'],
        invitations.map((i) => [h('strong', { text: i.orgName || i.orgId }), badge(i.status), h('span', { text: modeLabel(i.workspace) }),
          when(i.invitedAt), when(i.validUntil), actions(i)])));
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, load));
    }
  }

  function actions(i) {
    const name = i.orgName || i.orgId;
    if (i.status === 'pending') {
      return h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn small primary', text: 'Accept', 'aria-label': `Accept the invitation of ${name}`,
          onclick: (e) => confirmDialog({
            title: `Accept the invitation of ${name}?`, submitLabel: 'Accept', opener: e.currentTarget,
            text: ['You become a guest of ', h('strong', { text: name }), ' until ', when(i.validUntil),
              ': you see and work on the devices they share with you. Switch to them from here.'],
            run: async () => { await api('POST', `/me/invitations/${encodeURIComponent(i.id)}/accept`, {}); ctx.reload(`You accepted the invitation of ${name}.`); },
          }) }),
        h('button', { type: 'button', class: 'btn small', text: 'Decline', 'aria-label': `Decline the invitation of ${name}`,
          onclick: (e) => confirmDialog({
            title: `Decline the invitation of ${name}?`, submitLabel: 'Decline', danger: true, opener: e.currentTarget,
            text: [h('strong', { text: name }), ' is told that you declined. The invitation cannot be accepted afterwards.'],
            run: async () => { await api('POST', `/me/invitations/${encodeURIComponent(i.id)}/decline`, {}); ctx.reload(`You declined the invitation of ${name}.`); },
          }) }));
    }
    if (i.status !== 'accepted') return h('span', { class: 'muted', text: '—' });
    if (acting.orgId === i.orgId) return h('span', { class: 'tag', text: 'You are here' });
    const btn = h('button', { type: 'button', class: 'btn small primary', text: 'Switch', 'aria-label': `Switch to ${name}` });
    btn.addEventListener('click', async () => {
      error.textContent = '';
      btn.disabled = true;
      try {
        ctx.startSession(await api('POST', '/auth/switch', { orgId: i.orgId }), '/', `You are now a guest of ${name}.`);
      } catch (err) {
        if (!err.handled) error.textContent = err.message;
        btn.disabled = false;
      }
    });
    return btn;
  }

  load();
  keepCurrent(list, () => '/me/invitations', load, { what: 'Invitations' });
  setMain(h('section', { class: 'section' },
    h('a', { href: '/', 'data-nav': true, class: 'back', text: `← Back to ${ctx.orgName}` }),
    h('div', { class: 'section-head' }, h('h1', { text: 'Companies' })),
    h('p', { class: 'muted intro', text: 'Companies that invited you as their guest. Accept an invitation to work on their devices, then switch to the company.' }),
    error, list));
}
