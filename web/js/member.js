// member.js — the view of a company member: Cases, Guests (invite, extend,
// end, re-invite) and, for admins, the Audit log. Tabs the privileges do not
// allow are not shown.

import { api, orgPath } from './api.js';
import {
  h, when, fmt, table, loading, failure, field, setMain, announce, openDialog, periodFieldset,
  actionMenu, yesNo, badge, invalid, row,
} from './ui.js';
import { casesSection, caseDetail } from './cases.js';

const TABS = [
  { path: '/cases', label: 'Cases', privilege: 'cases.read' },
  { path: '/guests', label: 'Guests', privilege: 'guests.manage' },
  { path: '/audit', label: 'Audit log', privilege: 'audit.read' },
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
    h('p', { class: 'empty', text: 'Your role in this company has no access to cases, guests or the audit log.' }));
  else if (current.path === '/cases') {
    const id = path.slice('/cases/'.length);
    content = id ? caseDetail(ctx, decodeURIComponent(id)) : casesSection(ctx);
  } else if (current.path === '/guests') content = guestsSection(ctx);
  else content = auditSection(ctx);
  document.title = `${current ? current.label : ctx.orgName} · Guestbridge`;
  setMain(nav, content);
}

const FILTERS = [['', 'All'], ['active', 'Active'], ['pending', 'Pending'], ['deactivated', 'Deactivated']];

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

  async function load() {
    list.replaceChildren(loading('guests'));
    try {
      const [{ guests = [] }, cases] = await Promise.all([
        api('GET', orgPath(org, 'guests') + (status ? `?status=${status}` : '')),
        ctx.can('cases.read') ? api('GET', orgPath(org, 'cases')).then((r) => r.cases || []).catch(() => []) : [],
      ]);
      caseTitles = new Map(cases.map((c) => [c.id, c.title]));
      if (!guests.length) {
        const label = FILTERS.find(([v]) => v === status)[1].toLowerCase();
        list.replaceChildren(h('p', { class: 'empty', text: status ? `No ${label} guests.` : 'No guests yet. Use “Invite guest” to add someone to a case.' }));
        return;
      }
      list.replaceChildren(table('Guests', ['Guest', 'Cases', 'Status', 'Active', 'Validated', 'Valid until', 'Delivery', 'Actions'],
        guests.map((g) => guestRow(g))));
    } catch (err) {
      if (!err.handled) list.replaceChildren(failure(err, load));
    }
  }

  function guestRow(g) {
    const reason = g.status === 'deactivated' && g.endReason ? g.endReason : '';
    return [
      h('div', { class: 'who' }, h('strong', { text: g.name }), h('span', { class: 'muted', text: g.email }),
        g.phone ? h('span', { class: 'muted', text: g.phone }) : null),
      h('div', { class: 'cases' }, (g.caseIds || []).map((id) => h('div', { text: caseTitles.get(id) || id }))),
      badge(g.status, reason),
      yesNo(g.active),
      yesNo(g.validated),
      g.endedAt && g.status === 'deactivated' ? h('span', {}, 'Ended ', when(g.endedAt)) : when(g.validUntil),
      delivery(g),
      actionMenu(`Actions for ${g.name}`, g.status === 'deactivated'
        ? [{ label: 'Re-invite', run: (b) => reinviteDialog(org, g, load, b) }]
        : [{ label: 'Extend', run: (b) => extendDialog(org, g, load, b) },
          { label: 'End guest account', danger: true, run: (b) => endDialog(org, g, load, b) }]),
    ];
  }

  load();
  return h('section', { class: 'section' },
    h('div', { class: 'section-head' }, h('h1', { text: 'Guests' }), inviteBtn),
    h('p', { class: 'muted intro', text: 'People from outside who work on a case for a limited time. Deactivated guests stay listed and can be invited again.' }),
    filters, list);
}

const CHANNEL = { email: 'Email', sms: 'SMS' };

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
  const body = [
    h('p', { class: 'muted', text: 'The guest sees only the case you add them to, and the account is deactivated at the end of the period.' }),
    field('Email', email), field('Name', name),
    field('Mobile number (optional)', phone, 'International format, for example +4915112345678.'),
    h('label', { class: 'choice' }, sms, 'Also send the invitation by SMS (the link is valid for 24 hours)'),
    h('fieldset', { 'data-field': 'case' }, h('legend', { text: 'Case' }),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rExisting, 'Existing case'), caseSelect),
      h('div', { class: 'choice-row' }, h('label', { class: 'choice' }, rNew, 'Create new case'), newTitle)),
    period,
  ];
  openDialog({
    title: 'Invite guest', body, submitLabel: 'Send invitation',
    onSubmit: async () => {
      const req = { email: email.value.trim(), name: name.value.trim(), channels: ['email'], period: period.period() };
      if (phone.value.trim()) req.phone = phone.value.trim();
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
      g.phone && (g.channels || []).includes('sms') ? ` and ${g.phone}` : '', ' with the stored details and cases.'), period],
    onSubmit: async () => {
      await api('POST', orgPath(org, 'guests', g.id, 'reinvite'), { period: period.period() });
      announce(`A new invitation was sent to ${g.name}.`);
      done();
    },
  });
}

function auditSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn', text: 'Load more', hidden: true });
  const state = h('div');
  let cursor = '';
  const headers = ['When', 'Actor', 'Action', 'Target', 'Details'];

  async function load() {
    more.disabled = true;
    state.replaceChildren(loading('entries'));
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (cursor) q.set('cursor', cursor);
      const { entries = [], next } = await api('GET', `${orgPath(org, 'audit')}?${q}`);
      for (const e of entries) {
        const details = Object.entries(e.details || {}).map(([k, v]) => h('div', {}, h('span', { class: 'muted', text: `${k}: ` }), String(v)));
        const cells = [when(e.at), h('span', { class: 'mono', text: e.actor }), h('code', { text: e.action }),
          h('span', { class: 'mono', text: e.target }), details];
        tbody.append(row(headers, cells));
      }
      cursor = next || '';
      more.hidden = !cursor;
      state.replaceChildren(tbody.children.length ? '' : h('p', { class: 'empty', text: 'No entries yet.' }));
      if (entries.length) announce(`${entries.length} entries loaded.`);
    } catch (err) {
      if (!err.handled) state.replaceChildren(failure(err, load));
    } finally { more.disabled = false; }
  }
  more.addEventListener('click', load);
  load();
  return h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: 'Audit log' })),
    h('p', { class: 'muted intro', text: 'Who did what, and when. Newest first.' }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('caption', { class: 'visually-hidden', text: 'Audit log' }),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))), tbody)),
    state, h('div', { class: 'more' }, more));
}
