// join.js — the public page at /join#TOKEN: a customer shares their camera,
// a guest technician watches it and uses the tools their kind allows. The
// token stays in the fragment (never sent to a server log) and leaves the
// address bar once redeemed; a guest's link works once.

import { api } from './api.js';
import { h, setMain, loading, failure, announce, confirmDialog } from './ui.js';
import { connectRelay } from './rtc.js';
import { KIND_LABEL, TOOL_LABEL, closeText, reconnectNotice, remoteMedia, chatPanel, activityPanel, toolPanel, describe, sender } from './live.js';

const MARK = 'guestbridge.joined'; // the kind this tab joined as, for a reload without the token

const HELP = {
  link_expired: 'To rejoin, contact the technician who sent you the invitation.',
  mobile_not_allowed: 'Open the link from the email on a computer, in a web browser.',
  session_ended: 'You can close this page.',
};

function fullPage(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'alert' }, h('h1', { text: title }), text ? h('p', { class: 'muted', text }) : null));
}

/** renderJoin redeems the link and opens the customer's or the guest technician's page. */
export async function renderJoin() {
  document.title = 'Live session · Guestbridge';
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) {
    if (sessionStorage.getItem(MARK) === 'guest') return fullPage('Your link has expired.', HELP.link_expired);
    if (sessionStorage.getItem(MARK) === 'customer') return fullPage('Open your link again', 'To rejoin the session, open the link from your email or text message again.');
    return fullPage('This link is incomplete.', 'Open the link from your message again, exactly as you received it.');
  }
  setMain(h('h1', { class: 'visually-hidden', text: 'Live session' }), loading('the session'));
  // A customer's link holds one device at a time: the seat key the first
  // redemption returns is kept for this link, so this browser can reconnect
  // while another device is refused.
  let seat = await seatStore(tok);
  const redeem = async () => {
    const x = await api('POST', `/session-invites/${encodeURIComponent(tok)}/join`, seat.key ? { seat: seat.key } : undefined, { auth: false });
    if (x.seat) seat = seat.keep(x.seat);
    return x;
  };
  let j;
  try {
    j = await redeem();
  } catch (err) {
    if (err.status === 0 || err.status === 429) { setMain(h('h1', { text: 'Live session' }), failure(err, () => renderJoin())); return; }
    history.replaceState(null, '', '/join');
    return fullPage(err.message, HELP[err.code] || '');
  }
  history.replaceState(null, '', '/join');
  sessionStorage.setItem(MARK, j.kind);
  // The first ticket is used at once; a reconnection redeems the link again,
  // which a customer's link allows and a guest's single-use link refuses.
  let first = j;
  const getJoining = async () => {
    const x = first && Date.parse(first.ticketExpiresAt) - Date.now() > 3000 ? first : await redeem();
    first = null;
    return x;
  };
  if (j.kind === 'customer') customerPage(j, getJoining); else guestPage(j, getJoining);
}

/** seatStore returns the seat key kept for the link tok, and a way to keep a new one. */
async function seatStore(tok) {
  let name = null;
  try {
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tok)));
    name = 'guestbridge.seat.' + Array.from(d.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  } catch { /* no subtle crypto: the key lives as long as the page */ }
  const make = (key) => ({
    key,
    keep(k) {
      try { if (name) localStorage.setItem(name, k); } catch { /* storage off: keep it in the page */ }
      return make(k);
    },
  });
  let key = null;
  try { key = name && localStorage.getItem(name); } catch { /* storage off */ }
  return make(key || null);
}

function shell(title, intro, stage, side, leaveText) {
  const status = h('p', { class: 'live-status', role: 'status' });
  const leave = h('button', { type: 'button', class: 'btn', text: leaveText });
  const live = h('div', { class: 'live' }, stage, side);
  setMain(h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: title }), leave),
    h('p', { class: 'muted intro', text: intro }), status, live));
  return { status, leave, live };
}

function ended(x, kind) {
  if (x instanceof Error) return fullPage(x.message, HELP[x.code] || '');
  const more = x.reason === 'left' && kind === 'guest' ? 'Your link works only once. To rejoin, contact the technician who sent you the invitation.'
    : x.reason === 'session_ended' || x.reason === 'left' ? 'You can close this page.' : '';
  fullPage(closeText(x), x.message ? `The technician wrote: “${x.message}”` : more);
}

