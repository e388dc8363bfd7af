// rtc.js — one participant's connection to the session relay (media-task):
// WebSocket signaling (the relay always offers, the client answers), the peer
// connection, the "tools" data channel, and reconnection: a blip keeps the
// seat (an ICE restart when only media failed, a resume with the seat's
// secret when the socket dropped), and only after the relay's grace does the
// page join again with a fresh ticket.

import { t } from './i18n.js';

// Close reasons after which joining again is pointless.
const FINAL = new Set(['session_ended', 'removed', 'account_ended', 'expired', 'replaced', 'seat_taken', 'left']);
const DELAYS = [500, 1500, 4000, 8000];
// Resume attempts while the seat is held: quick at first, so media is back
// within a second or two of the network.
const RESUME_DELAYS = [0, 250, 500, 1000];
// How long ICE may stay "disconnected" before the page asks for a restart.
const ICE_PATIENCE = 2500;
let active = null;
/** closeLive leaves the live session shown, if any (navigation, sign-out). */
export function closeLive() { active?.close(); active = null; }
/** liveOpen says whether a live session is connected (or connecting) on this page. */
export const liveOpen = () => active !== null;
window.addEventListener('pagehide', () => active?.close());

// publishSlots names the m-lines the relay offers recvonly: where our tracks go.
function publishSlots(sdp) {
  return sdp.split(/\r?\nm=/).slice(1).filter((s) => /\r?\na=recvonly/.test(s))
    .map((s) => ({ kind: s.split(' ')[0], mid: (s.match(/\r?\na=mid:(\S+)/) || [])[1] }));
}

/**
 * connectRelay keeps one participant connected until close() or a final close
 * reason. getJoining() gives a Joining ({relayUrl, ticket, tools, ...}) per
 * attempt (a ticket is single-use). local(joining) is called once, with the
 * first Joining, and returns the MediaStream to publish, a promise of it, or
 * null; a stream that comes late goes to the publish slots without
 * renegotiation. on: {joined, tools, track, roster, message, state, draining,
 * recording, closed} — closed(x) gets an API error, {reason} or {reason, retry}.
 */
