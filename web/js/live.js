// live.js — the pieces of a live session page shared by technicians, guest
// technicians and the customer: remote media, chat, the activity log, the
// tool buttons with their small forms, and close reasons in plain words.

import { h, uid, field, errorBox, announce, clearFormError, checkForm, showFormError } from './ui.js';
import { t, tl } from './i18n.js';
import { isScan, describeScan } from './tools/scan.js';

// The relay's names for tools and kinds of participant; their words come
// from the catalog (kind.*, tool.*) in the page language at the time of use.
export const TOOLS = ['chat', 'video', 'annotation', 'zoom', 'notes', 'snapshot', 'live_text', 'freeze', 'record', 'mic',
  'invite', 'session_details', 'flash', 'qr', 'barcode'];
export const KINDS = ['primary', 'secondary', 'guest', 'customer'];
/** kindLabel names a kind of participant; an unknown kind shows as sent. */
export const kindLabel = (k) => (KINDS.includes(k) ? t(`kind.${k}`) : k || '?');
/** toolLabel names a tool; an unknown tool shows as sent. */
export const toolLabel = (x) => (TOOLS.includes(x) ? t(`tool.${x}`) : x);
/** toolList names tools, or says none. */
export const toolList = (list) => (list.length ? list.map(toolLabel).join(', ') : t('live.noTools'));

// The relay's close reasons with words of their own (close.*); others are shown by their code.
export const REASONS = ['session_ended', 'removed', 'account_ended', 'account_inactive', 'member_removed', 'expired',
  'replaced', 'seat_taken', 'left', 'connection_lost', 'relay_draining', 'relay_shutdown', 'media_failed',
  'ticket_invalid', 'ticket_used', 'relay_unavailable', 'client_too_slow'];

/** closeNote is the primary's words to a removed participant, if any. */
export const closeNote = (x) => (x && !(x instanceof Error) && x.message
  ? h('p', { class: 'close-note', text: t('live.technicianWrote', { note: x.message }) }) : null);

/** closeText says in plain words why a connection ended: an API error's message, or the relay's reason. */
export const closeText = (x) => (x instanceof Error ? x.message
  : REASONS.includes(x.reason) ? t(`close.${x.reason}`) : t('close.other', { reason: x.reason }));

// Why someone else is no longer in a session, said of them (removedWhy.*):
// a removal's reason in the report, or a close reason in the activity log.
export const WHY = ['removed', 'account_ended', 'account_inactive', 'member_removed', 'expired', 'session_ended',
  'replaced', 'connection_lost', 'media_failed'];
/** whyText says why a participant left or was removed; an unknown reason shows as sent. */
export const whyText = (r) => (WHY.includes(r) ? t(`removedWhy.${r}`) : r || '');

/** rosterText tells that someone joined or left, and why they left when it was not by choice. */
export const rosterText = (type, p, reason) => {
  const who = { name: p.name || t('live.someone'), kind: kindLabel(p.kind) };
  if (type === 'participant_joined') return t('live.joined', who);
  if (!reason || reason === 'left') return t('live.left', who);
  return t('live.leftBecause', { ...who, reason: whyText(reason) });
};

/** reconnectNotice tells that the connection was lost, with a button that joins again. */
export const reconnectNotice = (x, link) => h('div', { class: 'notice error', role: 'alert' }, h('p', { text: closeText(x) }),
  h('button', { type: 'button', class: 'btn', text: t('live.reconnect'), onclick: (e) => { e.currentTarget.parentElement.remove(); link().reconnect(); } }));

/** remoteMedia shows received streams: video in the given element, audio-only streams in hidden audio elements. */
export function remoteMedia(video, waiting) {
  const audios = new Map();
  const sound = h('button', { type: 'button', class: 'btn small', hidden: true, ...tl('live.sound') });
  const play = (el) => el.play().catch(() => {
    if (el === video && !video.muted) { video.muted = true; video.play().catch(() => {}); }
    sound.hidden = false;
  });
  sound.addEventListener('click', () => {
    if (video) video.muted = false;
    [video, ...audios.values()].forEach((el) => el?.srcObject && el.play().catch(() => {}));
    sound.hidden = true;
  });
  const drop = (id) => { audios.get(id)?.remove(); audios.delete(id); };
  const box = h('div', { hidden: true });
  function track(t, stream) {
    if (!stream) return;
    stream.onremovetrack = () => {
      if (video?.srcObject === stream && !stream.getVideoTracks().length) {
        video.srcObject = null;
        if (waiting) waiting.hidden = false;
      }
      if (!stream.getTracks().length) drop(stream.id);
    };
    if (t.kind === 'video' && video) {
      drop(stream.id);
      video.srcObject = stream;
      if (waiting) waiting.hidden = true;
      play(video);
    } else if (t.kind === 'audio' && video?.srcObject !== stream && !audios.has(stream.id)) {
      const a = h('audio', { autoplay: true });
      a.srcObject = stream;
      audios.set(stream.id, a);
      box.append(a);
      play(a);
    }
  }
  return { track, sound, box, clear: () => { [...audios.keys()].forEach(drop); if (video) video.srcObject = null; if (waiting) waiting.hidden = false; } };
}

