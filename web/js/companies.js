// companies.js — "Companies": the invitations to be a guest of another
// company, addressed to the signed-in user's email. Pending ones are accepted
// or declined here; accepted ones are switched to.

import { t, tx } from './i18n.js';
import { api } from './api.js';
import { h, when, table, loading, failure, setMain, confirmDialog, badge, keepCurrent } from './ui.js';
import { modeLabel } from './devices.js';

export function renderCompanies(ctx) {
  document.title = `${t('app.companies')} · Guestbridge`;
  const acting = ctx.me.actingOrg;
  const list = h('div', { class: 'list' });
  const error = h('div', { class: 'form-error', 'aria-live': 'assertive' });

  async function load() {
    list.replaceChildren(loading(t('companies.loading')));
    try {
      const { invitations = [] } = await api('GET', '/me/invitations');
      if (!invitations.length) {
        list.replaceChildren(h('p', { class: 'empty', text: t('companies.empty') }));
        return;
      }
      const order = { pending: 0, accepted: 1, inactive: 2 };
      invitations.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || String(b.invitedAt).localeCompare(String(a.invitedAt)));
      list.replaceChildren(table(t('companies.caption'), [t('app.company'), t('col.status'), t('companies.workspace'), t('companies.invited'), t('col.validUntil'), t('col.actions')],
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
        h('button', { type: 'button', class: 'btn small primary', text: t('invite.accept'), 'aria-label': t('companies.acceptOf', { org: name }),
          onclick: (e) => confirmDialog({
            title: t('companies.acceptTitle', { org: name }), submitLabel: t('invite.accept'), opener: e.currentTarget,
            text: tx('companies.acceptText', { org: h('strong', { text: name }), until: when(i.validUntil) }),
            run: async () => { await api('POST', `/me/invitations/${encodeURIComponent(i.id)}/accept`, {}); ctx.reload(t('companies.accepted', { org: name })); },
          }) }),
        h('button', { type: 'button', class: 'btn small', text: t('invite.decline'), 'aria-label': t('companies.declineOf', { org: name }),
          onclick: (e) => confirmDialog({
            title: t('companies.declineTitle', { org: name }), submitLabel: t('invite.decline'), danger: true, opener: e.currentTarget,
            text: tx('companies.declineText', { org: h('strong', { text: name }) }),
            run: async () => { await api('POST', `/me/invitations/${encodeURIComponent(i.id)}/decline`, {}); ctx.reload(t('companies.declined', { org: name })); },
          }) }));
    }
    if (i.status !== 'accepted') return h('span', { class: 'muted', text: '—' });
    if (acting.orgId === i.orgId) return h('span', { class: 'tag', text: t('companies.here') });
    const btn = h('button', { type: 'button', class: 'btn small primary', text: t('app.switch'), 'aria-label': t('companies.switchTo', { org: name }) });
    btn.addEventListener('click', async () => {
      error.textContent = '';
      btn.disabled = true;
      try {
        ctx.startSession(await api('POST', '/auth/switch', { orgId: i.orgId }), '/', t('companies.nowGuest', { org: name }));
      } catch (err) {
        if (!err.handled) error.textContent = err.message;
        btn.disabled = false;
      }
    });
    return btn;
  }

  load();
  keepCurrent(list, () => '/me/invitations', load, { what: t('companies.invitations') });
  setMain(h('section', { class: 'section' },
    h('a', { href: '/', 'data-nav': true, class: 'back', text: `← ${t('companies.back', { org: ctx.orgName })}` }),
    h('div', { class: 'section-head' }, h('h1', { text: t('app.companies') })),
    h('p', { class: 'muted intro', text: t('companies.intro') }),
    error, list));
}
