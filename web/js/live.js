// live.js — the pieces of a live session page shared by technicians, guest
// technicians and the customer: remote media, chat, the activity log, the
// tool buttons with their small forms, and close reasons in plain words.

import { h, uid, field, errorBox, announce, clearFormError, checkForm, showFormError } from './ui.js';

export const KIND_LABEL = { primary: 'Primary technician', secondary: 'Technician', guest: 'Guest technician', customer: 'Customer' };
export const TOOL_LABEL = {
  chat: 'Chat', video: 'Video', annotation: 'Annotation', zoom: 'Zoom', notes: 'Notes', snapshot: 'Snapshot',
  live_text: 'Live text', freeze: 'Freeze', record: 'Record', mic: 'Mic', invite: 'Invite technician',
  session_details: 'Session details', flash: 'Flash', qr: 'QR', barcode: 'Barcode',
};

const REASONS = {
  session_ended: 'The session has ended.',
  removed: 'You were removed from the session.',
  account_ended: 'Your guest access was ended.',
  account_inactive: 'Your guest access was switched off.',
  member_removed: 'You were removed from the company.',
  expired: 'Your access to this session has expired.',
  replaced: 'You opened this session in another tab or window.',
  seat_taken: 'This session is open on another device. Close it there to join here.',
  left: 'You left the session.',
  connection_lost: 'The connection to the session was lost.',
  relay_draining: 'The session server is restarting.',
  relay_shutdown: 'The session server was restarted.',
  media_failed: 'The audio and video connection failed.',
  ticket_invalid: 'The connection was refused.',
  ticket_used: 'The connection was refused.',
};
/** closeNote is the primary's words to a removed participant, if any. */
export const closeNote = (x) => (x && !(x instanceof Error) && x.message
  ? h('p', { class: 'close-note', text: `The technician wrote: “${x.message}”` }) : null);

/** closeText says in plain words why a connection ended: an API error's message, or the relay's reason. */

export const closeText = (x) => (x instanceof Error ? x.message : REASONS[x.reason] || `The connection ended (${x.reason}).`);

/** reconnectNotice tells that the connection was lost, with a button that joins again. */
export const reconnectNotice = (x, link) => h('div', { class: 'notice error', role: 'alert' }, h('p', { text: closeText(x) }),
  h('button', { type: 'button', class: 'btn', text: 'Reconnect', onclick: (e) => { e.currentTarget.parentElement.remove(); link().reconnect(); } }));

/** remoteMedia shows received streams: video in the given element, audio-only streams in hidden audio elements. */
export function remoteMedia(video, waiting) {
  const audios = new Map();
  const sound = h('button', { type: 'button', class: 'btn small', hidden: true, text: 'Turn on sound' });
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
  const none = h('p', { class: 'muted small', text: empty });
  const el = h('section', { class: 'panel' }, h('h2', { id, text: title }), none, list);
  el.add = (who, text, cls = '') => {
    none.remove();
    list.append(h('li', { class: cls }, who ? h('strong', { text: `${who}: ` }) : null, h('span', { text })));
    list.scrollTop = list.scrollHeight;
  };
  return el;
}

export const sender = (m) => `${m.fromName || 'Someone'} (${KIND_LABEL[m.fromKind] || m.fromKind || '?'})`;
let seq = 0;
const msgId = (tool) => `${tool}-${Date.now().toString(36)}-${++seq}`;

/** chatPanel sends and shows chat messages over the link. */
export function chatPanel(link) {
  const panel = logPanel('Chat', 'No messages yet.');
  const input = h('input', { type: 'text', maxlength: 2000, autocomplete: 'off', required: true, 'aria-label': 'Message' });
  const btn = h('button', { type: 'submit', class: 'btn primary small', text: 'Send' });
  const form = h('form', { class: 'chat-form', novalidate: true }, input, btn, errorBox());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFormError(form);
    const text = input.value.trim();
    if (!text) return;
    if (!link.send({ tool: 'chat', id: msgId('chat'), text })) { showFormError(form, new Error('Not connected yet: the message was not sent.')); return; }
    panel.add('You', text, 'own');
    input.value = '';
  });
  panel.append(form);
  // self is the page's participant id, so its own earlier lines (a reload's
  // history) read as its own.
  panel.self = '';
  panel.receive = (m) => (m.from && m.from === panel.self ? panel.add('You', String(m.text ?? ''), 'own')
    : panel.add(sender(m), String(m.text ?? '')));
  panel.enable = (on) => { input.disabled = btn.disabled = !on; input.placeholder = on ? '' : 'Chat is not available to you'; };
  return panel;
}