/** logPanel is a titled, polite live log: chat and activity use it. */
function logPanel(title, empty) {
  const id = uid('log');
  const list = h('ol', { class: 'log', 'aria-live': 'polite', 'aria-labelledby': id });
  const none = h('p', { class: 'muted small', ...tl(empty) });
  const el = h('section', { class: 'panel' }, h('h2', { id, ...tl(title) }), none, list);
  el.add = (who, text, cls = '') => {
    none.remove();
    list.append(h('li', { class: cls }, who ? h('strong', { text: `${who}: ` }) : null, h('span', { text })));
    list.scrollTop = list.scrollHeight;
  };
  return el;
}

export const sender = (m) => t('live.sender', { name: m.fromName || t('live.someone'), kind: kindLabel(m.fromKind) });
let seq = 0;
const msgId = (tool) => `${tool}-${Date.now().toString(36)}-${++seq}`;

/** chatPanel sends and shows chat messages over the link. */
export function chatPanel(link) {
  const panel = logPanel('live.chat', 'live.noMessages');
  const input = h('input', { type: 'text', maxlength: 2000, autocomplete: 'off', required: true, 'aria-label': t('live.message'), 'data-i18n-label': 'live.message' });
  const btn = h('button', { type: 'submit', class: 'btn primary small', ...tl('live.send') });
  const form = h('form', { class: 'chat-form', novalidate: true }, input, btn, errorBox());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFormError(form);
    const text = input.value.trim();
    if (!text) return;
    if (!link.send({ tool: 'chat', id: msgId('chat'), text })) { showFormError(form, new Error(t('live.notSent'))); return; }
    panel.add(t('live.you'), text, 'own');
    input.value = '';
  });
  panel.append(form);
  // self is the page's participant id, so its own earlier lines (a reload's
  // history) read as its own.
  panel.self = '';
  panel.receive = (m) => (m.from && m.from === panel.self ? panel.add(t('live.you'), String(m.text ?? ''), 'own')
    : panel.add(sender(m), String(m.text ?? '')));
  panel.enable = (on) => { input.disabled = btn.disabled = !on; input.placeholder = on ? '' : t('live.chatOff'); };
  return panel;
}

/** activityPanel logs tool commands, refusals and who came and went; title is a catalog key. */
export const activityPanel = (title = 'live.activity') => logPanel(title, 'live.nothingYet');

const SKIP = new Set(['tool', 'id', 'from', 'fromKind', 'fromName', 'points', 'earlier']);
// The tool forms: [name, choices | input type]. Each sends {tool, id, ...values};
// snapshot and notes have their own controls (keep.js).
// a field's label is toolField.<name>, a choice's words toolChoice.<value>.
const FORMS = {
  // annotation, zoom, freeze and flash: tools/camera.js.
  qr: [], barcode: [], live_text: [],
  record: [['state', ['start', 'stop']]],
};
export const FIELDS = ['shape', 'label', 'level', 'state', 'caption', 'text'];
export const CHOICES = ['arrow', 'circle', 'rectangle', 'on', 'off', 'start', 'stop'];
const fieldKey = (tool, name) => (name === 'state' ? `toolState.${tool}` : `toolField.${name}`);
const fieldLabel = (tool, name) => t(fieldKey(tool, name));
const choice = (v) => (CHOICES.includes(v) ? t(`toolChoice.${v}`) : v);
const SEND = ['qr', 'barcode', 'live_text', 'snapshot', 'notes'];

/** describe renders a received tool message's payload as short text. */
export const describe = (m) => (isScan(m) ? describeScan(m) : [toolLabel(m.tool), ...Object.entries(m).filter(([k]) => !SKIP.has(k))
  .map(([k, v]) => `${FIELDS.includes(k) ? fieldLabel(m.tool, k) : k}: ${typeof v === 'object' ? JSON.stringify(v) : choice(String(v))}`)].join(' · '));

