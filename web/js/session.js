// session.js — the technician's live session page at /session/{id}: the
// customer's camera, participants (invite, remove, switch tools), the
// customer link, chat, tools, session details and "End session".

import { api, orgPath } from './api.js';
import { h, uid, when, field, table, setMain, loading, failure, announce, openDialog, confirmDialog, actionMenu, checklist, invalid } from './ui.js';
import { connectRelay } from './rtc.js';
import { scanTools } from './tools/scan.js';
import { TOOLS, KINDS, WHY, whyText, kindLabel, toolLabel, toolList, rosterText, closeText, closeNote, reconnectNotice, remoteMedia, chatPanel, activityPanel, toolPanel, describe, sender, recordingIndicator } from './live.js';
import { t, tl, tx } from './i18n.js';
import { cameraTools } from './tools/camera.js';
import { qualityText, presenceText, worstText } from './net.js';
import { snapshotButton, notesPanel } from './keep.js';

let handoff = null; // the start answer, kept in memory for the page it opens

/** openSession shows a session just started: its first ticket is used at once. */
export function openSession(ctx, started) {
  handoff = started;
  try { sessionStorage.setItem(`guestbridge.customerLink.${started.session.id}`, started.customerLink); } catch { /* storage full */ }
  ctx.navigate(`/session/${encodeURIComponent(started.session.id)}`);
}

/** copyField is a read-only text with a Copy button. */
function copyField(label, value) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'mono' });
  const btn = h('button', { type: 'button', class: 'btn small', text: t('session.copy') });
  btn.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(value); } catch { input.select(); document.execCommand('copy'); }
    announce(t('session.copiedWhat', { what: label }));
    btn.textContent = t('session.copied');
    setTimeout(() => { btn.textContent = t('session.copy'); }, 2000);
  });
  return h('div', { class: 'copy' }, field(label, input), btn);
}

/** removedText says whether a participant was removed, and why. */
export const removedText = (p) => {
  if (!p.removed) return t('ui.no');
  // Removed by the primary, or by what happened to the account (account_ended, ...).
  const why = WHY.includes(p.removedReason) ? whyText(p.removedReason) : p.removedReason || '';
  if (p.removedNote) return why ? t('session.removedWhyNote', { why, note: p.removedNote }) : t('session.removedNote', { note: p.removedNote });
  return why ? t('session.removedWhy', { why }) : t('ui.yes');
};

/** matrixTable shows which tools each kind of participant has. */
export function matrixTable(matrix) {
  return h('table', { class: 'grid' }, h('caption', { class: 'visually-hidden', text: t('session.matrix') }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('session.tool') }), KINDS.map((k) => h('th', { scope: 'col', text: kindLabel(k) })))),
    h('tbody', {}, TOOLS.map((tool) => h('tr', {}, h('th', { scope: 'row', text: toolLabel(tool) }),
      KINDS.map((k) => h('td', {}, (matrix[k] || []).includes(tool)
        ? [h('span', { 'aria-hidden': 'true', text: '✓' }), h('span', { class: 'visually-hidden', text: t('ui.yes') })]
        : h('span', { class: 'visually-hidden', text: t('ui.no') })))))));
}

