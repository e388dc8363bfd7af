// member.js — the view of a company member: Cases, Devices, Guests (on a case
// or of the company: invite, edit, switch on or off, extend, end, re-invite),
// Roles and the Audit log. Tabs the privileges do not allow are not shown.

import { api, orgPath, catalog, token, ApiError } from './api.js';
import {
  h, uid, when, fmt, table, loading, failure, field, setMain, announce, openDialog, confirmDialog, periodFieldset,
  actionMenu, indicator, invalid, row, checklist, keepCurrent, keyed, errorBox, showFormError, clearFormError,
} from './ui.js';
import { casesSection, caseDetail } from './cases.js';
import { devicesSection, scopeOf, modeLabel } from './devices.js';
import { rolesSection, loadRoles } from './roles.js';
import { settingsSection, languageSelect } from './settings.js';

const TABS = [
  { path: '/cases', label: 'Cases', privilege: 'cases.read' },
  { path: '/devices', label: 'Devices', privilege: 'devices.read' },
  { path: '/guests', label: 'Guests', privilege: 'guests.manage' },
  { path: '/roles', label: 'Roles', privilege: 'roles.manage' },
  { path: '/audit', label: 'Audit log', privilege: 'audit.read' },
  { path: '/settings', label: 'Settings', privilege: 'roles.manage' },
];

/** renderMember shows the tab named by the current path. */
export function renderMember(ctx) {
  const tabs = TABS.filter((t) => ctx.can(t.privilege));
  const path = location.pathname;
  const current = tabs.find((t) => path === t.path || path.startsWith(`${t.path}/`)) || tabs[0];
  if (current && !path.startsWith(current.path)) history.replaceState(null, '', current.path);
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Sections' }, tabs.map((t) => h('a', {
    href: t.path, 'data-nav': true, 'aria-current': t === current ? 'page' : null, text: t.label,
  })));
  let content;
  if (!current) content = h('section', { class: 'section' }, h('h1', { text: ctx.orgName }),
    h('p', { class: 'empty', text: 'Your role in this company gives no access to any section here.' }));
  else if (current.path === '/cases') {
    const id = path.slice('/cases/'.length);
    content = id ? caseDetail(ctx, decodeURIComponent(id)) : casesSection(ctx);
  } else if (current.path === '/guests') content = guestsSection(ctx);
  else if (current.path === '/devices') {
    content = devicesSection(ctx, { privsAt: scopeOf(ctx.me.actingOrg.privileges), canCreateGroup: ctx.can('devices.configure') });
  } else if (current.path === '/roles') content = rolesSection(ctx);
  else if (current.path === '/settings') content = settingsSection(ctx);
  else content = auditSection(ctx);
  document.title = `${current ? current.label : ctx.orgName} · Guestbridge`;
  setMain(nav, content);
}

const FILTERS = [['', 'All'], ['active', 'Active'], ['pending', 'Pending'], ['inactive', 'Inactive'], ['deactivated', 'Deactivated']];

function guestsSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const status = new URLSearchParams(location.search).get('status') || '';
  const list = h('div', { class: 'list' });
  const inviteBtn = h('button', { type: 'button', class: 'btn primary', text: 'Invite guest',
    onclick: () => inviteDialog(ctx, load) });
  const filters = h('nav', { class: 'filters', 'aria-label': 'Filter guests' }, FILTERS.map(([v, label]) => h('a', {
    href: v ? `/guests?status=${v}` : '/guests', 'data-nav': true, 'aria-current': v === status ? 'page' : null, text: label,
  })));
  let caseTitles = new Map();
  let roleNames = new Map();

  const guestsPath = () => orgPath(org, 'guests') + (status ? `?status=${status}` : '');
  // quiet: a refresh of a list already shown keeps it on screen until the new one is ready.
  async function load(quiet = false) {
    if (!quiet || !list.querySelector('table')) list.replaceChildren(loading('guests'));
    try {
      const [{ guests = [] }, cases, roles] = await Promise.all([
        api('GET', guestsPath()),
        ctx.can('cases.read') ? api('GET', orgPath(org, 'cases')).then((r) => r.cases || []).catch(() => []) : [],
        loadRoles(ctx).catch(() => []),
      ]);
      caseTitles = new Map(cases.map((c) => [c.id, c.title]));
      roleNames = new Map(roles.map((r) => [r.id, r.name]));
      if (!guests.length) {
        const label = FILTERS.find(([v]) => v === status)[1].toLowerCase();
        list.replaceChildren(h('p', { class: 'empty', text: status ? `No ${label} guests.` : 'No guests yet. Use “Invite guest” to add someone to a case or to the company.' }));
        return;
      }
      list.replaceChildren(table('Guests', ['Guest', 'Access', 'Status', 'Valid until', 'Delivery', 'Actions'],
        guests.map((g) => keyed(guestRow(g), g.id, g.name))));
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, () => load()));
    }
  }

  function guestRow(g) {
    const reason = g.status === 'deactivated' && g.endReason ? g.endReason : '';
    const company = g.kind === 'company';
    const items = g.status === 'deactivated' ? [{ label: 'Re-invite', run: (b) => reinviteDialog(org, g, load, b) }] : [
      company ? { label: 'Edit', run: (b) => editDialog(ctx, g, load, b) } : null,
      { label: g.active ? 'Switch off (inactive)' : 'Switch on (active)', run: (b) => activeDialog(org, g, load, b) },
      { label: 'Extend', run: (b) => extendDialog(org, g, load, b) },
      { label: 'End guest account', danger: true, run: (b) => endDialog(org, g, load, b) }].filter(Boolean);
    return [
      h('div', { class: 'who' }, h('strong', { text: g.name }), h('span', { class: 'muted', text: g.email }),
        g.phone ? h('span', { class: 'muted', text: g.phone }) : null),
      company
        ? h('div', { class: 'cases' }, h('span', { class: 'tag', text: 'Guest of the company' }),
          h('div', {}, h('span', { class: 'muted', text: 'Role: ' }), roleNames.get(g.roleId) || g.roleId),
          h('div', {}, h('span', { class: 'muted', text: 'Mode: ' }), modeLabel(g.workspace)))
        : h('div', { class: 'cases' }, h('span', { class: 'tag', text: 'On cases' }),
          (g.caseIds || []).map((id) => h('div', { text: caseTitles.get(id) || id }))),
      statusCell(g, reason),
      g.endedAt && g.status === 'deactivated' ? h('span', {}, 'Ended ', when(g.endedAt)) : when(g.validUntil),
      delivery(g),
      actionMenu(`Actions for ${g.name}`, items),
    ];
  }

  load();
  keepCurrent(list, guestsPath, () => load(true), { what: 'Guests' });
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: 'Guests' }), inviteBtn),
    h('p', { class: 'muted intro', text: 'People from outside: guests on a case, and guests of the company who work on your devices with a role — for a limited time. Active is your switch; Validated means the guest accepted. Deactivated guests stay listed and can be invited again.' }),
    filters, list);
}

const CHANNEL = { email: 'Email', sms: 'SMS' };

// One status in words, distinct from the Active switch and the Validated flag
// shown under it, so no two labels in a row say the same thing.
const STATUS_TEXT = { pending: 'Waiting for acceptance', active: 'Has access', inactive: 'Switched off' };
const ENDED_TEXT = { ended: 'Ended', expired: 'Expired', declined: 'Declined' };

function statusCell(g, reason) {
  const text = g.status === 'deactivated' ? ENDED_TEXT[reason] || 'Ended' : STATUS_TEXT[g.status] || g.status;
  return h('div', { class: 'guest-status' }, h('span', { class: `badge s-${g.status}`, text }),
    h('div', { class: 'flags' }, indicator(g.active, 'Active', 'Inactive'), indicator(g.validated, 'Validated', 'Not validated')));
}

