// devices.js — the company's groups and their devices, as far as the caller
// may see them: created, renamed, moved and deleted with devices.configure,
// sent commands with devices.control. Shared by members and guests of the
// company, whose privileges follow their workspace.

import { api, orgPath } from './api.js';
import { h, uid, when, fmt, table, loading, failure, field, openDialog, confirmDialog, actionMenu, announce } from './ui.js';

const COMMANDS = [
  ['restart', 'Restart', 'restart the device'],
  ['lock', 'Lock', 'lock the device until someone signs in on site'],
  ['identify', 'Identify', 'blink or beep so that someone on site can find it'],
  ['sync', 'Sync', 'fetch the configuration and report the status now'],
];

/** modeLabel describes a company guest's workspace. */
export function modeLabel(ws) {
  if (ws && ws.mode === 'groups') {
    const n = Object.keys(ws.groups || {}).length;
    return `Per group (${n} ${n === 1 ? 'group' : 'groups'})`;
  }
  if (ws && ws.mode === 'devices') {
    const n = (ws.devices || []).length;
    return `Selected devices (${n})`;
  }
  return 'All groups and devices';
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
  const newDevice = h('button', { type: 'button', class: 'btn primary', text: 'Add device', hidden: true,
    onclick: () => deviceDialog(org, configurable(), null, load, newDevice) });
  const newGroup = canCreateGroup ? h('button', { type: 'button', class: 'btn', text: 'New group',
    onclick: (e) => groupDialog(org, null, load, e.currentTarget) }) : null;
  const say = (msg) => {
    notice.replaceChildren(h('p', { class: 'notice ok', text: msg }));
  };

  async function load() {
    list.replaceChildren(loading('groups and devices'));
    try {
      const [gr, dr] = await Promise.all([api('GET', orgPath(org, 'groups')), api('GET', orgPath(org, 'devices'))]);
      groups = gr.groups || [];
      const devices = dr.devices || [];
      newDevice.hidden = !configurable().length;
      if (!groups.length && !devices.length) {
        list.replaceChildren(h('p', { class: 'empty', text: canCreateGroup
          ? 'No groups yet. Create a group, then add its devices.' : 'There are no groups or devices for you to see.' }));
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
      { label: 'Rename group', run: (b) => groupDialog(org, g, load, b) },
      { label: 'Delete group', danger: true, run: (b) => confirmDialog({
        title: 'Delete group?', submitLabel: 'Delete group', danger: true, opener: b,
        text: [h('strong', { text: g.name }), ' is deleted. Only an empty group can be deleted: move or delete its devices first.'],
        run: async () => { await api('DELETE', orgPath(org, 'groups', g.id)); announce(`Group “${g.name}” deleted.`); load(); },
      }) },
    ] : [];
    const headers = ['Device', 'Added', 'Actions'];
    return h('section', { class: 'group', 'aria-labelledby': titleId },
      h('div', { class: 'group-head' }, h('h2', { id: titleId, text: g ? g.name : 'Other devices' }),
        h('span', { class: 'muted', text: `${devices.length} ${devices.length === 1 ? 'device' : 'devices'}` }),
        items.length ? actionMenu(`Actions for group ${g.name}`, items) : null),
      devices.length ? table(`Devices in ${g ? g.name : 'other groups'}`, headers, devices.map((d) => deviceRow(d)))
        : h('p', { class: 'empty small', text: 'No devices in this group.' }));
  }

  function deviceRow(d) {
    const p = privsAt(d.groupId, d.id);
    const actions = [];
    if (p.includes('devices.control')) {
      actions.push(h('button', { type: 'button', class: 'btn small', text: 'Send command',
        'aria-label': `Send a command to ${d.name}`, onclick: (e) => commandDialog(org, d, say, e.currentTarget) }));
    }
    if (p.includes('devices.configure')) {
      actions.push(actionMenu(`Actions for ${d.name}`, [
        { label: 'Rename or move', run: (b) => deviceDialog(org, configurable(), d, load, b) },
        { label: 'Delete device', danger: true, run: (b) => confirmDialog({
          title: 'Delete device?', submitLabel: 'Delete device', danger: true, opener: b,
          text: [h('strong', { text: d.name }), ' is removed from the company.'],
          run: async () => { await api('DELETE', orgPath(org, 'devices', d.id)); announce(`Device “${d.name}” deleted.`); load(); },
        }) },
      ]));
    }
    return [h('strong', { text: d.name }), when(d.createdAt),
      actions.length ? h('div', { class: 'row-actions' }, actions) : h('span', { class: 'muted', text: 'View only' })];
  }

  load();
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: 'Devices' }), h('div', { class: 'actions' }, newGroup, newDevice)),
    intro || h('p', { class: 'muted intro', text: 'Devices are kept in groups. Guests of the company see the groups and devices their workspace gives them.' }),
    notice, list);
}

function groupDialog(org, g, done, opener) {
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: g ? g.name : '', autocomplete: 'off', 'data-field': 'name' });
  openDialog({
    title: g ? `Rename group ${g.name}` : 'New group', submitLabel: g ? 'Save' : 'Create group', opener,
    body: field('Group name', name),
    onSubmit: async () => {
      const r = await api(g ? 'PUT' : 'POST', g ? orgPath(org, 'groups', g.id) : orgPath(org, 'groups'), { name: name.value.trim() });
      announce(g ? `Group renamed to “${r.name}”.` : `Group “${r.name}” created.`);
      done();
    },
  });
  name.focus();
}

function deviceDialog(org, groups, d, done, opener) {
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: d ? d.name : '', autocomplete: 'off', 'data-field': 'name' });
  const options = groups.map((g) => h('option', { value: g.id, text: g.name, selected: d && d.groupId === g.id }));
  if (d && !groups.some((g) => g.id === d.groupId)) options.unshift(h('option', { value: d.groupId, text: 'Current group', selected: true }));
  const group = h('select', { required: true, 'data-field': 'groupId' }, options);
  openDialog({
    title: d ? `Rename or move ${d.name}` : 'Add device', submitLabel: d ? 'Save' : 'Add device', opener,
    body: [field('Device name', name), field('Group', group, d ? 'Moving needs the right to configure both groups.' : '')],
    onSubmit: async () => {
      const body = { name: name.value.trim(), groupId: group.value };
      const r = await api(d ? 'PUT' : 'POST', d ? orgPath(org, 'devices', d.id) : orgPath(org, 'devices'), body);
      announce(d ? `Device “${r.name}” saved.` : `Device “${r.name}” added.`);
      done();
    },
  });
  name.focus();
}

function commandDialog(org, d, say, opener) {
  const group = uid('cmd');
  const radios = COMMANDS.map(([id], i) => h('input', { type: 'radio', name: group, value: id, checked: i === 0 }));
  openDialog({
    title: `Send a command to ${d.name}`, submitLabel: 'Send command', opener,
    body: h('fieldset', { 'data-field': 'command' }, h('legend', { text: 'Command' }),
      COMMANDS.map(([, label, hint], i) => h('label', { class: 'choice block' }, radios[i],
        h('span', {}, h('strong', { text: label }), h('span', { class: 'muted', text: ` — ${hint}` }))))),
    onSubmit: async () => {
      const cmd = radios.find((r) => r.checked).value;
      const r = await api('POST', orgPath(org, 'devices', d.id, 'commands'), { command: cmd });
      const label = COMMANDS.find(([id]) => id === cmd)[1];
      say(`${label} was sent to ${d.name} at ${fmt(r && r.at)}.`);
      announce(`${label} was sent to ${d.name}.`);
    },
  });
  radios[0].focus();
}
