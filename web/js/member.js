// member.js — the view of a company member: Cases, Devices, Guests (on a case
// or of the company: invite, edit, switch on or off, extend, end, re-invite),
// Roles and the Audit log. Tabs the privileges do not allow are not shown.

import { api, apiAll, apiPage, orgPath, catalog, token, ApiError } from './api.js';
import {
  h, uid, when, fmt, table, loading, failure, field, setMain, announce, openDialog, confirmDialog, periodFieldset,
  actionMenu, indicator, invalid, row, checklist, keepCurrent, keyed, errorBox, showFormError, clearFormError,
} from './ui.js';
import { casesSection, caseDetail } from './cases.js';
import { devicesSection, scopeOf, modeLabel } from './devices.js';
import { rolesSection, loadRoles } from './roles.js';
import { t, tx } from './i18n.js';
import { AUDIT_ACTIONS, SYSTEM_ACTORS } from './auditActions.js';
import { settingsSection, languageSelect } from './settings.js';

// Each tab's label is tab.<name> in the catalog.
const TABS = [
  { path: '/cases', name: 'cases', privilege: 'cases.read' },
  { path: '/devices', name: 'devices', privilege: 'devices.read' },
  { path: '/guests', name: 'guests', privilege: 'guests.manage' },
  { path: '/roles', name: 'roles', privilege: 'roles.manage' },
  { path: '/audit', name: 'audit', privilege: 'audit.read' },
  { path: '/settings', name: 'settings', privilege: 'roles.manage' },
];
const tabLabel = (tab) => t(`tab.${tab.name}`);

/** renderMember shows the tab named by the current path. */
export function renderMember(ctx) {
  const tabs = TABS.filter((x) => ctx.can(x.privilege));
  const path = location.pathname;
  const current = tabs.find((x) => path === x.path || path.startsWith(`${x.path}/`)) || tabs[0];
  if (current && !path.startsWith(current.path)) history.replaceState(null, '', current.path);
  const nav = h('nav', { class: 'tabs', 'aria-label': t('member.sections') }, tabs.map((x) => h('a', {
    href: x.path, 'data-nav': true, 'aria-current': x === current ? 'page' : null, text: tabLabel(x),
  })));
  let content;
  if (!current) content = h('section', { class: 'section' }, h('h1', { text: ctx.orgName }),
    h('p', { class: 'empty', text: t('member.noAccess') }));
  else if (current.path === '/cases') {
    const id = path.slice('/cases/'.length);
    content = id ? caseDetail(ctx, decodeURIComponent(id)) : casesSection(ctx);
  } else if (current.path === '/guests') content = guestsSection(ctx);
  else if (current.path === '/devices') {
    content = devicesSection(ctx, { privsAt: scopeOf(ctx.me.actingOrg.privileges), canCreateGroup: ctx.can('devices.configure') });
  } else if (current.path === '/roles') content = rolesSection(ctx);
  else if (current.path === '/settings') content = settingsSection(ctx);
  else content = auditSection(ctx);
  document.title = `${current ? tabLabel(current) : ctx.orgName} · Guestbridge`;
  setMain(nav, content);
}

// The guest list's filters by status, '' for all; an empty list says guests.none.<status>.
const FILTERS = ['', 'active', 'pending', 'inactive', 'deactivated'];
const filterLabel = (v) => t(v ? `status.${v}` : 'guests.filterAll');

function guestsSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const status = new URLSearchParams(location.search).get('status') || '';
  const list = h('div', { class: 'list' });
  const inviteBtn = h('button', { type: 'button', class: 'btn primary', text: t('guests.invite'),
    onclick: () => inviteDialog(ctx, load) });
  const filters = h('nav', { class: 'filters', 'aria-label': t('guests.filter') }, FILTERS.map((v) => h('a', {
    href: v ? `/guests?status=${v}` : '/guests', 'data-nav': true, 'aria-current': v === status ? 'page' : null, text: filterLabel(v),
  })));
  let caseTitles = new Map();
  let roleNames = new Map();

  const guestsPath = () => orgPath(org, 'guests') + (status ? `?status=${status}` : '');
  // The list shows pages of 50; "Show more" adds the next. A refresh reads
  // as many pages as are shown, so the user keeps their place.
  let pagesShown = 1;
  let nextCursor = '';
  const more = h('button', { type: 'button', class: 'btn more', hidden: true, text: t('list.more'),
    onclick: async () => {
      more.disabled = true;
      try {
        const p = await apiPage(guestsPath(), 'guests', nextCursor);
        pagesShown += 1;
        nextCursor = p.next;
        const body = list.querySelector('tbody');
        p.items.forEach((g) => body.append(row([t('guests.guest'), t('guests.access'), t('col.status'), t('col.validUntil'), t('guests.delivery'), t('col.actions')], guestRow(g), g.id, g.name)));
        more.hidden = !nextCursor;
        announce(t('list.moreShown', { count: p.items.length }));
      } catch (err) {
        if (!err.handled) announce(err.message);
      } finally {
        more.disabled = false;
      }
    } });
  async function pages() {
    let guests = [];
    let cursor = '';
    for (let i = 0; i < pagesShown; i++) {
      const p = await apiPage(guestsPath(), 'guests', cursor);
      guests = guests.concat(p.items);
      cursor = p.next;
      if (!cursor) break;
    }
    nextCursor = cursor;
    return { guests };
  }
  // quiet: a refresh of a list already shown keeps it on screen until the new one is ready.
  async function load(quiet = false) {
    if (!quiet || !list.querySelector('table')) list.replaceChildren(loading(t('guests.loading')));
    try {
      const [{ guests = [] }, cases, roles] = await Promise.all([
        pages(),
        ctx.can('cases.read') ? apiAll(orgPath(org, 'cases'), 'cases').catch(() => []) : [],
        loadRoles(ctx).catch(() => []),
      ]);
      caseTitles = new Map(cases.map((c) => [c.id, c.title]));
      roleNames = new Map(roles.map((r) => [r.id, r.name]));
      if (!guests.length) {
        list.replaceChildren(h('p', { class: 'empty', text: t(FILTERS.includes(status) && status ? `guests.none.${status}` : 'guests.none') }));
        return;
      }
      list.replaceChildren(table(t('tab.guests'), [t('guests.guest'), t('guests.access'), t('col.status'), t('col.validUntil'), t('guests.delivery'), t('col.actions')],
        guests.map((g) => keyed(guestRow(g), g.id, g.name))));
      more.hidden = !nextCursor;
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, () => load()));
    }
  }

  function guestRow(g) {
    const reason = g.status === 'deactivated' && g.endReason ? g.endReason : '';
    const company = g.kind === 'company';
    const items = g.status === 'deactivated' ? [{ label: t('guests.reinvite'), run: (b) => reinviteDialog(org, g, load, b) }] : [
      company ? { label: t('guests.edit'), run: (b) => editDialog(ctx, g, load, b) } : null,
      { label: g.active ? t('guests.switchOffMenu') : t('guests.switchOnMenu'), run: (b) => activeDialog(org, g, load, b) },
      { label: t('guests.extend'), run: (b) => extendDialog(org, g, load, b) },
      { label: t('guests.end'), danger: true, run: (b) => endDialog(org, g, load, b) }].filter(Boolean);
    return [
      h('div', { class: 'who' }, h('strong', { text: g.name }), h('span', { class: 'muted', text: g.email }),
        g.phone ? h('span', { class: 'muted', text: g.phone }) : null),
      company
        ? h('div', { class: 'cases' }, h('span', { class: 'tag', text: t('role.companyGuest') }),
          h('div', {}, h('span', { class: 'muted', text: `${t('guests.role')}: ` }), roleNames.get(g.roleId) || g.roleId),
          h('div', {}, h('span', { class: 'muted', text: `${t('guests.mode')}: ` }), modeLabel(g.workspace)))
        : h('div', { class: 'cases' }, h('span', { class: 'tag', text: t('guests.onCases') }),
          (g.caseIds || []).map((id) => h('div', { text: caseTitles.get(id) || id }))),
      statusCell(g, reason),
      g.endedAt && g.status === 'deactivated' ? h('span', {}, tx('guests.endedAt', { at: when(g.endedAt) })) : when(g.validUntil),
      delivery(g),
      actionMenu(t('guests.actionsFor', { name: g.name }), items),
    ];
  }

  load();
  keepCurrent(list, () => `${guestsPath()}${status ? '&' : '?'}limit=50`, () => load(true), { what: t('tab.guests') });
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: t('tab.guests') }), inviteBtn),
    h('p', { class: 'muted intro', text: t('guests.intro') }),
    filters, list, more);
}