function delivery(g) {
  const d = (g.invitation && g.invitation.delivery) || {};
  const rows = Object.entries(d).map(([ch, s]) => h('div', { class: `delivery d-${s.status}` },
    h('span', { text: `${CHANNEL[ch] || ch}: ` }), h('strong', { text: s.status }),
    s.status === 'failed' && s.reason ? h('span', { class: 'reason', text: ` — ${s.reason}` }) : null,
    s.attempts > 1 ? h('span', { class: 'muted', text: ` (${s.attempts} attempts)` }) : null));
  return rows.length ? rows : h('span', { class: 'muted', text: '—' });
}

function inviteDialog(ctx, done) {
  const org = ctx.me.actingOrg.orgId;
  const email = h('input', { type: 'email', required: true, autocomplete: 'off', 'data-field': 'email' });
  const name = h('input', { type: 'text', required: true, maxlength: 120, autocomplete: 'off', 'data-field': 'name' });
  const phone = h('input', { type: 'tel', autocomplete: 'off', placeholder: '+4915112345678', pattern: '\\+[1-9][0-9]{6,14}', 'data-field': 'phone' });
  const sms = h('input', { type: 'checkbox', disabled: true, 'data-field': 'channels' });
  phone.addEventListener('input', () => {
    const has = phone.value.trim() !== '';
    if (has && sms.disabled) sms.checked = true;
    if (!has) sms.checked = false;
    sms.disabled = !has;
  });

  const rExisting = h('input', { type: 'radio', name: 'case-mode', value: 'existing', checked: true });
  const rNew = h('input', { type: 'radio', name: 'case-mode', value: 'new' });
  const caseSelect = h('select', { 'aria-label': 'Existing case', 'data-field': 'caseId', required: true }, h('option', { value: '', text: 'Loading cases…' }));
  const newTitle = h('input', { type: 'text', maxlength: 200, required: true, disabled: true, 'aria-label': 'New case title', 'data-field': 'newCase.title' });
  const syncCase = () => { caseSelect.disabled = !rExisting.checked; newTitle.disabled = !rNew.checked; };
  rExisting.addEventListener('change', syncCase);
  rNew.addEventListener('change', () => { syncCase(); newTitle.focus(); });
  const useNew = () => { rNew.checked = true; rExisting.disabled = true; syncCase(); };
  if (!ctx.can('cases.read')) useNew();
  else api('GET', orgPath(org, 'cases')).then(({ cases = [] }) => {
    caseSelect.replaceChildren(h('option', { value: '', text: 'Choose a case' }), ...cases.map((c) => h('option', { value: c.id, text: c.title })));
    if (!cases.length) useNew();
  }).catch(() => useNew());

  const period = periodFieldset('Period of access');
  const lang = languageSelect();
  // Guest on a case, or guest of the company: the part not chosen is disabled, so it is neither checked nor sent.
  const kind = uid('kind');
  const rCase = h('input', { type: 'radio', name: kind, value: 'case', checked: true });
  const rCompany = h('input', { type: 'radio', name: kind, value: 'company' });
  const caseFs = h('fieldset', { class: 'plain' }, h('legend', { class: 'visually-hidden', text: 'Guest on a case' }),
    h('p', { class: 'muted', text: 'The guest sees only the case you add them to, and the account is deactivated at the end of the period.' }),
    field('Mobile number (optional)', phone, 'International format, for example +4915112345678.'),
    h('label', { class: 'choice' }, sms, 'Also send the invitation by SMS (the link is valid for 24 hours)'),
    h('fieldset', { 'data-field': 'case' }, h('legend', { text: 'Case' }),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rExisting, 'Existing case'), caseSelect),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rNew, 'Create new case'), newTitle)));
  const panel = companyPanel(ctx);
  const companyFs = h('fieldset', { class: 'plain', disabled: true, hidden: true },
    h('legend', { class: 'visually-hidden', text: 'Guest of the company' }),
    h('p', { class: 'muted', text: 'Saving sends an invitation by email to this address. The person accepts it with an account for this email — their own or a new one — and finds it under “Companies”.' }),
    panel);
  const syncKind = () => {
    caseFs.disabled = caseFs.hidden = rCompany.checked;
    companyFs.disabled = companyFs.hidden = !rCompany.checked;
  };
  rCase.addEventListener('change', syncKind);
  rCompany.addEventListener('change', syncKind);
  const body = [
    h('fieldset', { class: 'kind-choice' }, h('legend', { text: 'Kind of guest' }),
      h('label', { class: 'choice block' }, rCase, h('span', {}, h('strong', { text: 'Guest on a case' }),
        h('span', { class: 'muted', text: ' — works on one case for a while' }))),
      h('label', { class: 'choice block' }, rCompany, h('span', {}, h('strong', { text: 'Guest of the company' }),
        h('span', { class: 'muted', text: ' — works on your devices with a role, e.g. an installer' })))),
    field('Email', email), field('Name', name), field('Message language', lang), caseFs, companyFs, period,
  ];
  openDialog({
    title: 'Invite guest', body, submitLabel: 'Send invitation',
    onSubmit: async () => {
      if (rCompany.checked) {
        const g = await api('POST', orgPath(org, 'guests'),
          { email: email.value.trim(), name: name.value.trim(), period: period.period(), ...panel.value(), ...(lang.value ? { language: lang.value } : {}) });
        announce(`Invitation sent to ${g.name} by email.`);
        done();
        return;
      }
      const req = { email: email.value.trim(), name: name.value.trim(), channels: ['email'], period: period.period() };
      if (phone.value.trim()) req.phone = phone.value.trim();
      if (lang.value) req.language = lang.value;
      if (sms.checked) req.channels.push('sms');
      if (rNew.checked) req.newCase = { title: newTitle.value.trim() };
      else req.caseId = caseSelect.value;
      if (rNew.checked && !req.newCase.title) throw invalid(newTitle, 'Give the new case a title.');
      const g = await api('POST', orgPath(org, 'guests'), req);
      announce(`Invitation sent to ${g.name} (${req.channels.map((c) => CHANNEL[c]).join(' and ')}).`);
      done();
    },
  });
  email.focus();
}