function customerPage(j, getJoining) {
  const preview = h('video', { autoplay: true, playsinline: true, muted: true, class: 'remote' });
  preview.muted = true; // no echo of one's own voice
  const camNote = h('p', { class: 'waiting', text: 'Asking for your camera…' });
  const media = remoteMedia(null, null);
  const log = activityPanel('From the technicians');
  let link = { send: () => false };
  const chat = chatPanel({ send: (m) => link.send(m) });
  chat.enable(j.tools.includes('chat'));
  const stage = h('div', { class: 'stage' }, h('div', { class: 'screen' }, preview, camNote),
    h('p', { class: 'muted small', text: 'Your camera, as the technicians see it.' }), media.sound, media.box);
  const { status, leave, live } = shell('Live support session',
    'Your camera is shared with the technicians helping you. They can point at things and ask you to zoom, freeze the view or switch on the light.',
    stage, h('div', { class: 'side' }, chat, log), 'Leave session');

  // Camera and microphone; without a microphone the camera alone, and without a camera the chat still works.
  const want = { video: j.tools.includes('video'), audio: j.tools.includes('mic') };
  const camera = (async () => {
    if (!navigator.mediaDevices || !(want.video || want.audio)) return null;
    for (const c of [want, { video: want.video }, { audio: want.audio }].filter((x) => x.video || x.audio)) {
      try { return await navigator.mediaDevices.getUserMedia(c); } catch { /* try less */ }
    }
    return null;
  })();
  camera.then((s) => {
    if (s?.getVideoTracks().length) { preview.srcObject = s; camNote.hidden = true; preview.play().catch(() => {}); }
    else camNote.textContent = 'Your camera is not available. Allow the camera for this site in your browser, then open your link again.';
  });
  camera.then(() => {
    link = connectRelay({
      getJoining,
      local: () => camera,
      on: {
        state: (t) => { status.textContent = t; },
        joined: (m) => { chat.self = m.participant?.id || ''; chat.enable((m.tools || []).includes('chat')); announce('You are connected.'); },
        tools: (t) => { chat.enable(t.includes('chat')); },
        roster: (type, p) => log.add('', `${p.name || 'Someone'} (${KIND_LABEL[p.kind] || p.kind}) ${type === 'participant_joined' ? 'joined' : 'left'}.`),
        track: media.track,
        message: (m) => {
          if (m.error) log.add('', `${TOOL_LABEL[m.error.tool] || 'Message'} refused: ${m.error.message}`, 'error');
          else if (m.tool === 'chat') chat.receive(m);
          else log.add(sender(m), describe(m));
        },
        draining: () => { status.textContent = 'The session server is restarting: the connection may be interrupted.'; },
        closed: (x) => (x.retry ? live.before(reconnectNotice(x, () => link)) : ended(x, 'customer')),
      },
    });
  });
  leave.addEventListener('click', () => link.close?.());
}

function guestPage(j, getJoining) {
  const video = h('video', { autoplay: true, playsinline: true, class: 'remote' });
  const waiting = h('p', { class: 'waiting', text: 'Waiting for the customer’s camera…' });
  const media = remoteMedia(video, waiting);
  const activity = activityPanel();
  let link = { send: () => false };
  const relay = { send: (m) => link.send(m) };
  const chat = chatPanel(relay);
  const tools = toolPanel(relay, activity);
  const people = h('ul', { class: 'people' });
  const mine = h('p', { class: 'small' });
  const details = h('details', { class: 'panel details' }, h('summary', { text: 'Session details' }),
    h('h3', { text: 'Your tools' }), mine, h('p', { class: 'muted small', text: 'As a guest technician you do not see notes or snapshots, and cannot record or invite.' }));
  const roster = new Map();
  const stage = h('div', { class: 'stage' }, h('div', { class: 'screen' }, video, waiting), media.sound, tools, media.box);
  const { status, leave, live } = shell('Live session', 'You joined as a guest technician. This link works once: if you leave or close this page, ask for a new invitation to rejoin.',
    stage, h('div', { class: 'side' }, h('section', { class: 'panel' }, h('h2', { text: 'Participants' }), people), chat, activity, details), 'Leave session');

  const showPeople = () => people.replaceChildren(...[...roster.values()].map((p) => h('li', {},
    h('div', { class: 'who' }, h('strong', { text: p.self ? `${p.name} (you)` : p.name || '—' }), h('span', { class: 'tag', text: KIND_LABEL[p.kind] || p.kind }),
      h('span', { class: 'muted small', text: p.leftAt ? `Left at ${p.leftAt}` : `In the session since ${p.joinedAt}` })))));
  const at = () => new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  function setTools(t) {
    tools.setTools(t);
    chat.enable(t.includes('chat'));
    details.hidden = !t.includes('session_details');
    mine.textContent = t.map((x) => TOOL_LABEL[x] || x).join(', ') || 'None';
    const mic = link.local?.getAudioTracks()[0];
    if (mic) mic.enabled = t.includes('mic');
  }
  setTools(j.tools);
  link = connectRelay({
    getJoining,
    local: (x) => (x.tools.includes('mic') ? navigator.mediaDevices?.getUserMedia({ audio: true }) : null),
    on: {
      state: (t) => { status.textContent = t; },
      joined: (m) => {
        chat.self = m.participant?.id || '';
        roster.clear();
        [{ ...m.participant, self: true }, ...(m.participants || [])].forEach((p) => roster.set(p.id, { ...p, joinedAt: at() }));
        showPeople();
        setTools(m.tools || []);
      },
      tools: (t) => { setTools(t); activity.add('', `Your tools changed: ${t.map((x) => TOOL_LABEL[x] || x).join(', ') || 'none'}.`); },
      roster: (type, p) => {
        if (type === 'participant_joined') roster.set(p.id, { ...p, joinedAt: at() });
        else if (roster.has(p.id)) roster.get(p.id).leftAt = at();
        showPeople();
      },
      track: media.track,
      message: (m) => {
        if (m.error) tools.refused(m.error);
        else if (m.tool === 'chat') chat.receive(m);
        else activity.add(sender(m), describe(m));
      },
      draining: (ms) => { status.textContent = `The session server is restarting: this connection ends in about ${Math.round(ms / 1000)} seconds.`; },
      closed: (x) => {
        media.clear();
        // A guest cannot get a new ticket: trying the link again shows the API's answer.
        if (x.retry) live.before(reconnectNotice(x, () => link)); else ended(x, 'guest');
      },
    },
  });
  leave.addEventListener('click', () => confirmDialog({
    title: 'Leave the session?', submitLabel: 'Leave session', danger: true, opener: leave,
    text: 'Your link works only once: to join again, you need a new invitation.',
    run: async () => link.close(),
  }));
}
