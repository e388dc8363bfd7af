// rtc.js — one participant's connection to the session relay (media-task):
// WebSocket signaling (the relay always offers, the client answers), the peer
// connection, the "tools" data channel, and reconnection with a fresh ticket.

import { t } from './i18n.js';

// Close reasons after which joining again is pointless.
const FINAL = new Set(['session_ended', 'removed', 'account_ended', 'expired', 'replaced', 'seat_taken', 'left']);
const DELAYS = [500, 1500, 4000, 8000];

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

  const tx = (m) => { if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };

  async function attach() {
    if (!pc || !stream) return;
    for (const t of pc.getTransceivers()) {
      const track = t.slot && stream.getTracks().find((x) => x.kind === t.slot);
      if (track && t.sender.track !== track) await t.sender.replaceTrack(track).catch(() => {});
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
    } catch (err) {
      if (me === pc) throw err; // else: this connection was left meanwhile
    }
  }

  function handle(m) {
    switch (m.type) {
      case 'joined': self = m.participant?.id || ''; on.joined?.(m); return null;
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
    if (ws) { ws.onclose = ws.onmessage = null; ws.close(); }
    pc?.close();
    ws = pc = dc = null;
  }

  function end(x) {
    if (stopped) return;
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
    const socket = new WebSocket(j.relayUrl);
    ws = socket;
    let reason = '';
    let note = '';
    let queue = Promise.resolve();
    socket.onopen = () => socket.send(JSON.stringify({ type: 'join', ticket: j.ticket }));
    socket.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m.type === 'close') { reason = m.reason || ''; note = m.message || ''; }
      queue = queue.then(() => handle(m)).catch((err) => on.state?.(t('rtc.mediaFailed', { reason: err.message })));
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      teardown();
      if (FINAL.has(reason)) { end(note ? { reason, message: note } : { reason }); return; }
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