/** renderSession shows the session page of a signed-in technician. */
export async function renderSession(ctx, id) {
  document.title = `${t('live.title')} · Guestbridge`;
  setMain(h('h1', { text: t('live.title') }), loading(t('live.loading')));
  let s;
  try {
    s = await api('GET', `/sessions/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!err.handled) setMain(h('h1', { text: t('live.title') }), failure(err, () => renderSession(ctx, id)));
    return;
  }
  if (location.pathname !== `/session/${encodeURIComponent(id)}`) return;
  const org = ctx.me.actingOrg.orgId;
  const isPrimary = s.primaryUserId === ctx.me.user.id;
  const base = `/sessions/${encodeURIComponent(id)}`;
  const online = new Set();
  // Seats held through a blip, and the relay's latest figures per participant.
  const reconnecting = new Set();
  const figures = new Map();

  const back = h('a', { href: `/cases/${encodeURIComponent(s.caseId)}`, 'data-nav': true, class: 'back', text: `← ${t('session.backToCase')}` });
  const status = h('p', { class: 'live-status', role: 'status' });
  const endBtn = isPrimary ? h('button', { type: 'button', class: 'btn danger', ...tl('session.end') }) : null;
  const title = h('h1', { text: t('live.title') });
  const head = h('div', { class: 'section-head' }, title, endBtn);
  api('GET', orgPath(org, 'cases', s.caseId)).then((c) => { title.textContent = t('session.titleOf', { title: c.title }); }).catch(() => {});
  const video = h('video', { autoplay: true, playsinline: true, class: 'remote' });
  const waiting = h('p', { class: 'waiting', ...tl('live.waiting') });
  const media = remoteMedia(video, waiting);
  const activity = activityPanel();
  let link = { send: () => false };
  const relay = { send: (m) => link.send(m) };
  const chat = chatPanel(relay);
  const tools = toolPanel(relay, activity, scanTools(video, relay, activity));
  const snap = snapshotButton(id, relay, activity);
  const notes = isPrimary ? notesPanel(id) : null;
  const people = h('ul', { class: 'people' });
  const inviteBtn = isPrimary ? h('button', { type: 'button', class: 'btn small', ...tl('tool.invite'), onclick: (e) => inviteDialog(e.currentTarget) }) : null;
  const details = h('div');
  const detailsBox = h('details', { class: 'panel details' }, h('summary', { ...tl('tool.session_details') }), details);
  const customerLink = (handoff?.session.id === id && handoff.customerLink) || sessionStorage.getItem(`guestbridge.customerLink.${id}`);
  const links = h('section', { class: 'panel' }, h('h2', { ...tl('session.links') }),
    customerLink ? copyField(t('session.customerLink'), customerLink) : h('p', { class: 'muted small', text: t('session.customerLinkGone') }),
    copyField(t('session.teamPage'), `${location.origin}/session/${encodeURIComponent(id)}`));
  const recording = recordingIndicator({ log: activity });
  const stage = h('div', { class: 'stage' }, recording, h('div', { class: 'screen' }, video, waiting), media.sound, snap, tools, media.box);
  const cam = cameraTools({ video, link: relay, log: activity });
  tools.before(cam.panel);
  const side = h('div', { class: 'side' }, h('section', { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', { ...tl('session.participants') }), inviteBtn), people), links, notes, chat, activity);
  const live = h('div', { class: 'live' }, stage, side);
  setMain(h('section', { class: 'section' }, back, head, status, live, detailsBox));

  function participant(p) {
    const now = online.has(p.id);
    const state = p.removed ? h('span', { class: 'badge s-ended', text: t('session.removed') })
      : now && reconnecting.has(p.id) ? h('span', { class: 'ind warn' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), t('net.reconnecting'))
      : now ? h('span', { class: 'ind on' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), t('session.inSession'))
        : p.leftAt ? h('span', { class: 'muted' }, tx('session.leftAt', { at: when(p.leftAt) }))
          : p.joinedAt ? h('span', { class: 'muted' }, tx('session.joinedAt', { at: when(p.joinedAt) })) : h('span', { class: 'muted', text: t('session.notJoined') });
    const menu = isPrimary && p.kind !== 'primary' && !p.removed ? actionMenu(t('session.actionsFor', { name: p.name }), [
      { label: t('session.toolsMenu'), run: (b) => toolsDialog(p, b) },
      { label: t('session.removeMenu'), danger: true, run: (b) => removeDialog(p, b) },
    ]) : null;
    const q = now && figures.get(p.id);
    return h('li', {}, h('div', { class: 'who' }, h('strong', { text: p.userId === ctx.me.user.id ? t('live.nameYou', { name: p.name }) : p.name }),
      h('span', { class: 'tag', text: kindLabel(p.kind) }), state,
      h('span', { class: 'muted small quality', 'data-quality': p.id, text: q ? qualityText(q) : '' })), menu);
  }

  function showDetails() {
    const rows = s.participants.map((p) => [h('span', { text: p.name }), h('span', { text: kindLabel(p.kind) }),
      when(p.invitedAt), when(p.joinedAt), when(p.leftAt), h('span', { text: removedText(p) }),
      h('span', { text: p.connection ? String(p.connection.reconnects) : '—' }), h('span', { text: worstText(p.connection) })]);
    details.replaceChildren(h('dl', { class: 'facts' }, h('dt', { text: t('session.started') }), h('dd', {}, when(s.createdAt)),
      h('dt', { text: t('session.state') }), h('dd', { text: s.state === 'live' ? t('session.live') : t('status.ended') }),
      s.endedAt ? [h('dt', { text: t('session.ended') }), h('dd', {}, when(s.endedAt))] : null),
    h('h3', { text: t('session.participants') }), table(t('session.participants'), [t('session.name'), t('session.kind'),
      t('session.invited'), t('session.joined'), t('session.left'), t('session.removed'), t('net.reconnects'), t('net.worst')], rows),
    h('h3', { text: t('session.toolsByKind') }), h('div', { class: 'table-wrap' }, matrixTable(s.matrix || {})));
  }

  // A refresh never pulls an open action menu from under the pointer: the list
  // waits until the menu is closed.
  let showLater = 0;
  function show() {
    showDetails();
    clearTimeout(showLater);
    if (people.querySelector('[aria-expanded="true"]')) { showLater = setTimeout(show, 500); return; }
    people.replaceChildren(...s.participants.map(participant));
  }

  let refreshing = 0;
  function refresh(delay = 0) {
    clearTimeout(refreshing);
    refreshing = setTimeout(async () => {
      try { s = await api('GET', base); show(); } catch { /* the next refresh tries again */ }
    }, delay);
  }
  const poll = setInterval(() => { if (!live.isConnected) clearInterval(poll); else refresh(); }, 15000);
  show();

  let over = false;
  function finish(x) {
    if (over) return; // the first final reason stands
    over = !x.retry;
    status.textContent = '';
    const text = closeText(x);
    media.clear();
    if (x.retry) { live.before(reconnectNotice(x, () => link)); return; }
    live.replaceWith(h('div', { class: 'card full-message live-end', role: 'alert' }, h('h2', { text }), closeNote(x),
      h('a', { href: `/cases/${encodeURIComponent(s.caseId)}`, 'data-nav': true, class: 'btn', text: t('session.backToCase') })));
    endBtn?.remove();
    inviteBtn?.remove();
    refresh(500);
  }

  function setTools(list) {
    tools.setTools(list);
    cam.setTools(list);
    snap.enable(list.includes('snapshot'));
    notes?.enable(list.includes('notes'));
    chat.enable(list.includes('chat'));
    detailsBox.hidden = !list.includes('session_details') || !!s.detailsHidden;
    if (inviteBtn) inviteBtn.hidden = !list.includes('invite');
    const mic = link.local?.getAudioTracks()[0];
    if (mic) mic.enabled = list.includes('mic');
  }

  if (s.state !== 'live') { finish({ reason: 'session_ended' }); return; }
  let first = handoff?.session.id === id ? handoff.primary : null;
  handoff = null;
  setTools(first?.tools || []);
  link = connectRelay({
    getJoining: async () => {
      const j = first && Date.parse(first.ticketExpiresAt) - Date.now() > 3000 ? first : await api('POST', `${base}/join`);
      first = null;
      return j;
    },
    local: (j) => (j.tools.includes('mic') ? navigator.mediaDevices?.getUserMedia({ audio: true }) : null),
    on: {
      state: (text) => { status.textContent = text; },
      joined: (m) => {
        chat.self = m.participant?.id || '';
        cam.joined(m.participant);
        (m.participants || []).forEach(cam.roster);
        online.clear();
        reconnecting.clear();
        [m.participant, ...(m.participants || [])].forEach((p) => p && online.add(p.id));
        (m.participants || []).forEach((p) => p.state === 'reconnecting' && reconnecting.add(p.id));
        setTools(m.tools || []);
        refresh(800);
      },
      tools: (list) => { setTools(list); activity.add('', t('live.toolsChanged', { tools: toolList(list) })); },
      presence: (p, state) => {
        if (state === 'reconnecting') reconnecting.add(p.id); else reconnecting.delete(p.id);
        activity.add('', presenceText(p, state));
        show();
      },
      quality: (list) => {
        list.forEach((q) => figures.set(q.id, q));
        people.querySelectorAll('[data-quality]').forEach((el) => {
          const q = online.has(el.dataset.quality) && figures.get(el.dataset.quality);
          el.textContent = q ? qualityText(q) : '';
        });
      },
      roster: (type, p, reason) => {
        if (type === 'participant_joined') online.add(p.id); else { online.delete(p.id); reconnecting.delete(p.id); figures.delete(p.id); }
        cam.roster(p);
        activity.add('', rosterText(type, p, reason));
        show();
        refresh(800);
      },
      track: media.track,
      message: (m) => {
        if (m.error) { if (!cam.refused(m.error)) tools.refused(m.error); }
        else if (cam.receive(m)) { /* shown over the picture */ }
        else if (m.tool === 'chat') chat.receive(m);
        else if (snap.receive(m)) { /* the snapshot exchange */ } else activity.add(sender(m), describe(m));
      },
      draining: () => { status.textContent = t('live.draining'); },
      recording: recording.set,
      closed: finish,
    },
  });

  endBtn?.addEventListener('click', () => confirmDialog({
    title: t('session.endTitle'), submitLabel: t('session.end'), danger: true, opener: endBtn,
    text: t('session.endText'),
    run: async () => {
      await api('POST', `${base}/end`, {});
      announce(t('close.session_ended'));
      finish({ reason: 'session_ended' });
      link.close();
    },
  }));

  function removeDialog(p, opener) {
    const reason = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', 'data-field': 'reason' });
    openDialog({
      title: t('session.removeTitle', { name: p.name }), submitLabel: t('session.remove'), danger: true, opener,
      body: [h('p', { class: 'muted' }, tx('session.removeText', { name: h('strong', { text: p.name }) })),
        field(t('session.reason'), reason, t('session.reasonHint', { name: p.name }))],
      onSubmit: async () => {
        await api('POST', `${base}/participants/${encodeURIComponent(p.id)}/remove`, { reason: reason.value.trim() });
        announce(t('session.wasRemoved', { name: p.name }));
        refresh();
      },
    });
  }

  function toolsDialog(p, opener) {
    const allowed = (s.matrix || {})[p.kind] || [];
    const list = checklist(t('live.tools'), allowed.map((x) => ({ value: x, label: toolLabel(x) })), p.tools, 'tools');
    openDialog({
      title: t('session.toolsFor', { name: p.name }), submitLabel: t('session.saveTools'), opener,
      body: [h('p', { class: 'muted', text: t('session.toolsHint', { kind: kindLabel(p.kind) }) }), list],
      onSubmit: async () => {
        const u = await api('PUT', `${base}/participants/${encodeURIComponent(p.id)}/tools`, { tools: list.values() });
        announce(t('session.toolsSaved', { name: u.name }));
        refresh();
      },
    });
  }

  function inviteDialog(opener) {
    const tabs = [['internal', t('session.internal')], ['guest', t('session.guest')]].map(([key, label]) => {
      const tab = h('button', { type: 'button', role: 'tab', id: uid('tab'), text: label });
      return { key, tab };
    });
    // The picker: the company's technicians, searched by name or email;
    // those already seated are shown but cannot be picked again.
    const search = h('input', { type: 'search', autocomplete: 'off', class: 'picker-search' });
    const choices = h('div', { role: 'radiogroup', class: 'picker', 'data-field': 'userId', 'aria-label': t('session.technicians') });
    const internal = h('fieldset', { class: 'plain' }, h('legend', { class: 'visually-hidden', text: t('session.internalTech') }),
      h('p', { class: 'muted', text: t('session.internalHint') }),
      field(t('session.search'), search), choices);
    let picked = '';
    let searching = 0;
    async function find() {
      const mine = ++searching;
      try {
        const { technicians = [] } = await api('GET', `${base}/technicians?q=${encodeURIComponent(search.value.trim())}`);
        if (mine !== searching) return;
        const name = uid('pick');
        choices.replaceChildren(...(technicians.length ? technicians.map((m) => {
          const radio = h('input', { type: 'radio', name, value: m.userId, disabled: m.inSession, checked: m.userId === picked });
          radio.addEventListener('change', () => { picked = radio.value; });
          return h('label', { class: `pick${m.inSession ? ' taken' : ''}` }, radio, h('span', { text: `${m.name} (${m.email})` }),
            m.inSession ? h('span', { class: 'badge', text: t('session.inSession') }) : null);
        }) : [h('p', { class: 'empty', text: t('session.noMatch') })]));
      } catch (err) {
        if (mine === searching && !err.handled) choices.replaceChildren(h('p', { class: 'error', text: err.message }));
      }
    }
    let debounce;
    search.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(find, 250); });
    find();
    internal.value = () => picked;
    const email = h('input', { type: 'email', required: true, autocomplete: 'off', 'data-field': 'email' });
    const name = h('input', { type: 'text', maxlength: 120, autocomplete: 'off', 'data-field': 'name' });
    const guest = h('fieldset', { class: 'plain' }, h('legend', { class: 'visually-hidden', text: t('kind.guest') }),
      h('p', { class: 'muted', text: t('session.guestHint') }),
      field(t('field.email'), email), field(t('session.nameOptional'), name));
    const panels = { internal, guest };
    let current = 'internal';
    function select(key, focus) {
      current = key;
      for (const t of tabs) {
        const on = t.key === key;
        t.tab.setAttribute('aria-selected', String(on));
        t.tab.tabIndex = on ? 0 : -1;
        panels[t.key].hidden = panels[t.key].disabled = !on;
        if (on && focus) t.tab.focus();
      }
    }
    tabs.forEach((t, i) => {
      const panel = h('div', { role: 'tabpanel', id: uid('panel'), 'aria-labelledby': t.tab.id }, panels[t.key]);
      t.tab.setAttribute('aria-controls', panel.id);
      t.panel = panel;
      t.tab.addEventListener('click', () => select(t.key));
      t.tab.addEventListener('keydown', (e) => {
        const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (d) { e.preventDefault(); select(tabs[(i + d + tabs.length) % tabs.length].key, true); }
      });
    });
    select('internal');
    openDialog({
      title: t('tool.invite'), submitLabel: t('session.invite'), opener,
      body: [h('div', { role: 'tablist', class: 'tablist', 'aria-label': t('session.kindOfTech') }, tabs.map((t) => t.tab)), tabs.map((t) => t.panel)],
      onSubmit: async () => {
        let body;
        if (current === 'internal') {
          if (!internal.value()) throw invalid(search, t('session.choose'));
          body = { kind: 'internal', userId: internal.value() };
        } else body = { kind: 'guest', email: email.value.trim(), ...(name.value.trim() ? { name: name.value.trim() } : {}) };
        const p = await api('POST', `${base}/invites`, body);
        announce(current === 'guest' ? t('session.invitedGuest', { email: p.email }) : t('session.invitedInternal', { name: p.name }));
        refresh();
      },
    });
  }
}