// The channels an invitation goes by (channel.*).
const CHANNELS = ['email', 'sms'];
const channelLabel = (c) => (CHANNELS.includes(c) ? t(`channel.${c}`) : c);
// Delivery states of an invitation (delivery.*): what the service did, then
// what the provider reported back (delivered, bounced, complained), and
// suppressed when the address is blocked after a bounce or a complaint.
const DELIVERY = ['queued', 'sent', 'failed', 'delivered', 'bounced', 'complained', 'suppressed'];
const WITH_REASON = new Set(['failed', 'bounced', 'suppressed']);

// One status in words, distinct from the Active switch and the Validated flag
// shown under it, so no two labels in a row say the same thing (guestStatus.*).
const STATUS_TEXT = ['pending', 'active', 'inactive'];
const ENDED_TEXT = ['ended', 'expired', 'declined'];

function statusCell(g, reason) {
  const text = g.status === 'deactivated' ? t(`status.${ENDED_TEXT.includes(reason) ? reason : 'ended'}`)
    : STATUS_TEXT.includes(g.status) ? t(`guestStatus.${g.status}`) : g.status;
  return h('div', { class: 'guest-status' }, h('span', { class: `badge s-${g.status}`, text }),
    h('div', { class: 'flags' }, indicator(g.active, t('status.active'), t('status.inactive')),
      indicator(g.validated, t('guests.validated'), t('guests.notValidated'))));
}

