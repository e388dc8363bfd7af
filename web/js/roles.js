// roles.js — the company's roles (built-in ones read-only, custom ones
// created, edited and deleted with a privilege checklist) and the members
// with their role. Needs roles.manage.

import { t, tx } from './i18n.js';
import { api, apiAll, orgPath, catalog } from './api.js';
import { h, table, loading, failure, field, openDialog, confirmDialog, actionMenu, announce, checklist, capitalize, keepCurrent } from './ui.js';

/** loadRoles returns the roles a guest can be given: the company's, or the built-in ones without roles.manage. */
export async function loadRoles(ctx) {
  if (ctx.can('roles.manage')) return apiAll(orgPath(ctx.me.actingOrg.orgId, 'roles'), 'roles');
  const { roles = {} } = await catalog();
  return Object.entries(roles).map(([id, privileges]) => ({ id, name: roleName(id), privileges, builtin: true }));
}

// The built-in roles are named in the page language; custom roles keep their own names.
const BUILTIN = { admin: 'role.admin', technician: 'role.technician' };
const roleName = (id, name) => (BUILTIN[id] ? t(BUILTIN[id]) : name || capitalize(id));
const named = (r) => (r.builtin ? { ...r, name: roleName(r.id, r.name) } : r);

export function rolesSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const rolesBox = h('div', { class: 'list' });
  const membersBox = h('div', { class: 'list' });
  const membersError = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  let roles = [];
  let privileges = [];
  const newBtn = h('button', { type: 'button', class: 'btn primary', text: t('roles.new'), onclick: (e) => roleDialog(null, e.currentTarget) });
  const inviteBtn = h('button', { type: 'button', class: 'btn primary', text: t('members.invite'), onclick: (e) => inviteMemberDialog(e.currentTarget) });
  const invitesBox = h('div', { class: 'list member-invitations' });

  async function load() {
    rolesBox.replaceChildren(loading(t('roles.loading')));
    membersBox.replaceChildren(loading(t('roles.loadingMembers')));
    try {
      const [cat, r, m] = await Promise.all([catalog(), apiAll(orgPath(org, 'roles'), 'roles').then((roles) => ({ roles })),
        apiAll(orgPath(org, 'members'), 'members').then((members) => ({ members }))]);
      privileges = cat.privileges || [];
      roles = (r.roles || []).map(named);
      rolesBox.replaceChildren(table(t('roles.title'), [t('invite.role'), t('roles.privileges'), t('col.actions')], roles.map(roleRow)));
      membersBox.replaceChildren(table(t('roles.membersCaption'), [t('roles.member'), t('invite.role')], (m.members || []).map(memberRow)));
      loadInvitations();
    } catch (err) {
      if (!err.handled) rolesBox.replaceChildren(failure(err, load));
      membersBox.replaceChildren();
    }
  }

  function roleRow(r) {
    const describe = (id) => (privileges.find((p) => p.id === id) || {}).description || id;
    return [
      h('div', { class: 'who' }, h('strong', { text: r.name }), r.builtin ? h('span', { class: 'muted', text: t('roles.builtin') }) : null),
      r.privileges.length ? h('ul', { class: 'privs' }, r.privileges.map((p) => h('li', { title: describe(p) }, h('code', { text: p }))))
        : h('span', { class: 'muted', text: t('roles.noPrivileges') }),
      r.builtin ? h('span', { class: 'muted', text: '—' }) : actionMenu(t('roles.actions', { name: r.name }), [
        { label: t('roles.edit'), run: (b) => roleDialog(r, b) },
        { label: t('roles.delete'), danger: true, run: (b) => confirmDialog({
          title: t('roles.deleteTitle'), submitLabel: t('roles.delete'), danger: true, opener: b,
          text: tx('roles.deleteText', { name: h('strong', { text: r.name }) }),
          run: async () => { await api('DELETE', orgPath(org, 'roles', r.id)); announce(t('roles.deleted', { name: r.name })); load(); },
        }) },
      ]),
    ];
  }

  function memberRow(m) {
    const select = h('select', { 'aria-label': t('roles.roleOf', { name: m.name || m.email }) },
      roles.map((r) => h('option', { value: r.id, text: r.name, selected: r.id === m.role })));
    if (!roles.some((r) => r.id === m.role)) select.prepend(h('option', { value: m.role, text: m.role, selected: true }));
    const saved = h('span', { class: 'muted saved' });
    select.addEventListener('change', async () => {
      membersError.textContent = '';
      select.removeAttribute('aria-invalid');
      saved.textContent = t('ui.saving');
      select.disabled = true;
      try {
        await api('PATCH', orgPath(org, 'members', m.userId), { role: select.value });
        m.role = select.value;
        saved.textContent = t('ui.saved');
        announce(t('roles.changed', { name: m.name || m.email, role: select.selectedOptions[0].textContent }));
      } catch (err) {
        select.value = m.role;
        saved.textContent = '';
        if (!err.handled) {
          membersError.textContent = `${m.name || m.email}: ${err.message}`;
          select.setAttribute('aria-invalid', 'true');
        }
      } finally {
        select.disabled = false;
        select.focus();
      }
    });
    const who = m.name || m.email;
    const remove = h('button', { type: 'button', class: 'btn small danger', text: t('roles.remove'), 'aria-label': t('roles.removeWho', { name: who }),
      onclick: (e) => confirmDialog({
        title: t('roles.removeTitle'), submitLabel: t('roles.removeMember'), danger: true, opener: e.currentTarget,
        text: tx('roles.removeText', { name: h('strong', { text: who }) }),
        run: async () => { await api('DELETE', orgPath(org, 'members', m.userId)); announce(t('roles.removed', { name: who })); load(); },
      }) });
    return [h('div', { class: 'who' }, h('strong', { text: who }), h('span', { class: 'muted', text: m.email })),
      h('div', { class: 'row-actions' }, select, saved, remove)];
  }

  // The company's member invitations: who was asked to join, as what, and
  // whether the email went out and was accepted.
  async function loadInvitations() {
    try {
      const invitations = (await apiAll(orgPath(org, 'member-invitations'), 'invitations')).filter((i) => i.state === 'pending');
      if (!invitations.length) { invitesBox.replaceChildren(); return; }
      const heads = [t('members.invited'), t('invite.role'), t('members.delivery')];
      invitesBox.replaceChildren(table(t('members.invitations'), heads, invitations.map((i) => [
        h('div', { class: 'who' }, h('strong', { text: i.name || i.email }), h('span', { class: 'muted', text: i.email })),
        h('span', { text: roleName(i.role, i.roleName) }),
        h('span', { text: t(`members.delivery.${(i.deliveries?.email?.status) || 'queued'}`) }),
      ])));
    } catch (err) {
      if (!err.handled) invitesBox.replaceChildren(failure(err, loadInvitations));
    }
  }

  async function inviteMemberDialog(opener) {
    // The roles may still be loading when the button is pressed.
    const choices = roles.length ? roles : (await apiAll(orgPath(org, 'roles'), 'roles')).map(named);
    const email = h('input', { type: 'email', required: true, autocomplete: 'off', 'data-field': 'email' });
    const name = h('input', { type: 'text', maxlength: 120, autocomplete: 'off', 'data-field': 'name' });
    const role = h('select', { 'data-field': 'role' }, choices.map((r) => h('option', { value: r.id, text: r.name, selected: r.id === 'technician' })));
    openDialog({
      title: t('members.invite'), submitLabel: t('members.send'), opener,
      body: [field(t('members.email'), email), field(t('members.nameOptional'), name), field(t('invite.role'), role)],
      onSubmit: async () => {
        const inv = await api('POST', orgPath(org, 'member-invitations'), { email: email.value.trim(), name: name.value.trim(), role: role.value });
        announce(t('members.sent', { email: inv.email }));
        loadInvitations();
      },
    });
    email.focus();
  }

  function roleDialog(r, opener) {
    const name = h('input', { type: 'text', required: true, maxlength: 60, value: r ? r.name : '', autocomplete: 'off', 'data-field': 'name' });
    const list = checklist(t('roles.privileges'), privileges.map((p) => ({
      value: p.id, label: p.description, hint: p.guestGrantable ? t('roles.guestGrantable', { id: p.id }) : p.id,
    })), r ? r.privileges : [], 'privileges');
    list.append(h('p', { class: 'hint', text: t('roles.guestHint') }));
    openDialog({
      title: r ? t('roles.editTitle', { name: r.name }) : t('roles.new'), submitLabel: t(r ? 'roles.save' : 'roles.create'), opener,
      body: [field(t('roles.name'), name), list],
      onSubmit: async () => {
        const body = { name: name.value.trim(), privileges: list.values() };
        const saved = await api(r ? 'PUT' : 'POST', r ? orgPath(org, 'roles', r.id) : orgPath(org, 'roles'), body);
        announce(t(r ? 'roles.saved' : 'roles.created', { name: saved.name }));
        load();
      },
    });
    name.focus();
  }

  load();
  keepCurrent(membersBox, () => `${orgPath(org, 'members')}?limit=200`, load, { what: t('roles.members') });
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: t('roles.title') }), newBtn),
    h('p', { class: 'muted intro', text: t('roles.intro') }),
    rolesBox,
    h('div', { class: 'section-head' }, h('h2', { class: 'subhead', text: t('roles.members') }), inviteBtn),
    membersError, membersBox, invitesBox);
}