/**
 * companyPanel holds what a guest of the company is given: role, Active,
 * workspace and privileges, prefilled from g when editing. Its .value() is
 * the request's part for these.
 */
function companyPanel(ctx, g = null) {
  const org = ctx.me.actingOrg.orgId;
  const panel = h('div', { class: 'company-fields' }, loading('roles, groups and devices'));
  let value = null;
  panel.value = () => {
    if (!value) throw invalid(panel, 'Roles, groups and devices are still loading.');
    return value();
  };
  const list = (what) => api('GET', orgPath(org, what)).then((r) => r[what] || []).catch(() => []);
  Promise.all([loadRoles(ctx), catalog(), list('groups'), list('devices')]).then(([roles, cat, groups, devices]) => {
    const grantable = (cat.privileges || []).filter((p) => p.guestGrantable);
    const ws = (g && g.workspace) || { mode: 'all' };
    const role = h('select', { required: true, 'data-field': 'roleId' }, h('option', { value: '', text: 'Choose a role' }),
      roles.map((r) => h('option', { value: r.id, text: r.name, selected: g && g.roleId === r.id })));
    if (g && g.roleId && !roles.some((r) => r.id === g.roleId)) role.append(h('option', { value: g.roleId, text: g.roleId, selected: true }));
    const roleField = field('Role', role, ' ');
    const roleHint = roleField.querySelector('.hint');
    const showRole = () => {
      const privs = ((roles.find((r) => r.id === role.value) || {}).privileges || []).filter((p) => grantable.some((x) => x.id === p));
      roleHint.textContent = role.value ? `For a guest this role gives: ${privs.length ? privs.join(', ') : 'nothing on devices'}.` : '';
    };
    role.addEventListener('change', showRole);
    showRole();
    const active = h('input', { type: 'checkbox', role: 'switch', checked: g ? g.active : true, 'data-field': 'active' });

    const mode = uid('mode');
    const radios = ['all', 'groups', 'devices'].map((m) => h('input', { type: 'radio', name: mode, value: m, checked: ws.mode === m }));
    const none = (what) => h('p', { class: 'muted', text: `There are no ${what} yet: create them under Devices.` });
    // Per group: one row of privileges for each group; control and configure need read to see anything.
    const perGroup = groups.map((gr) => {
      const have = (ws.groups || {})[gr.id] || [];
      const boxes = grantable.map((p) => h('input', { type: 'checkbox', value: p.id, checked: have.includes(p.id), 'aria-label': `${p.id} on ${gr.name}` }));
      const read = boxes.find((b) => b.value === 'devices.read');
      boxes.forEach((b) => b.addEventListener('change', () => {
        if (b !== read && b.checked && read) read.checked = true;
        if (b === read && !b.checked) boxes.forEach((x) => { x.checked = false; });
      }));
      return { id: gr.id, boxes, el: h('tr', {}, h('th', { scope: 'row', text: gr.name }), boxes.map((b) => h('td', {}, b))) };
    });
    const groupsPanel = h('div', { class: 'mode-panel', 'data-field': 'workspace.groups', tabindex: '-1' }, groups.length
      ? h('table', { class: 'grid' }, h('caption', { class: 'visually-hidden', text: 'Privileges per group' }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Group' }), grantable.map((p) => h('th', { scope: 'col', title: p.description, text: p.id.replace('devices.', '') })))),
        h('tbody', {}, perGroup.map((x) => x.el)))
      : none('groups'));
    const groupName = new Map(groups.map((gr) => [gr.id, gr.name]));
    const devicesPanel = devices.length
      ? checklist('Devices the guest sees', devices.map((d) => ({ value: d.id, label: d.name, hint: groupName.get(d.groupId) || '' })),
        ws.devices || [], 'workspace.devices')
      : h('div', { 'data-field': 'workspace.devices' }, none('devices'));
    devicesPanel.classList.add('mode-panel');
    const sync = () => {
      groupsPanel.hidden = !radios[1].checked;
      devicesPanel.hidden = !radios[2].checked;
    };
    radios.forEach((r) => r.addEventListener('change', sync));
    sync();
    const label = (r, text, hint) => h('label', { class: 'choice block' }, r, h('span', {}, h('strong', { text }), h('span', { class: 'muted', text: ` — ${hint}` })));
    const extra = checklist('Privileges besides the role’s', grantable.map((p) => ({ value: p.id, label: p.description, hint: p.id })),
      (g && g.privileges) || [], 'privileges');
    extra.append(h('p', { class: 'hint', text: 'They apply with “All groups and devices” and “Selected devices”; per group, the privileges chosen there apply.' }));

    panel.replaceChildren(roleField,
      h('label', { class: 'choice switch-row' }, active, h('span', {}, h('strong', { text: 'Active' }),
        h('span', { class: 'muted', text: ' — switched off, the guest cannot use the access until you switch it on' }))),
      h('fieldset', { 'data-field': 'workspace' }, h('legend', { text: 'Workspace mode' }),
        label(radios[0], 'All groups and devices', 'the privileges apply to every group and device'),
        label(radios[1], 'Per group', 'different privileges for each group'), groupsPanel,
        label(radios[2], 'Selected devices', 'only these devices; the guest does not see the others'), devicesPanel),
      extra);
    value = () => {
      const m = radios.find((r) => r.checked).value;
      let workspace = { mode: 'all' };
      if (m === 'groups') {
        const chosen = perGroup.map((x) => [x.id, x.boxes.filter((b) => b.checked).map((b) => b.value)]).filter(([, p]) => p.length);
        if (!chosen.length) throw invalid(groupsPanel, 'Per group: choose privileges for at least one group.');
        workspace = { mode: 'groups', groups: Object.fromEntries(chosen) };
      } else if (m === 'devices') {
        const ids = devicesPanel.values ? devicesPanel.values() : [];
        if (!ids.length) throw invalid(devicesPanel, 'Selected devices: select at least one device.');
        workspace = { mode: 'devices', devices: ids };
      }
      return { roleId: role.value, active: active.checked, workspace, privileges: extra.values() };
    };
  }).catch((err) => { if (!err.handled) panel.replaceChildren(failure(err)); });
  return panel;
}

function editDialog(ctx, g, done, opener) {
  const org = ctx.me.actingOrg.orgId;
  const panel = companyPanel(ctx, g);
  openDialog({
    title: `Edit ${g.name}`, submitLabel: 'Save changes', opener,
    body: [h('p', { class: 'muted' }, 'Changes apply to ', h('strong', { text: g.email }), ' at their next step, without a new invitation.'), panel],
    onSubmit: async () => {
      await api('PATCH', orgPath(org, 'guests', g.id), panel.value());
      announce(`${g.name} was saved.`);
      done();
    },
  });
}

function activeDialog(org, g, done, opener) {
  const on = !g.active;
  confirmDialog({
    title: on ? `Switch on ${g.name}?` : `Switch off ${g.name}?`, submitLabel: on ? 'Switch on' : 'Switch off', danger: !on, opener,
    text: on ? ['The access of ', h('strong', { text: g.name }), ' works again until ', when(g.validUntil), '.']
      : [h('strong', { text: g.name }), ' loses access at once and is told that the company switched it off. You can switch it on again.'],
    run: async () => {
      await api('PATCH', orgPath(org, 'guests', g.id), { active: on });
      announce(`${g.name} is now ${on ? 'active' : 'inactive'}.`);
      done();
    },
  });
}

function extendDialog(org, g, done, opener) {
  const period = periodFieldset('New end of access');
  openDialog({
    title: `Extend access for ${g.name}`, submitLabel: 'Extend', opener,
    body: [h('p', {}, 'Currently valid until ', when(g.validUntil), '.'), period],
    onSubmit: async () => {
      const u = await api('PATCH', orgPath(org, 'guests', g.id), { period: period.period() });
      announce(`${g.name} now has access until ${fmt(u.validUntil)}.`);
      done();
    },
  });
}

function endDialog(org, g, done, opener) {
  openDialog({
    title: 'End guest account?', submitLabel: 'End guest account', danger: true, opener,
    body: h('p', {}, 'End the guest account of ', h('strong', { text: g.name }), ` (${g.email}) now? `,
      'They lose access to their cases at once and are disconnected from live sessions. You can invite them again later.'),
    onSubmit: async () => {
      await api('POST', orgPath(org, 'guests', g.id, 'end'), {});
      announce(`The guest account of ${g.name} was ended.`);
      done();
    },
  });
}

function reinviteDialog(org, g, done, opener) {
  const period = periodFieldset('New period of access');
  openDialog({
    title: `Re-invite ${g.name}`, submitLabel: 'Send invitation', opener,
    body: [h('p', { class: 'muted' }, 'A new invitation goes to ', h('strong', { text: g.email }),
      g.phone && (g.channels || []).includes('sms') ? ` and ${g.phone}` : '',
      g.kind === 'company' ? ' with the stored role and workspace.' : ' with the stored details and cases.'), period],
    onSubmit: async () => {
      await api('POST', orgPath(org, 'guests', g.id, 'reinvite'), { period: period.period() });
      announce(`A new invitation was sent to ${g.name}.`);
      done();
    },
  });
}

const AUDIT_FILTERS = [['actor', 'Actor', 'A name or user id'], ['action', 'Action', 'e.g. guest.invited, or guest. for all'],
  ['target', 'Target', 'A name, title or id']];

function auditSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn', text: 'Load more', hidden: true });
  const state = h('div');
  let cursor = '';
  let filters = {};
  const headers = ['When', 'Actor', 'Action', 'Target', 'Details'];
  const inputs = Object.fromEntries(AUDIT_FILTERS.map(([k]) => [k, h('input', { type: 'search', autocomplete: 'off', maxlength: 200, 'data-field': k })]));
  const query = (extra = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  };
  const firstPage = () => `${orgPath(org, 'audit')}?${query({ limit: '50' })}`;
  // A party is shown by the name kept in the entry, with its id for reference.
  const party = (name, id) => (name
    ? h('span', { class: 'party' }, h('strong', { text: name }), h('span', { class: 'mono muted', text: id }))
    : h('span', { class: 'mono', text: id === 'system' ? 'System' : id }));

  async function load(reset = false) {
    more.disabled = true;
    if (reset) { cursor = ''; }
    if (!reset || !tbody.children.length) state.replaceChildren(loading('entries'));
    try {
      const path = cursor ? `${orgPath(org, 'audit')}?${query({ limit: '50', cursor })}` : firstPage();
      const { entries = [], next } = await api('GET', path);
      if (reset) tbody.replaceChildren();
      for (const e of entries) {
        const details = Object.entries(e.details || {}).map(([k, v]) => h('div', {}, h('span', { class: 'muted', text: `${k}: ` }), String(v)));
        const cells = [when(e.at), party(e.actorName, e.actor), h('code', { text: e.action }), party(e.targetName, e.target), details];
        tbody.append(row(headers, cells, e.id, `${e.actorName || e.actor} ${e.action}`));
      }
      cursor = next || '';
      more.hidden = !cursor;
      state.replaceChildren(tbody.children.length ? '' : h('p', { class: 'empty', text: Object.values(filters).some(Boolean) ? 'No entries match the filter.' : 'No entries yet.' }));
    } catch (err) {
      // A refused filter is shown at the filter form, which names the field.
      if (!err.handled && err.status !== 400) state.replaceChildren(failure(err, () => load(reset)));
      throw err;
    } finally { more.disabled = false; }
  }

  const apply = h('button', { type: 'submit', class: 'btn primary', text: 'Filter' });
  const clear = h('button', { type: 'button', class: 'btn', text: 'Clear' });
  const download = h('button', { type: 'button', class: 'btn', text: 'Download CSV' });
  const form = h('form', { class: 'audit-filter card', novalidate: true, role: 'search', 'aria-label': 'Filter the audit log' },
    AUDIT_FILTERS.map(([k, label, hint]) => field(label, inputs[k], hint)), h('div', { class: 'actions' }, apply, clear, download), errorBox());
  const typed = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
  const run = async () => {
    clearFormError(form);
    const prev = filters;
    filters = typed();
    try {
      await load(true);
      const n = tbody.children.length;
      announce(Object.values(filters).some(Boolean) ? `Filter applied: ${n}${cursor ? '+' : ''} entries.` : `${n}${cursor ? '+' : ''} entries.`);
    } catch (err) {
      // The list and its polling stay on the last filter that worked.
      filters = prev;
      showFormError(form, err);
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  clear.addEventListener('click', () => { Object.values(inputs).forEach((el) => { el.value = ''; }); run(); });
  download.addEventListener('click', async () => {
    clearFormError(form);
    download.disabled = true;
    try {
      // What the fields say now, applied or not: the file is what the user asked for.
      const q = new URLSearchParams(Object.entries(typed()).filter(([, v]) => v));
      await downloadCSV(`${orgPath(org, 'audit.csv')}?${q}`, 'audit-log.csv');
      announce('The audit log was downloaded as CSV.');
    } catch (err) { showFormError(form, err); } finally { download.disabled = false; }
  });
  more.addEventListener('click', () => load().catch(() => {}));
  load(true).catch(() => {});
  const tableWrap = h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('caption', { class: 'visually-hidden', text: 'Audit log' }),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))), tbody));
  keepCurrent(tableWrap, firstPage, () => load(true).catch(() => {}), { what: 'Audit log' });
  return h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: 'Audit log' })),
    h('p', { class: 'muted intro', text: 'Who did what, and when. Newest first. Names are as they were at the time.' }),
    form, tableWrap, state, h('div', { class: 'more' }, more));
}

// downloadCSV fetches a CSV export with the session token (a plain link could
// not carry it) and saves it under the server's file name.
async function downloadCSV(path, fallbackName) {
  let res;
  try {
    res = await fetch(`/v1${path}`, { headers: { Authorization: `Bearer ${token.get()}`, 'X-Client-Platform': 'web' }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    let e = {};
    try { e = (await res.json()).error || {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || `The download failed (HTTP ${res.status}).`, e.field);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