function delivery(g) {
  const d = (g.invitation && g.invitation.delivery) || {};
  const rows = Object.entries(d).map(([ch, s]) => h('div', { class: `delivery d-${s.status}` },
    h('span', { text: `${channelLabel(ch)}: ` }), h('strong', { text: DELIVERY.includes(s.status) ? t(`delivery.${s.status}`) : s.status }),
    WITH_REASON.has(s.status) && s.reason ? h('span', { class: 'reason', text: ` — ${s.reason}` }) : null,
    s.attempts > 1 ? h('span', { class: 'muted', text: ` ${t('guests.attempts', { count: s.attempts })}` }) : null));
  if (g.emailBlocked) {
    rows.push(h('div', { class: 'delivery d-blocked' },
      h('strong', { text: t('guests.emailBlocked') }),
      g.emailBlocked.reason ? h('span', { class: 'reason', text: ` — ${g.emailBlocked.reason}` }) : null));
  }
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
  const caseSelect = h('select', { 'aria-label': t('guests.existingCase'), 'data-field': 'caseId', required: true }, h('option', { value: '', text: t('guests.loadingCases') }));
  const newTitle = h('input', { type: 'text', maxlength: 200, required: true, disabled: true, 'aria-label': t('cases.newTitle'), 'data-field': 'newCase.title' });
  const syncCase = () => { caseSelect.disabled = !rExisting.checked; newTitle.disabled = !rNew.checked; };
  rExisting.addEventListener('change', syncCase);
  rNew.addEventListener('change', () => { syncCase(); newTitle.focus(); });
  const useNew = () => { rNew.checked = true; rExisting.disabled = true; syncCase(); };
  if (!ctx.can('cases.read')) useNew();
  else api('GET', orgPath(org, 'cases')).then(({ cases = [] }) => {
    caseSelect.replaceChildren(h('option', { value: '', text: t('guests.chooseCase') }), ...cases.map((c) => h('option', { value: c.id, text: c.title })));
    if (!cases.length) useNew();
  }).catch(() => useNew());

  const period = periodFieldset(t('guests.period'));
  const lang = languageSelect();
  // Guest on a case, or guest of the company: the part not chosen is disabled, so it is neither checked nor sent.
  const kind = uid('kind');
  const rCase = h('input', { type: 'radio', name: kind, value: 'case', checked: true });
  const rCompany = h('input', { type: 'radio', name: kind, value: 'company' });
  const caseFs = h('fieldset', { class: 'plain' }, h('legend', { class: 'visually-hidden', text: t('guests.onCase') }),
    h('p', { class: 'muted', text: t('guests.onCaseHint') }),
    field(t('guests.phone'), phone, t('guests.phoneHint')),
    h('label', { class: 'choice' }, sms, t('guests.alsoSms')),
    h('fieldset', { 'data-field': 'case' }, h('legend', { text: t('cases.case') }),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rExisting, t('guests.existingCase')), caseSelect),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rNew, t('guests.newCase')), newTitle)));
  const panel = companyPanel(ctx);
  const companyFs = h('fieldset', { class: 'plain', disabled: true, hidden: true },
    h('legend', { class: 'visually-hidden', text: t('role.companyGuest') }),
    h('p', { class: 'muted', text: t('guests.companyHint') }),
    panel);
  const syncKind = () => {
    caseFs.disabled = caseFs.hidden = rCompany.checked;
    companyFs.disabled = companyFs.hidden = !rCompany.checked;
  };
  rCase.addEventListener('change', syncKind);
  rCompany.addEventListener('change', syncKind);
  const body = [
    h('fieldset', { class: 'kind-choice' }, h('legend', { text: t('guests.kind') }),
      h('label', { class: 'choice block' }, rCase, h('span', {}, h('strong', { text: t('guests.onCase') }),
        h('span', { class: 'muted', text: ` — ${t('guests.onCaseShort')}` }))),
      h('label', { class: 'choice block' }, rCompany, h('span', {}, h('strong', { text: t('role.companyGuest') }),
        h('span', { class: 'muted', text: ` — ${t('guests.companyShort')}` })))),
    field(t('field.email'), email), field(t('session.name'), name), field(t('settings.messageLanguage'), lang), caseFs, companyFs, period,
  ];
  openDialog({
    title: t('guests.invite'), body, submitLabel: t('guests.send'),
    onSubmit: async () => {
      if (rCompany.checked) {
        const g = await api('POST', orgPath(org, 'guests'),
          { email: email.value.trim(), name: name.value.trim(), period: period.period(), ...panel.value(), ...(lang.value ? { language: lang.value } : {}) });
        announce(t('guests.sentEmail', { name: g.name }));
        done();
        return;
      }
      const req = { email: email.value.trim(), name: name.value.trim(), channels: ['email'], period: period.period() };
      if (phone.value.trim()) req.phone = phone.value.trim();
      if (lang.value) req.language = lang.value;
      if (sms.checked) req.channels.push('sms');
      if (rNew.checked) req.newCase = { title: newTitle.value.trim() };
      else req.caseId = caseSelect.value;
      if (rNew.checked && !req.newCase.title) throw invalid(newTitle, t('guests.needTitle'));
      const g = await api('POST', orgPath(org, 'guests'), req);
      announce(t('guests.sentBy', { name: g.name, channels: req.channels.map(channelLabel).join(t('guests.and')) }));
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
  const panel = h('div', { class: 'company-fields' }, loading(t('guests.loadingPanel')));
  let value = null;
  panel.value = () => {
    if (!value) throw invalid(panel, t('guests.stillLoading'));
    return value();
  };
  const list = (what) => apiAll(orgPath(org, what), what).catch(() => []);
  Promise.all([loadRoles(ctx), catalog(), list('groups'), list('devices')]).then(([roles, cat, groups, devices]) => {
    const grantable = (cat.privileges || []).filter((p) => p.guestGrantable);
    const ws = (g && g.workspace) || { mode: 'all' };
    const role = h('select', { required: true, 'data-field': 'roleId' }, h('option', { value: '', text: t('guests.chooseRole') }),
      roles.map((r) => h('option', { value: r.id, text: r.name, selected: g && g.roleId === r.id })));
    if (g && g.roleId && !roles.some((r) => r.id === g.roleId)) role.append(h('option', { value: g.roleId, text: g.roleId, selected: true }));
    const roleField = field(t('guests.role'), role, ' ');
    const roleHint = roleField.querySelector('.hint');
    const showRole = () => {
      const privs = ((roles.find((r) => r.id === role.value) || {}).privileges || []).filter((p) => grantable.some((x) => x.id === p));
      roleHint.textContent = role.value ? t('guests.roleGives', { privileges: privs.length ? privs.join(', ') : t('guests.nothingOnDevices') }) : '';
    };
    role.addEventListener('change', showRole);
    showRole();
    const active = h('input', { type: 'checkbox', role: 'switch', checked: g ? g.active : true, 'data-field': 'active' });

    const mode = uid('mode');
    const radios = ['all', 'groups', 'devices'].map((m) => h('input', { type: 'radio', name: mode, value: m, checked: ws.mode === m }));
    const none = (key) => h('p', { class: 'muted', text: t(key) });
    // Per group: one row of privileges for each group; control and configure need read to see anything.
    const perGroup = groups.map((gr) => {
      const have = (ws.groups || {})[gr.id] || [];
      const boxes = grantable.map((p) => h('input', { type: 'checkbox', value: p.id, checked: have.includes(p.id), 'aria-label': t('guests.privilegeOn', { privilege: p.id, group: gr.name }) }));
      const read = boxes.find((b) => b.value === 'devices.read');
      boxes.forEach((b) => b.addEventListener('change', () => {
        if (b !== read && b.checked && read) read.checked = true;
        if (b === read && !b.checked) boxes.forEach((x) => { x.checked = false; });
      }));
      return { id: gr.id, boxes, el: h('tr', {}, h('th', { scope: 'row', text: gr.name }), boxes.map((b) => h('td', {}, b))) };
    });
    const groupsPanel = h('div', { class: 'mode-panel', 'data-field': 'workspace.groups', tabindex: '-1' }, groups.length
      ? h('table', { class: 'grid' }, h('caption', { class: 'visually-hidden', text: t('guests.perGroupCaption') }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('devices.group') }), grantable.map((p) => h('th', { scope: 'col', title: p.description, text: p.id.replace('devices.', '') })))),
        h('tbody', {}, perGroup.map((x) => x.el)))
      : none('guests.noGroups'));
    const groupName = new Map(groups.map((gr) => [gr.id, gr.name]));
    const devicesPanel = devices.length
      ? checklist(t('guests.devicesSeen'), devices.map((d) => ({ value: d.id, label: d.name, hint: groupName.get(d.groupId) || '' })),
        ws.devices || [], 'workspace.devices')
      : h('div', { 'data-field': 'workspace.devices' }, none('guests.noDevices'));
    devicesPanel.classList.add('mode-panel');
    const sync = () => {
      groupsPanel.hidden = !radios[1].checked;
      devicesPanel.hidden = !radios[2].checked;
    };
    radios.forEach((r) => r.addEventListener('change', sync));
    sync();
    const label = (r, text, hint) => h('label', { class: 'choice block' }, r, h('span', {}, h('strong', { text }), h('span', { class: 'muted', text: ` — ${hint}` })));
    const extra = checklist(t('guests.extraPrivileges'), grantable.map((p) => ({ value: p.id, label: p.description, hint: p.id })),
      (g && g.privileges) || [], 'privileges');
    extra.append(h('p', { class: 'hint', text: t('guests.extraHint') }));

    panel.replaceChildren(roleField,
      h('label', { class: 'choice switch-row' }, active, h('span', {}, h('strong', { text: t('status.active') }),
        h('span', { class: 'muted', text: ` — ${t('guests.activeHint')}` }))),
      h('fieldset', { 'data-field': 'workspace' }, h('legend', { text: t('guests.workspace') }),
        label(radios[0], t('mode.all'), t('guests.modeAllHint')),
        label(radios[1], t('guests.modeGroups'), t('guests.modeGroupsHint')), groupsPanel,
        label(radios[2], t('guests.modeDevices'), t('guests.modeDevicesHint')), devicesPanel),
      extra);
    value = () => {
      const m = radios.find((r) => r.checked).value;
      let workspace = { mode: 'all' };
      if (m === 'groups') {
        const chosen = perGroup.map((x) => [x.id, x.boxes.filter((b) => b.checked).map((b) => b.value)]).filter(([, p]) => p.length);
        if (!chosen.length) throw invalid(groupsPanel, t('guests.needGroup'));
        workspace = { mode: 'groups', groups: Object.fromEntries(chosen) };
      } else if (m === 'devices') {
        const ids = devicesPanel.values ? devicesPanel.values() : [];
        if (!ids.length) throw invalid(devicesPanel, t('guests.needDevice'));
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
    title: t('guests.editTitle', { name: g.name }), submitLabel: t('guests.saveChanges'), opener,
    body: [h('p', { class: 'muted' }, tx('guests.editText', { email: h('strong', { text: g.email }) })), panel],
    onSubmit: async () => {
      await api('PATCH', orgPath(org, 'guests', g.id), panel.value());
      announce(t('guests.saved', { name: g.name }));
      done();
    },
  });
}

function activeDialog(org, g, done, opener) {
  const on = !g.active;
  confirmDialog({
    title: t(on ? 'guests.switchOnTitle' : 'guests.switchOffTitle', { name: g.name }), submitLabel: t(on ? 'guests.switchOn' : 'guests.switchOff'), danger: !on, opener,
    text: on ? tx('guests.switchOnText', { name: h('strong', { text: g.name }), until: when(g.validUntil) })
      : tx('guests.switchOffText', { name: h('strong', { text: g.name }) }),
    run: async () => {
      await api('PATCH', orgPath(org, 'guests', g.id), { active: on });
      announce(t(on ? 'guests.nowActive' : 'guests.nowInactive', { name: g.name }));
      done();
    },
  });
}

function extendDialog(org, g, done, opener) {
  const period = periodFieldset(t('guests.newEnd'));
  openDialog({
    title: t('guests.extendTitle', { name: g.name }), submitLabel: t('guests.extend'), opener,
    body: [h('p', {}, tx('guests.currentlyUntil', { until: when(g.validUntil) })), period],
    onSubmit: async () => {
      const u = await api('PATCH', orgPath(org, 'guests', g.id), { period: period.period() });
      announce(t('guests.extended', { name: g.name, until: fmt(u.validUntil) }));
      done();
    },
  });
}

function endDialog(org, g, done, opener) {
  openDialog({
    title: t('guests.endTitle'), submitLabel: t('guests.end'), danger: true, opener,
    body: h('p', {}, tx('guests.endText', { name: h('strong', { text: g.name }), email: g.email })),
    onSubmit: async () => {
      await api('POST', orgPath(org, 'guests', g.id, 'end'), {});
      announce(t('guests.ended', { name: g.name }));
      done();
    },
  });
}

function reinviteDialog(org, g, done, opener) {
  const period = periodFieldset(t('guests.newPeriod'));
  const to = h('strong', { text: g.email });
  const sms = g.phone && (g.channels || []).includes('sms');
  // A blocked address is mailed again only once it is corrected here.
  const email = h('input', { type: 'email', name: 'email', value: g.email, required: true, autocomplete: 'off' });
  const emailField = field(t('field.email'), email, g.emailBlocked ? t('guests.emailBlockedHint', { reason: g.emailBlocked.reason || '' }) : undefined);
  openDialog({
    title: t('guests.reinviteTitle', { name: g.name }), submitLabel: t('guests.send'), opener,
    body: [h('p', { class: 'muted' }, g.kind === 'company' ? tx('guests.reinviteCompany', { to })
      : tx(sms ? 'guests.reinviteCaseSms' : 'guests.reinviteCase', { to, phone: g.phone })), emailField, period],
    onSubmit: async () => {
      const body = { period: period.period() };
      if (email.value.trim() && email.value.trim() !== g.email) body.email = email.value.trim();
      await api('POST', orgPath(org, 'guests', g.id, 'reinvite'), body);
      announce(t('guests.reinvited', { name: g.name }));
      done();
    },
  });
}

// The audit log's filters: label audit.<name>, hint audit.<name>Hint.
const AUDIT_FILTERS = ['actor', 'action', 'target'];

// An action in words; a code the catalog does not know yet shows as itself.
function actionLabel(code) {
  const key = `auditAction.${code}`;
  const words = t(key);
  return words === key ? code : words;
}

// Details that hold ids are for the CSV export, where integrators join on
// them; on the page they would only be noise.
const ID_DETAILS = new Set(['sessionId', 'caseId', 'userId', 'groupId', 'guest', 'relay', 'recordingId']);
const RAW_ID = /^[a-z]{1,3}_[A-Za-z0-9]{6,}$/;

// The details the log writes, labelled in words (auditDetail.<key>); a key
// not listed shows as itself. Times are shown in the company's zone.
const AUDIT_DETAILS = ['email', 'name', 'title', 'kind', 'role', 'roleId', 'mode', 'active', 'privileges', 'channel', 'channels',
  'validUntil', 'from', 'to', 'reason', 'note', 'command', 'tools', 'via', 'language', 'timeZone', 'size', 'durationMs'];
const TIME_DETAILS = new Set(['validUntil', 'from', 'to']);

function auditDetails(details = {}) {
  return Object.entries(details).filter(([k, v]) => !ID_DETAILS.has(k) && !RAW_ID.test(String(v)))
    .map(([k, v]) => h('div', {}, h('span', { class: 'muted', text: `${AUDIT_DETAILS.includes(k) ? t(`auditDetail.${k}`) : k}: ` }),
      TIME_DETAILS.has(k) ? when(v) : String(v)));
}

// A party is shown by the name kept in the entry; its id stays in the title
// for whoever needs to match it against the export. Actors that are not
// people are named in the reader's language.
function auditParty(name, id) {
  if (SYSTEM_ACTORS.includes(id)) return h('span', { class: 'party system', text: t(`auditActor.${id}`) });
  if (!id) return h('span', { class: 'muted', text: '—' });
  return h('span', { class: 'party', title: id }, name ? h('strong', { text: name }) : h('span', { class: 'muted', text: t('audit.unnamed') }));
}

function actionSelect() {
  return h('select', { 'data-field': 'action' }, h('option', { value: '', text: t('audit.allActions') }),
    AUDIT_ACTIONS.map((code) => h('option', { value: code, text: actionLabel(code) })));
}

function auditSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn', text: t('audit.more'), hidden: true });
  const state = h('div');
  let cursor = '';
  let filters = {};
  const headers = [t('audit.when'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.details')];
  const inputs = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, k === 'action' ? actionSelect()
    : h('input', { type: 'search', autocomplete: 'off', maxlength: 200, 'data-field': k })]));
  const query = (extra = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  };
  const firstPage = () => `${orgPath(org, 'audit')}?${query({ limit: '50' })}`;

  async function load(reset = false) {
    more.disabled = true;
    if (reset) { cursor = ''; }
    if (!reset || !tbody.children.length) state.replaceChildren(loading(t('audit.loading')));
    try {
      const path = cursor ? `${orgPath(org, 'audit')}?${query({ limit: '50', cursor })}` : firstPage();
      const { entries = [], next } = await api('GET', path);
      if (reset) tbody.replaceChildren();
      for (const e of entries) {
        const actor = auditParty(e.actorName, e.actor);
        const cells = [when(e.at), actor, h('span', { class: 'action', 'data-action': e.action, text: actionLabel(e.action) }),
          auditParty(e.targetName, e.target), auditDetails(e.details)];
        tbody.append(row(headers, cells, e.id, `${actor.textContent} ${actionLabel(e.action)}`));
      }
      cursor = next || '';
      more.hidden = !cursor;
      state.replaceChildren(tbody.children.length ? '' : h('p', { class: 'empty', text: Object.values(filters).some(Boolean) ? t('audit.noMatch') : t('audit.none') }));
    } catch (err) {
      // A refused filter is shown at the filter form, which names the field.
      if (!err.handled && err.status !== 400) state.replaceChildren(failure(err, () => load(reset)));
      throw err;
    } finally { more.disabled = false; }
  }

  const apply = h('button', { type: 'submit', class: 'btn primary', text: t('audit.filter') });
  const clear = h('button', { type: 'button', class: 'btn', text: t('audit.clear') });
  const download = h('button', { type: 'button', class: 'btn', text: t('audit.download') });
  const form = h('form', { class: 'audit-filter card', novalidate: true, role: 'search', 'aria-label': t('audit.filterLabel') },
    // The action is picked from a list in words, so it needs no hint on how to type a code.
    AUDIT_FILTERS.map((k) => field(t(`audit.${k}`), inputs[k], k === 'action' ? '' : t(`audit.${k}Hint`))), h('div', { class: 'actions' }, apply, clear, download), errorBox());
  const typed = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
  const run = async () => {
    clearFormError(form);
    const prev = filters;
    filters = typed();
    try {
      await load(true);
      const n = tbody.children.length;
      announce(t(Object.values(filters).some(Boolean) ? 'audit.applied' : 'audit.entries', { count: n, more: cursor ? '+' : '' }));
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
      announce(t('audit.downloaded'));
    } catch (err) { showFormError(form, err); } finally { download.disabled = false; }
  });
  more.addEventListener('click', () => load().catch(() => {}));
  load(true).catch(() => {});
  const tableWrap = h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('caption', { class: 'visually-hidden', text: t('tab.audit') }),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', text: x })))), tbody));
  keepCurrent(tableWrap, firstPage, () => load(true).catch(() => {}), { what: t('tab.audit') });
  return h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: t('tab.audit') })),
    h('p', { class: 'muted intro', text: t('audit.intro') }),
    form, tableWrap, state, h('div', { class: 'more' }, more));
}

// downloadCSV fetches a CSV export with the session token (a plain link could
// not carry it) and saves it under the server's file name.
async function downloadCSV(path, fallbackName) {
  let res;
  try {
    res = await fetch(`/v1${path}`, { headers: { Authorization: `Bearer ${token.get()}`, 'X-Client-Platform': 'web' }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('api.offline'));
  }
  if (!res.ok) {
    let e = {};
    try { e = (await res.json()).error || {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || t('audit.downloadFailed', { status: res.status }), e.field);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
