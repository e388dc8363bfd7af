// join.js — the public page at /join#TOKEN: a customer shares their camera,
// a guest technician watches it and uses the tools their kind allows. The
// token stays in the fragment (never sent to a server log) and leaves the
// address bar once redeemed; a guest's link works once.

import { api } from './api.js';
import { h, setMain, loading, failure, announce, confirmDialog } from './ui.js';
import { connectRelay } from './rtc.js';
import { scanTools } from './tools/scan.js';
import { customerSnapshots } from './keep.js';
import { kindLabel, toolList, rosterText, refusedText, closeText, reconnectNotice, remoteMedia, chatPanel, activityPanel, toolPanel, describe, sender, recordingIndicator } from './live.js';
import { t, tl, getLang } from './i18n.js';
import { cameraTools } from './tools/camera.js';
import { qualityBar, presenceText } from './net.js';

const MARK = 'guestbridge.joined'; // the kind this tab joined as, for a reload without the token

// The API's error codes with advice of their own (join.help.*).
const HELP = ['link_expired', 'mobile_not_allowed', 'session_ended'];
const help = (code) => (HELP.includes(code) ? t(`join.help.${code}`) : '');

function fullPage(title, text) {
  setMain(h('div', { class: 'card narrow full-message', role: 'alert' }, h('h1', { text: title }), text ? h('p', { class: 'muted', text }) : null));
}

/** renderJoin redeems the link and opens the customer's or the guest technician's page. */
export async function renderJoin() {
  document.title = `${t('live.title')} · Guestbridge`;
  const tok = decodeURIComponent(location.hash.slice(1));
  if (!tok) {
    if (sessionStorage.getItem(MARK) === 'guest') return fullPage(t('link.expired'), help('link_expired'));
    if (sessionStorage.getItem(MARK) === 'customer') return fullPage(t('join.openAgain'), t('join.openAgainText'));
    return fullPage(t('link.incomplete'), t('join.incompleteText'));
  }
  setMain(h('h1', { class: 'visually-hidden', text: t('live.title') }), loading(t('live.loading')));
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
    if (err.status === 0 || err.status === 429) { setMain(h('h1', { text: t('live.title') }), failure(err, () => renderJoin())); return; }
    history.replaceState(null, '', '/join');
    return fullPage(err.message, help(err.code));
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

// shell lays out a live page; title, intro and leaveText are catalog keys.
function shell(title, intro, stage, side, leaveText) {
  const status = h('p', { class: 'live-status', role: 'status' });
  const leave = h('button', { type: 'button', class: 'btn', ...tl(leaveText) });
  const live = h('div', { class: 'live' }, stage, side);
  setMain(h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { ...tl(title) }), leave),
    h('p', { class: 'muted intro', ...tl(intro) }), status, live));
  return { status, leave, live };
}

function ended(x, kind) {
  if (x instanceof Error) return fullPage(x.message, help(x.code));
  const more = x.reason === 'left' && kind === 'guest' ? t('join.onceLeft')
    : x.reason === 'session_ended' || x.reason === 'left' ? t('join.help.session_ended') : '';
  fullPage(closeText(x), x.message ? t('live.technicianWrote', { note: x.message }) : more);
}

function customerPage(j, getJoining) {
  const preview = h('video', { autoplay: true, playsinline: true, muted: true, class: 'remote' });
  preview.muted = true; // no echo of one's own voice
  const camNote = h('p', { class: 'waiting', ...tl('join.askingCamera') });
  const media = remoteMedia(null, null);
  const log = activityPanel('join.fromTechnicians');
  const recording = recordingIndicator({ customer: true, log });
  let link = { send: () => false };
  const chat = chatPanel({ send: (m) => link.send(m) });
  chat.enable(j.tools.includes('chat'));
  const screen = h('div', { class: 'screen' }, preview, camNote);
  const cam = cameraTools({ video: preview, link: { send: (m) => link.send(m) }, log, camera: () => preview.srcObject?.getVideoTracks()[0] });
  const bar = qualityBar();
  const stage = h('div', { class: 'stage' }, recording, bar.el, screen,
    h('p', { class: 'muted small', ...tl('join.yourCamera') }), cam.panel, media.sound, media.box);
  const { status, leave, live } = shell('join.customerTitle', 'join.customerIntro',
    stage, h('div', { class: 'side' }, chat, log), 'join.leave');

  // Camera and microphone; without a microphone the camera alone, and without a camera the chat still works.
  const want = { video: j.tools.includes('video'), audio: j.tools.includes('mic') };
  const camera = (async () => {
    if (!navigator.mediaDevices || !(want.video || want.audio)) return null;
    for (const c of [want, { video: want.video }, { audio: want.audio }].filter((x) => x.video || x.audio)) {
      try { return await navigator.mediaDevices.getUserMedia(c); } catch { /* try less */ }
    }
    return null;
  })();
  const snaps = customerSnapshots({ send: (m) => link.send(m) }, () => camera, preview, log);
  camera.then((s) => {
    if (s?.getVideoTracks().length) { preview.srcObject = s; camNote.hidden = true; preview.play().catch(() => {}); }
    else { camNote.dataset.i18n = 'join.noCamera'; camNote.textContent = t('join.noCamera'); }
  });
  camera.then(() => {
    link = connectRelay({
      getJoining,
      local: () => camera,
      on: {
        state: (text) => { status.textContent = text; },
        joined: (m) => { chat.self = m.participant?.id || ''; cam.joined(m.participant); (m.participants || []).forEach(cam.roster); chat.enable((m.tools || []).includes('chat')); announce(t('join.connected')); },
        tools: (list) => { chat.enable(list.includes('chat')); },
        roster: (type, p) => { cam.roster(p); log.add('', rosterText(type, p)); },
        presence: (p, state) => log.add('', presenceText(p, state)),
        // Back on the same seat: the list keeps who was there and since when.
      resumed: (m) => {
        const here = new Set((m.participants || []).map((p) => p.id));
        for (const [id, p] of roster) if (!p.self && !here.has(id) && !p.leftAt) p.leftAt = at();
        (m.participants || []).forEach((p) => roster.set(p.id, { joinedAt: at(), ...roster.get(p.id), ...p, leftAt: undefined }));
        showPeople();
        setTools(m.tools || []);
      },
      quality: (list) => list[0] && bar.set(list[0]),
        track: media.track,
        message: (m) => {
          if (m.error) log.add('', refusedText(m.error), 'error');
          else if (cam.receive(m)) { /* shown over the picture */ }
          else if (m.tool === 'chat') chat.receive(m);
          else if (snaps.receive(m)) { /* a snapshot of the camera */ } else log.add(sender(m), describe(m));
        },
        draining: () => { status.textContent = t('live.draining'); },
        recording: recording.set,
        closed: (x) => (x.retry ? live.before(reconnectNotice(x, () => link)) : ended(x, 'customer')),
      },
    });
  });
  leave.addEventListener('click', () => link.close?.());
}

