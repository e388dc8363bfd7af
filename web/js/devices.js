// devices.js — the company's groups and their devices, as far as the caller
// may see them: created, renamed, moved and deleted with devices.configure,
// sent commands with devices.control. Shared by members and guests of the
// company, whose privileges follow their workspace.

import { t, tx } from './i18n.js';
import { api, apiAll, orgPath } from './api.js';
import { h, uid, when, fmt, table, loading, failure, field, openDialog, confirmDialog, actionMenu, announce } from './ui.js';

const COMMANDS = ['restart', 'lock', 'identify', 'sync'];
const commandLabel = (id) => t(`command.${id}`);

/** modeLabel describes a company guest's workspace. */
export function modeLabel(ws) {
  if (ws && ws.mode === 'groups') {
    return t('mode.groups', { count: Object.keys(ws.groups || {}).length });
  }
  if (ws && ws.mode === 'devices') {
    return t('mode.devices', { count: (ws.devices || []).length });
  }
  return t('mode.all');
}

/**
 * scopeOf returns privsAt(groupId, deviceId): the privileges the caller holds
 * on a group (deviceId empty) or a device. A member's hold everywhere; a
 * guest of the company's follow their workspace, as the API decides.
 */
export function scopeOf(privileges, workspace) {
  const all = privileges || [];
  if (!workspace || workspace.mode === 'all') return () => all;
  if (workspace.mode === 'groups') return (groupId) => (workspace.groups || {})[groupId] || [];
  return (groupId, deviceId) => (deviceId && (workspace.devices || []).includes(deviceId) ? all : []);
}

/** devicesSection lists the groups with their devices. */
export function devicesSection(ctx, { privsAt, canCreateGroup = false, intro } = {}) {
  const org = ctx.me.actingOrg.orgId;
  const list = h('div', { class: 'groups' });
  const notice = h('div', { role: 'status' });
  let groups = [];
  const configurable = () => groups.filter((g) => privsAt(g.id, '').includes('devices.configure'));
  const newDevice = h('button', { type: 'button', class: 'btn primary', text: t('devices.add'), hidden: true,
    onclick: () => deviceDialog(org, configurable(), null, load, newDevice) });
  const newGroup = canCreateGroup ? h('button', { type: 'button', class: 'btn', text: t('devices.newGroup'),
    onclick: (e) => groupDialog(org, null, load, e.currentTarget) }) : null;
  const say = (msg) => {
    notice.replaceChildren(h('p', { class: 'notice ok', text: msg }));
  };

  async function load() {
    list.replaceChildren(loading(t('devices.loading')));
    try {
      const [gr, devices] = await Promise.all([apiAll(orgPath(org, 'groups'), 'groups'), apiAll(orgPath(org, 'devices'), 'devices')]);
      groups = gr;
      newDevice.hidden = !configurable().length;
      if (!groups.length && !devices.length) {
        list.replaceChildren(h('p', { class: 'empty', text: t(canCreateGroup ? 'devices.emptyAdmin' : 'devices.empty') }));
        return;
      }
      const byGroup = new Map(groups.map((g) => [g.id, []]));
      const other = [];
      for (const d of devices) (byGroup.get(d.groupId) || other).push(d);
      list.replaceChildren(...groups.map((g) => groupBlock(g, byGroup.get(g.id))), other.length ? groupBlock(null, other) : '');
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, load));
    }
  }

  function groupBlock(g, devices) {
    const titleId = uid('grp');
    const items = g && privsAt(g.id, '').includes('devices.configure') ? [
      { label: t('devices.renameGroup'), run: (b) => groupDialog(org, g, load, b) },
      { label: t('devices.deleteGroup'), danger: true, run: (b) => confirmDialog({
        title: t('devices.deleteGroupTitle'), submitLabel: t('devices.deleteGroup'), danger: true, opener: b,
        text: tx('devices.deleteGroupText', { name: h('strong', { text: g.name }) }),
        run: async () => { await api('DELETE', orgPath(org, 'groups', g.id)); announce(t('devices.groupDeleted', { name: g.name })); load(); },
      }) },
    ] : [];
    const headers = [t('devices.device'), t('devices.added'), t('col.actions')];
    return h('section', { class: 'group', 'aria-labelledby': titleId },
      h('div', { class: 'group-head' }, h('h2', { id: titleId, text: g ? g.name : t('devices.other') }),
        h('span', { class: 'muted', text: t('devices.count', { count: devices.length }) }),
        items.length ? actionMenu(t('devices.groupActions', { name: g.name }), items) : null),
      devices.length ? table(g ? t('devices.in', { name: g.name }) : t('devices.inOther'), headers, devices.map((d) => deviceRow(d)))
        : h('p', { class: 'empty small', text: t('devices.noneInGroup') }));
  }

  function deviceRow(d) {
    const p = privsAt(d.groupId, d.id);
    const actions = [];
    if (p.includes('devices.control')) {
      actions.push(h('button', { type: 'button', class: 'btn small', text: t('devices.sendCommand'),
        'aria-label': t('devices.sendCommandTo', { name: d.name }), onclick: (e) => commandDialog(org, d, say, e.currentTarget) }));
    }
    if (p.includes('devices.configure')) {
      actions.push(actionMenu(t('devices.actions', { name: d.name }), [
        { label: t('devices.renameMove'), run: (b) => deviceDialog(org, configurable(), d, load, b) },
        { label: t('devices.delete'), danger: true, run: (b) => confirmDialog({
          title: t('devices.deleteTitle'), submitLabel: t('devices.delete'), danger: true, opener: b,
          text: tx('devices.deleteText', { name: h('strong', { text: d.name }) }),
          run: async () => { await api('DELETE', orgPath(org, 'devices', d.id)); announce(t('devices.deleted', { name: d.name })); load(); },
        }) },
      ]));
    }
    return [h('strong', { text: d.name }), when(d.createdAt),
      actions.length ? h('div', { class: 'row-actions' }, actions) : h('span', { class: 'muted', text: t('devices.viewOnly') })];
  }

  load();
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: t('devices.title') }), h('div', { class: 'actions' }, newGroup, newDevice)),
    intro || h('p', { class: 'muted intro', text: t('devices.intro') }),
    notice, list);
}