/** refusedText says that the relay refused a tool message, with its reason. */
export const refusedText = (err) => t('live.refused', { tool: err.tool ? toolLabel(err.tool) : t('live.message'),
  reason: err.code === 'record_unavailable' ? t('rec.unavailable') : err.message || '' });

/**
 * toolPanel offers one button per tool command; each opens a small form.
 * setTools enables only the tools the participant has; refused shows a
 * relay refusal in the form it came from. actions holds the tools that do
 * their own work when their form is sent (tools/scan.js): action(form, msgId).
 */
export function toolPanel(link, log, actions = {}) {
  const region = h('div', { class: 'tool-form' });
  const buttons = new Map();
  const forms = new Map();
  let tools = [];
  for (const [tool, fields] of Object.entries(FORMS)) {
    const inputs = fields.map(([name, kind]) => {
      const input = Array.isArray(kind)
        ? h('select', { name }, kind.map((v) => h('option', { value: v, ...tl(`toolChoice.${v}`) })))
        : h('input', { name, type: kind, required: kind === 'number', maxlength: 500, autocomplete: 'off',
          ...(kind === 'number' ? { min: 1, max: 10, step: 0.5, value: 2 } : {}) });
      const f = field(fieldLabel(tool, name), input);
      f.querySelector('label').dataset.i18n = fieldKey(tool, name);
      return f;
    });
    const form = h('form', { id: uid('tool'), hidden: true, novalidate: true, 'aria-label': toolLabel(tool) },
      inputs, errorBox(), h('button', { type: 'submit', class: 'btn primary small', ...tl(SEND.includes(tool) ? `toolSend.${tool}` : 'live.send') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      clearFormError(form);
      if (actions[tool]) { actions[tool](form, msgId); return; }
      try {
        checkForm(form);
        const msg = { tool, id: msgId(tool) };
        for (const el of form.querySelectorAll('[name]')) msg[el.name] = el.type === 'number' ? Number(el.value) : el.value;
        if (!link.send(msg)) throw new Error(t('live.commandNotSent'));
        log.add(t('live.you'), describe(msg), 'own');
        form.querySelectorAll('input').forEach((el) => { el.value = el.defaultValue; });
        announce(t('live.toolSent', { tool: toolLabel(tool) }));
      } catch (err) { showFormError(form, err); }
    });
    const btn = h('button', { type: 'button', class: 'btn small tool', 'aria-expanded': 'false', 'aria-controls': form.id,
      ...tl(`tool.${tool}`), onclick: () => show(forms.get(tool).hidden ? tool : '') });
    buttons.set(tool, btn);
    forms.set(tool, form);
    region.append(form);
  }
  function show(which) {
    for (const [tool, form] of forms) {
      form.hidden = tool !== which;
      buttons.get(tool).setAttribute('aria-expanded', String(tool === which));
    }
  }
  const el = h('section', { class: 'panel tools' }, h('h2', { ...tl('live.tools') }),
    h('div', { class: 'tool-buttons' }, [...buttons.values()]), region);
  el.setTools = (list) => {
    tools = list;
    for (const [tool, btn] of buttons) {
      btn.disabled = !tools.includes(tool);
      btn.title = btn.disabled ? t('live.toolOff') : '';
      if (btn.disabled && !forms.get(tool).hidden) show('');
    }
  };
  el.refused = (err) => {
    const form = forms.get(err.tool);
    const text = refusedText(err);
    log.add('', text, 'error');
    if (form && !form.hidden) showFormError(form, new Error(text));
    else announce(text);
  };
  return el;
}

/**
 * recordingIndicator shows while the session is recorded; set(notice) takes
 * the relay's recording message ({id, state, by, byName, reason}). The
 * customer's page says outright that they are being recorded; log, when
 * given, notes each start and stop.
 */
export function recordingIndicator({ customer = false, log = null } = {}) {
  const el = h('p', { class: 'rec-indicator', role: 'status', hidden: true, 'data-recording': 'off' },
    h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), h('span', { ...tl(customer ? 'rec.customerOn' : 'rec.on') }));
  let current = '';
  el.set = (n) => {
    const on = n.state === 'started';
    if (on && current === n.id) return; // a reconnect tells again
    current = on ? n.id : '';
    el.hidden = !on;
    el.dataset.recording = on ? 'on' : 'off';
    const text = on ? t('rec.startedBy', { name: n.byName || t('kind.primary') })
      : t(`rec.stopped.${['session_ended', 'customer_removed', 'drain', 'error'].includes(n.reason) ? n.reason : 'stopped'}`);
    log?.add('', text);
    announce(text);
  };
  return el;
}