export function connectRelay({ getJoining, local = () => null, on }) {
  let ws = null, pc = null, dc = null, timer = 0, tries = 0, stopped = false;
  let stream = null, ready = null;
  // The seat's resume secret lives in this closure only (never storage):
  // it works for this page, this device, during the relay's grace.
  let resume = '', graceMs = 0, lostAt = 0, relayUrl = '', resumes = 0, iceTimer = 0;

  const tx = (m) => { if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };

  async function attach() {
    if (!pc || !stream) return;
    for (const t of pc.getTransceivers()) {
      const track = t.slot && stream.getTracks().find((x) => x.kind === t.slot);
      if (track && t.sender.track !== track) await t.sender.replaceTrack(track).catch(() => {});
    }
  }

  // voiceFirst gives the microphone's sender the high priority: on a
  // congested uplink the browser keeps the voice and lets the camera's
  // bitrate (which follows the relay's transport-cc feedback) give way.
  async function voiceFirst(me) {
    for (const t of me.getTransceivers()) {
      if (t.slot !== 'audio') continue;
      const p = t.sender.getParameters();
      if (!p.encodings?.length || p.encodings[0].priority === 'high') continue;
      p.encodings[0].priority = 'high';
      p.encodings[0].networkPriority = 'high';
      await t.sender.setParameters(p).catch(() => {});
    }
  }

  // What this page already shows, so the history a reconnect brings again
  // is not shown twice: messages are told apart by sender and client id.
  const seen = new Set();
  let self = '';
  const seenBefore = (m) => {
    if (m.id == null || !m.from) return false;
    const k = `${m.from === self ? '' : m.from}\u0000${m.id}`;
    if (seen.has(k)) return true;
    seen.add(k);
    return false;
  };

  function peer() {
    const me = new RTCPeerConnection();
    me.onicecandidate = (e) => { if (e.candidate && me === pc) tx({ type: 'candidate', candidate: e.candidate.toJSON() }); };
    me.ontrack = (e) => on.track?.(e.track, e.streams[0]);
    me.onconnectionstatechange = () => { if (me === pc && me.connectionState === 'connected') { tries = 0; on.state?.(''); } };
    // Media failed while signaling lives: ask the relay for an ICE restart
    // (the relay offers; its restart offer carries new credentials).
    me.oniceconnectionstatechange = () => {
      if (me !== pc) return;
      clearTimeout(iceTimer);
      const st = me.iceConnectionState;
      if (st === 'failed') tx({ type: 'restart' });
      else if (st === 'disconnected') iceTimer = setTimeout(() => { if (me === pc && me.iceConnectionState !== 'connected') tx({ type: 'restart' }); }, ICE_PATIENCE);
    };
    me.ondatachannel = (e) => {
      if (e.channel.label !== 'tools') return;
      dc = e.channel;
      dc.onmessage = (ev) => {
        let m;
        try { m = JSON.parse(ev.data); } catch { return; }
        if (!m.error) seenBefore(m);
        on.message?.(m);
      };
    };
    return me;
  }

  async function onOffer(sdp) {
    pc ||= peer();
    const me = pc;
    try {
      await me.setRemoteDescription({ type: 'offer', sdp });
      const slots = publishSlots(sdp);
      if (slots.length && !me.getTransceivers().some((t) => t.slot)) {
        // First offer: wait a moment for the camera or microphone, then publish
        // whatever is there; a track that comes later replaces the empty sender.
        const pending = await Promise.race([ready.then(() => false), new Promise((r) => setTimeout(() => r(true), 4000))]);
        for (const { kind, mid } of slots) {
          const t = me.getTransceivers().find((x) => x.mid === mid);
          if (!t || !(pending || stream?.getTracks().some((x) => x.kind === kind))) continue;
          t.slot = kind;
          t.direction = 'sendonly';
        }
        await attach();
      }
      await me.setLocalDescription(await me.createAnswer());
      if (me === pc) tx({ type: 'answer', sdp: me.localDescription.sdp });
      await voiceFirst(me);
    } catch (err) {
      if (me === pc) throw err; // else: this connection was left meanwhile
    }
  }

  function handle(m) {
    switch (m.type) {
      case 'joined': self = m.participant?.id || ''; resume = m.resume || ''; graceMs = m.graceMs || 0; on.joined?.(m); return null;
      case 'resumed':
        resume = m.resume || ''; graceMs = m.graceMs || graceMs; lostAt = 0; resumes = 0; tries = 0;
        on.state?.('');
        (on.resumed || on.joined)?.(m);
        return null;
      case 'presence': on.presence?.(m.participant, m.state); return null;
      case 'quality': on.quality?.(m.quality || []); return null;
      case 'offer': return onOffer(m.sdp);
      case 'candidate': return pc?.addIceCandidate(m.candidate).catch(() => {});
      case 'tools': on.tools?.(m.tools || []); return null;
      case 'participant_joined': case 'participant_left': on.roster?.(m.type, m.participant, m.reason); return null;
      case 'draining': on.draining?.(m.deadlineMs); return null;
      // The relay's recording notice, sent to everyone, the customer first.
      case 'recording': if (m.recording) on.recording?.(m.recording); return null;
      // Earlier chat and tool messages, for a late join or a reload.
      case 'history': (m.history || []).filter((x) => !seenBefore(x)).forEach((x) => on.message?.({ ...x, earlier: true })); return null;
      case 'error': on.state?.(m.error?.message || t('rtc.refused')); return null;
      default: return null;
    }
  }

  function teardown() {
    clearTimeout(timer);
    clearTimeout(iceTimer);
    if (ws) { ws.onclose = ws.onmessage = null; ws.close(); }
    pc?.close();
    ws = pc = dc = null;
    resume = '';
    lostAt = 0;
  }

  // The device says its network went away (Wi-Fi lost, a network switch):
  // the socket is as good as dead, so the seat's hold starts now rather
  // than after a ping times out; back online, the resume goes at once.
  const offline = () => { if (ws && resume) ws.close(); };
  const online = () => {
    if (!stopped && !ws && resume && pc) { clearTimeout(timer); resumes = 0; open({ type: 'resume', resume }); }
  };
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);

  function end(x) {
    if (stopped) return;
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', online);
    teardown();
    if (x.retry) { on.closed?.(x); return; } // reconnect() may try again
    stopped = true;
    stream?.getTracks().forEach((t) => t.stop());
    if (active === link) active = null;
    on.closed?.(x);
  }

  async function attempt() {
    let j;
    try { j = await getJoining(); } catch (err) { end(err); return; }
    if (stopped) return;
    ready ||= Promise.resolve(local(j)).catch(() => null).then((x) => {
      if (stopped) x?.getTracks().forEach((t) => t.stop()); // left before the device answered
      else { stream = x; attach(); }
    });
    on.state?.(t('rtc.connecting'));
    relayUrl = j.relayUrl;
    open({ type: 'join', ticket: j.ticket });
  }

  // open connects the signaling socket and sends first (a join or a resume).
  function open(first) {
    const socket = new WebSocket(relayUrl);
    ws = socket;
    let reason = '';
    let note = '';
    let queue = Promise.resolve();
    socket.onopen = () => socket.send(JSON.stringify(first));
    socket.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m.type === 'close') { reason = m.reason || ''; note = m.message || ''; }
      queue = queue.then(() => handle(m)).catch((err) => on.state?.(t('rtc.mediaFailed', { reason: err.message })));
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      if (FINAL.has(reason)) { teardown(); end(note ? { reason, message: note } : { reason }); return; }
      // A drop without a final reason: while the relay holds the seat, come
      // back on it with the same peer connection.
      if (reason) resume = ''; // the relay closed the seat (or refused the resume)
      lostAt ||= Date.now();
      if (resume && pc && Date.now() - lostAt < graceMs) {
        ws = null;
        on.state?.(t('rtc.reconnecting'));
        timer = setTimeout(() => open({ type: 'resume', resume }), RESUME_DELAYS[Math.min(resumes++, RESUME_DELAYS.length - 1)]);
        return;
      }
      teardown();
      if (++tries > DELAYS.length) { end({ reason: reason || 'connection_lost', retry: true }); return; }
      on.state?.(t('rtc.reconnecting'));
      timer = setTimeout(attempt, DELAYS[tries - 1]);
    };
  }

  const link = {
    /** send puts a tool message on the data channel; false when it is not open. */
    send(msg) {
      if (dc?.readyState !== 'open') return false;
      dc.send(JSON.stringify(msg));
      if (msg.id != null) seen.add(`\u0000${msg.id}`); // shown as the page's own already
      return true;
    },
    /** reconnect leaves the current connection and joins again with a fresh ticket. */
    reconnect() {
      if (stopped) return;
      tx({ type: 'close', reason: 'left' });
      teardown();
      tries = 0;
      attempt();
    },
    /** close leaves the session. */
    close() { if (!stopped) { tx({ type: 'close', reason: 'left' }); end({ reason: 'left' }); } },
    get local() { return stream; },
  };
  closeLive();
  active = link;
  attempt();
  return link;
}