function groupDialog(org, g, done, opener) {
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: g ? g.name : '', autocomplete: 'off', 'data-field': 'name' });
  openDialog({
    title: g ? t('devices.renameGroupTitle', { name: g.name }) : t('devices.newGroup'), submitLabel: g ? t('ui.save') : t('devices.createGroup'), opener,
    body: field(t('devices.groupName'), name),
    onSubmit: async () => {
      const r = await api(g ? 'PUT' : 'POST', g ? orgPath(org, 'groups', g.id) : orgPath(org, 'groups'), { name: name.value.trim() });
      announce(t(g ? 'devices.groupRenamed' : 'devices.groupCreated', { name: r.name }));
      done();
    },
  });
  name.focus();
}

function deviceDialog(org, groups, d, done, opener) {
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: d ? d.name : '', autocomplete: 'off', 'data-field': 'name' });
  const options = groups.map((g) => h('option', { value: g.id, text: g.name, selected: d && d.groupId === g.id }));
  if (d && !groups.some((g) => g.id === d.groupId)) options.unshift(h('option', { value: d.groupId, text: t('devices.currentGroup'), selected: true }));
  const group = h('select', { required: true, 'data-field': 'groupId' }, options);
  openDialog({
    title: d ? t('devices.renameMoveTitle', { name: d.name }) : t('devices.add'), submitLabel: d ? t('ui.save') : t('devices.add'), opener,
    body: [field(t('devices.deviceName'), name), field(t('devices.group'), group, d ? t('devices.moveHint') : '')],
    onSubmit: async () => {
      const body = { name: name.value.trim(), groupId: group.value };
      const r = await api(d ? 'PUT' : 'POST', d ? orgPath(org, 'devices', d.id) : orgPath(org, 'devices'), body);
      announce(t(d ? 'devices.saved' : 'devices.added.done', { name: r.name }));
      done();
    },
  });
  name.focus();
}

function commandDialog(org, d, say, opener) {
  const group = uid('cmd');
  const radios = COMMANDS.map((id, i) => h('input', { type: 'radio', name: group, value: id, checked: i === 0 }));
  openDialog({
    title: t('devices.sendCommandTo', { name: d.name }), submitLabel: t('devices.sendCommand'), opener,
    body: h('fieldset', { 'data-field': 'command' }, h('legend', { text: t('devices.command') }),
      COMMANDS.map((id, i) => h('label', { class: 'choice block' }, radios[i],
        h('span', {}, h('strong', { text: commandLabel(id) }), h('span', { class: 'muted', text: ` — ${t(`command.${id}.hint`)}` }))))),
    onSubmit: async () => {
      const cmd = radios.find((r) => r.checked).value;
      const r = await api('POST', orgPath(org, 'devices', d.id, 'commands'), { command: cmd });
      const label = commandLabel(cmd);
      say(t('devices.commandSentAt', { command: label, name: d.name, at: fmt(r && r.at) }));
      announce(t('devices.commandSent', { command: label, name: d.name }));
    },
  });
  radios[0].focus();
}