function guestPage(j, getJoining) {
  const video = h('video', { autoplay: true, playsinline: true, class: 'remote' });
  const waiting = h('p', { class: 'waiting', ...tl('live.waiting') });
  const media = remoteMedia(video, waiting);
  const activity = activityPanel();
  let link = { send: () => false };
  const relay = { send: (m) => link.send(m) };
  const chat = chatPanel(relay);
  const tools = toolPanel(relay, activity, scanTools(video, relay, activity));
  const people = h('ul', { class: 'people' });
  const mine = h('p', { class: 'small' });
  const details = h('details', { class: 'panel details' }, h('summary', { ...tl('tool.session_details') }),
    h('h3', { ...tl('join.yourTools') }), mine, h('p', { class: 'muted small', ...tl('join.guestLimits') }));
  const roster = new Map();
  const bar = qualityBar();
  const recording = recordingIndicator({ log: activity });
  const stage = h('div', { class: 'stage' }, recording, bar.el, h('div', { class: 'screen' }, video, waiting), media.sound, tools, media.box);
  const cam = cameraTools({ video, link: relay, log: activity });
  tools.before(cam.panel);
  const { status, leave, live } = shell('live.title', 'join.guestIntro',
    stage, h('div', { class: 'side' }, h('section', { class: 'panel' }, h('h2', { ...tl('session.participants') }), people), chat, activity, details), 'join.leave');

  const showPeople = () => people.replaceChildren(...[...roster.values()].map((p) => h('li', {},
    h('div', { class: 'who' }, h('strong', { text: p.self ? t('live.nameYou', { name: p.name }) : p.name || '—' }), h('span', { class: 'tag', text: kindLabel(p.kind) }),
      h('span', { class: 'muted small', text: p.leftAt ? t('join.leftAt', { at: p.leftAt }) : p.state === 'reconnecting' ? t('net.reconnecting') : t('join.since', { at: p.joinedAt }) })))));
  // The clock time seen here, in the page language: a guest has no company time zone to go by.
  const at = () => new Date().toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit' });
  function setTools(list) {
    tools.setTools(list);
    cam.setTools(list);
    chat.enable(list.includes('chat'));
    details.hidden = !list.includes('session_details');
    mine.textContent = toolList(list);
    const mic = link.local?.getAudioTracks()[0];
    if (mic) mic.enabled = list.includes('mic');
  }
  setTools(j.tools);
  link = connectRelay({
    getJoining,
    local: (x) => (x.tools.includes('mic') ? navigator.mediaDevices?.getUserMedia({ audio: true }) : null),
    on: {
      state: (text) => { status.textContent = text; },
      joined: (m) => {
        chat.self = m.participant?.id || '';
        cam.joined(m.participant);
        (m.participants || []).forEach(cam.roster);
        roster.clear();
        [{ ...m.participant, self: true }, ...(m.participants || [])].forEach((p) => roster.set(p.id, { ...p, joinedAt: at() }));
        showPeople();
        setTools(m.tools || []);
      },
      tools: (list) => { setTools(list); activity.add('', t('live.toolsChanged', { tools: toolList(list) })); },
      roster: (type, p) => {
        cam.roster(p);
        if (type === 'participant_joined') roster.set(p.id, { ...p, joinedAt: at() });
        else if (roster.has(p.id)) roster.get(p.id).leftAt = at();
        showPeople();
      },
      presence: (p, state) => {
        if (roster.has(p.id)) roster.get(p.id).state = state;
        activity.add('', presenceText(p, state));
        showPeople();
      },
      quality: (list) => list[0] && bar.set(list[0]),
      track: media.track,
      message: (m) => {
        if (m.error) { if (!cam.refused(m.error)) tools.refused(m.error); }
        else if (cam.receive(m)) { /* shown over the picture */ }
        else if (m.tool === 'chat') chat.receive(m);
        else activity.add(sender(m), describe(m));
      },
      draining: (ms) => { status.textContent = t('join.drainingIn', { count: Math.round(ms / 1000) }); },
      recording: recording.set,
      closed: (x) => {
        media.clear();
        // A guest cannot get a new ticket: trying the link again shows the API's answer.
        if (x.retry) live.before(reconnectNotice(x, () => link)); else ended(x, 'guest');
      },
    },
  });
  leave.addEventListener('click', () => confirmDialog({
    title: t('join.leaveTitle'), submitLabel: t('join.leave'), danger: true, opener: leave,
    text: t('join.leaveText'),
    run: async () => link.close(),
  }));
}
