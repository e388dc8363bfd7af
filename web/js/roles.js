// roles.js — the company's roles (built-in ones read-only, custom ones
// created, edited and deleted with a privilege checklist) and the members
// with their role. Needs roles.manage.

import { api, orgPath, catalog } from './api.js';
import { h, table, loading, failure, field, openDialog, confirmDialog, actionMenu, announce, checklist, capitalize, keepCurrent } from './ui.js';

/** loadRoles returns the roles a guest can be given: the company's, or the built-in ones without roles.manage. */
export async function loadRoles(ctx) {
  if (ctx.can('roles.manage')) return (await api('GET', orgPath(ctx.me.actingOrg.orgId, 'roles'))).roles || [];
  const { roles = {} } = await catalog();
  return Object.entries(roles).map(([id, privileges]) => ({ id, name: capitalize(id), privileges, builtin: true }));
}

export function rolesSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const rolesBox = h('div', { class: 'list' });
  const membersBox = h('div', { class: 'list' });
  const membersError = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  let roles = [];
  let privileges = [];
  const newBtn = h('button', { type: 'button', class: 'btn primary', text: 'New role', onclick: (e) => roleDialog(null, e.currentTarget) });

  async function load() {
    rolesBox.replaceChildren(loading('roles'));
    membersBox.replaceChildren(loading('members'));
    try {
      const [cat, r, m] = await Promise.all([catalog(), api('GET', orgPath(org, 'roles')), api('GET', orgPath(org, 'members'))]);
      privileges = cat.privileges || [];
      roles = r.roles || [];
      rolesBox.replaceChildren(table('Roles', ['Role', 'Privileges', 'Actions'], roles.map(roleRow)));
      membersBox.replaceChildren(table('Members and their roles', ['Member', 'Role'], (m.members || []).map(memberRow)));
    } catch (err) {
      if (!err.handled) rolesBox.replaceChildren(failure(err, load));
      membersBox.replaceChildren();
    }
  }

  function roleRow(r) {
    const describe = (id) => (privileges.find((p) => p.id === id) || {}).description || id;
    return [
      h('div', { class: 'who' }, h('strong', { text: r.name }), r.builtin ? h('span', { class: 'muted', text: 'Built-in, read-only' }) : null),
      r.privileges.length ? h('ul', { class: 'privs' }, r.privileges.map((p) => h('li', { title: describe(p) }, h('code', { text: p }))))
        : h('span', { class: 'muted', text: 'No privileges' }),
      r.builtin ? h('span', { class: 'muted', text: '—' }) : actionMenu(`Actions for role ${r.name}`, [
        { label: 'Edit', run: (b) => roleDialog(r, b) },
        { label: 'Delete role', danger: true, run: (b) => confirmDialog({
          title: 'Delete role?', submitLabel: 'Delete role', danger: true, opener: b,
          text: ['Delete the role ', h('strong', { text: r.name }), '? A role still held by a member or a guest cannot be deleted.'],
          run: async () => { await api('DELETE', orgPath(org, 'roles', r.id)); announce(`Role “${r.name}” deleted.`); load(); },
        }) },
      ]),
    ];
  }

  function memberRow(m) {
    const select = h('select', { 'aria-label': `Role of ${m.name || m.email}` },
      roles.map((r) => h('option', { value: r.id, text: r.name, selected: r.id === m.role })));
    if (!roles.some((r) => r.id === m.role)) select.prepend(h('option', { value: m.role, text: m.role, selected: true }));
    const saved = h('span', { class: 'muted saved' });
    select.addEventListener('change', async () => {
      membersError.textContent = '';
      select.removeAttribute('aria-invalid');
      saved.textContent = 'Saving…';
      select.disabled = true;
      try {
        await api('PATCH', orgPath(org, 'members', m.userId), { role: select.value });
        m.role = select.value;
        saved.textContent = 'Saved';
        announce(`${m.name || m.email} now has the role ${select.selectedOptions[0].textContent}.`);
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
    const remove = h('button', { type: 'button', class: 'btn small danger', text: 'Remove', 'aria-label': `Remove ${who}`,
      onclick: (e) => confirmDialog({
        title: 'Remove member?', submitLabel: 'Remove member', danger: true, opener: e.currentTarget,
        text: ['Remove ', h('strong', { text: who }), ' from the company? They are signed out everywhere at once and leave any live session. Their guest access to other companies stays.'],
        run: async () => { await api('DELETE', orgPath(org, 'members', m.userId)); announce(`${who} was removed.`); load(); },
      }) });
    return [h('div', { class: 'who' }, h('strong', { text: who }), h('span', { class: 'muted', text: m.email })),
      h('div', { class: 'row-actions' }, select, saved, remove)];
  }

  function roleDialog(r, opener) {
    const name = h('input', { type: 'text', required: true, maxlength: 60, value: r ? r.name : '', autocomplete: 'off', 'data-field': 'name' });
    const list = checklist('Privileges', privileges.map((p) => ({
      value: p.id, label: p.description, hint: p.guestGrantable ? `${p.id}, can be given to guests` : p.id,
    })), r ? r.privileges : [], 'privileges');
    list.append(h('p', { class: 'hint', text: 'A guest of the company who holds this role gets only the privileges that can be given to guests.' }));
    openDialog({
      title: r ? `Edit role ${r.name}` : 'New role', submitLabel: r ? 'Save role' : 'Create role', opener,
      body: [field('Role name', name), list],
      onSubmit: async () => {
        const body = { name: name.value.trim(), privileges: list.values() };
        const saved = await api(r ? 'PUT' : 'POST', r ? orgPath(org, 'roles', r.id) : orgPath(org, 'roles'), body);
        announce(r ? `Role “${saved.name}” saved.` : `Role “${saved.name}” created.`);
        load();
      },
    });
    name.focus();
  }

  load();
  keepCurrent(membersBox, () => orgPath(org, 'members'), load, { what: 'Members' });
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: 'Roles' }), newBtn),
    h('p', { class: 'muted intro', text: 'A role is a set of privileges. Admin and Technician are built in; your own roles can be given to members and to guests of the company.' }),
    rolesBox,
    h('h2', { class: 'subhead', text: 'Members' }),
    membersError, membersBox);
}