/** activityPanel logs tool commands, refusals and who came and went. */
export const activityPanel = (title = 'Activity') => logPanel(title, 'Nothing yet.');

const SKIP = new Set(['tool', 'id', 'from', 'fromKind', 'fromName', 'points']);
/** describe renders a received tool message's payload as short text. */
export const describe = (m) => [TOOL_LABEL[m.tool] || m.tool, ...Object.entries(m).filter(([k]) => !SKIP.has(k))
  .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)].join(' · ');

// The tool forms: [name, label, choices | input type]. Each sends {tool, id, ...values}.
const FORMS = {
  annotation: [['shape', 'Shape', ['arrow', 'circle', 'rectangle']], ['label', 'Label', 'text']],
  zoom: [['level', 'Zoom level', 'number']],
  freeze: [['state', 'Freeze the view', ['on', 'off']]],
  flash: [['state', 'Flashlight', ['on', 'off']]],
  qr: [], barcode: [], live_text: [],
  snapshot: [['caption', 'Caption', 'text']],
  notes: [['text', 'Note', 'text']],
  record: [['state', 'Recording', ['start', 'stop']]],
};
const SEND_LABEL = { qr: 'Scan QR code', barcode: 'Scan barcode', live_text: 'Read text', snapshot: 'Take snapshot', notes: 'Save note' };

/**
 * toolPanel offers one button per tool command; each opens a small form.
 * setTools enables only the tools the participant has; refused shows a
 * relay refusal in the form it came from.
 */
export function toolPanel(link, log) {
  const region = h('div', { class: 'tool-form' });
  const buttons = new Map();
  const forms = new Map();
  let tools = [];
  for (const [tool, fields] of Object.entries(FORMS)) {
    const inputs = fields.map(([name, label, kind]) => {
      const input = Array.isArray(kind)
        ? h('select', { name }, kind.map((v) => h('option', { value: v, text: v })))
        : h('input', { name, type: kind, required: kind === 'number', maxlength: 500, autocomplete: 'off',
          ...(kind === 'number' ? { min: 1, max: 10, step: 0.5, value: 2 } : {}) });
      return field(label, input);
    });
    const form = h('form', { id: uid('tool'), hidden: true, novalidate: true, 'aria-label': TOOL_LABEL[tool] },
      inputs, errorBox(), h('button', { type: 'submit', class: 'btn primary small', text: SEND_LABEL[tool] || 'Send' }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      clearFormError(form);
      try {
        checkForm(form);
        const msg = { tool, id: msgId(tool) };
        for (const el of form.querySelectorAll('[name]')) msg[el.name] = el.type === 'number' ? Number(el.value) : el.value;
        if (tool === 'annotation') msg.points = [[0.35, 0.35], [0.65, 0.65]];
        if (!link.send(msg)) throw new Error('Not connected yet: the command was not sent.');
        log.add('You', describe(msg), 'own');
        form.querySelectorAll('input').forEach((el) => { el.value = el.defaultValue; });
        announce(`${TOOL_LABEL[tool]} sent.`);
      } catch (err) { showFormError(form, err); }
    });
    const btn = h('button', { type: 'button', class: 'btn small tool', 'aria-expanded': 'false', 'aria-controls': form.id,
      text: TOOL_LABEL[tool], onclick: () => show(forms.get(tool).hidden ? tool : '') });
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
  const el = h('section', { class: 'panel tools' }, h('h2', { text: 'Tools' }),
    h('div', { class: 'tool-buttons' }, [...buttons.values()]), region);
  el.setTools = (list) => {
    tools = list;
    for (const [tool, btn] of buttons) {
      btn.disabled = !tools.includes(tool);
      btn.title = btn.disabled ? 'Not available to you in this session' : '';
      if (btn.disabled && !forms.get(tool).hidden) show('');
    }
  };
  el.refused = (err) => {
    const form = forms.get(err.tool);
    const text = `${TOOL_LABEL[err.tool] || err.tool || 'Message'} refused: ${err.message}`;
    log.add('', text, 'error');
    if (form && !form.hidden) showFormError(form, new Error(text));
    else announce(text);
  };
  return el;
}
