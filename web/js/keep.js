// keep.js — what a session keeps: snapshots of the customer's camera (the
// technician's button, the customer page's answer), the primary's notes
// saved as they are typed, and on the case page the attachments and notes.
//
// A snapshot is an exchange over the relay's snapshot tool: the technician's
// page asks for a still (step "take", to the customer alone); the customer's
// page takes it at full resolution and says its type and size ("taken"); the
// technician's page gets an upload URL for exactly that from the API and
// hands it over ("upload", to the customer alone); the customer's page puts
// the picture there ("uploaded"), and the technician's page asks the API to
// check it and attach it to the case ("saved" tells the other technicians).

import { api, orgPath } from './api.js';
import { h, uid, when, announce, loading, failure } from './ui.js';
import { t, tl, tx } from './i18n.js';

let seq = 0;
const ref = () => `snap-${Date.now().toString(36)}-${++seq}`;
const WAIT_MS = 30000;

/**
 * snapshotButton is the technician's snapshot tool: relay sends on the data
 * channel, log is the activity panel. receive(m) takes the customer's
 * answers; it returns true for a snapshot message it handled.
 */
export function snapshotButton(sessionId, relay, log) {
  const base = `/sessions/${encodeURIComponent(sessionId)}`;
  const status = h('p', { class: 'snap-status muted small', role: 'status' });
  const btn = h('button', { type: 'button', class: 'btn small tool snap', ...tl('tool.snapshot') });
  const pending = new Map(); // ref -> {timer, attachmentId}
  const say = (key, params) => { status.textContent = t(key, params); announce(status.textContent); };
  const fail = (r, key) => { clearTimeout(pending.get(r)?.timer); pending.delete(r); say(key); log.add('', t(key), 'error'); };
  btn.addEventListener('click', () => {
    const r = ref();
    if (!relay.send({ tool: 'snapshot', step: 'take', id: r })) { say('snap.notSent'); return; }
    pending.set(r, { timer: setTimeout(() => fail(r, 'snap.noAnswer'), WAIT_MS) });
    say('snap.asking');
  });
  const el = h('div', { class: 'snap-tool' }, btn, status);
  el.enable = (on) => { btn.disabled = !on; btn.title = on ? '' : t('live.toolOff'); };
  el.receive = (m) => {
    if (m.tool !== 'snapshot') return false;
    const p = pending.get(m.ref);
    if (m.step === 'saved') { log.add('', t('snap.savedBy', { name: m.fromName || t('live.someone') })); return true; }
    if (!p) return true; // another technician's exchange
    if (m.step === 'failed') { fail(m.ref, 'snap.customerFailed'); return true; }
    if (m.step === 'taken') {
      say('snap.uploading');
      api('POST', `${base}/snapshots`, { contentType: m.contentType, size: m.size }).then((slot) => {
        p.attachmentId = slot.attachmentId;
        const upload = { url: slot.url, headers: slot.headers || {} };
        if (!relay.send({ tool: 'snapshot', step: 'upload', ref: m.ref, upload })) fail(m.ref, 'snap.notSent');
      }).catch((err) => { fail(m.ref, 'snap.refused'); log.add('', err.message, 'error'); });
      return true;
    }
    if (m.step === 'uploaded' && p.attachmentId) {
      api('POST', `${base}/attachments/${encodeURIComponent(p.attachmentId)}/complete`).then(() => {
        clearTimeout(p.timer);
        pending.delete(m.ref);
        say('snap.saved');
        log.add(t('live.you'), t('snap.saved'), 'own');
        relay.send({ tool: 'snapshot', step: 'saved', ref: m.ref });
      }).catch((err) => { fail(m.ref, 'snap.refused'); log.add('', err.message, 'error'); });
    }
    return true;
  };
  return el;
}

/** still takes a picture of the camera track at full resolution, else the video frame, as a JPEG or PNG Blob. */
async function still(stream, video) {
  const track = stream?.getVideoTracks()[0];
  if (track && typeof ImageCapture === 'function') {
    try {
      const b = await new ImageCapture(track).takePhoto();
      if (b && (b.type === 'image/jpeg' || b.type === 'image/png')) return b;
    } catch { /* no photo mode on this camera: take the frame */ }
  }
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  if (!canvas.width || !canvas.height) throw new Error('no frame');
  canvas.getContext('2d').drawImage(video, 0, 0);
  return new Promise((ok, bad) => canvas.toBlob((b) => (b ? ok(b) : bad(new Error('no picture'))), 'image/jpeg', 0.92));
}

/**
 * customerSnapshots answers the technicians' snapshot requests on the
 * customer's page: camera() gives the camera stream, preview shows it.
 * receive(m) takes snapshot messages; it returns true when it handled one.
 */
export function customerSnapshots(relay, camera, preview, log) {
  const taken = new Map(); // ref -> Blob
  return {
    receive(m) {
      if (m.tool !== 'snapshot') return false;
      if (m.step === 'take') {
        const r = String(m.id || '');
        camera().then((s) => still(s, preview)).then((b) => {
          taken.set(r, b);
          log.add(m.fromName || t('live.someone'), t('snap.customerTaken'));
          relay.send({ tool: 'snapshot', step: 'taken', ref: r, contentType: b.type, size: b.size });
        }).catch(() => relay.send({ tool: 'snapshot', step: 'failed', ref: r }));
        return true;
      }
      if (m.step === 'upload' && taken.has(m.ref) && m.upload?.url) {
        const b = taken.get(m.ref);
        taken.delete(m.ref);
        fetch(m.upload.url, { method: 'PUT', headers: m.upload.headers || {}, body: b, credentials: 'omit', cache: 'no-store' })
          .then((res) => relay.send({ tool: 'snapshot', step: res.ok ? 'uploaded' : 'failed', ref: m.ref }))
          .catch(() => relay.send({ tool: 'snapshot', step: 'failed', ref: m.ref }));
      }
      return true;
    },
  };
}

const SAVE_AFTER_MS = 800;

/**
 * notesPanel is the primary's notes on the live page: what is typed is saved
 * a moment later, each save naming the version it replaces, so a second tab
 * cannot overwrite it unseen.
 */
export function notesPanel(sessionId) {
  const path = `/sessions/${encodeURIComponent(sessionId)}/notes`;
  const id = uid('notes');
  const area = h('textarea', { id, rows: 6, maxlength: 20000, class: 'notes-text', disabled: true });
  const state = h('p', { class: 'muted small notes-state', role: 'status' });
  const el = h('section', { class: 'panel notes' }, h('h2', {}, h('label', { for: id, ...tl('tool.notes') })), area, state);
  let version = 0, timer = 0, saving = null, dirty = false;
  const show = (key) => { state.dataset.i18n = key; state.textContent = t(key); };
  async function save() {
    if (saving) { await saving; }
    if (!dirty) return;
    dirty = false;
    show('notes.saving');
    saving = api('PUT', path, { text: area.value, version }).then((n) => { version = n.version; show(dirty ? 'notes.unsaved' : 'notes.saved'); })
      .catch((err) => {
        if (err.code === 'notes_changed') {
          show('notes.changedElsewhere');
          return api('GET', path).then((n) => { version = n.version; area.value = n.text; });
        }
        dirty = true;
        state.textContent = err.message;
        return null;
      }).finally(() => { saving = null; });
    await saving;
  }
  area.addEventListener('input', () => { dirty = true; show('notes.unsaved'); clearTimeout(timer); timer = setTimeout(save, SAVE_AFTER_MS); });
  area.addEventListener('blur', () => { clearTimeout(timer); save(); });
  api('GET', path).then((n) => { version = n.version; area.value = n.text || ''; area.disabled = false; })
    .catch((err) => { state.textContent = err.message; });
  el.enable = (on) => { area.readOnly = !on; };
  el.flush = () => { clearTimeout(timer); return save(); };
  return el;
}

/** caseKeeps shows a case's attachments (thumbnails that open) and its sessions' notes. */
export function caseKeeps(org, caseId) {
  const files = h('section', { class: 'case-files', 'aria-label': t('keep.attachments') }, h('h2', { ...tl('keep.attachments') }), loading(t('keep.attachments')));
  const notes = h('section', { class: 'case-notes', 'aria-label': t('keep.notes') }, h('h2', { ...tl('keep.notes') }), loading(t('keep.notes')));
  const viewer = h('div', { class: 'attachment-view', hidden: true });
  (async () => {
    try {
      const { attachments = [] } = await api('GET', orgPath(org, 'cases', caseId, 'attachments'));
      files.replaceChildren(h('h2', { ...tl('keep.attachments') }), attachments.length
        ? h('ul', { class: 'attachments' }, attachments.map((a) => h('li', {}, h('button', {
          type: 'button', class: 'attachment', 'data-attachment': a.id, 'aria-label': t(`keep.open.${a.kind}`, { name: a.createdByName || '' }),
          onclick: () => open(a),
        }, a.thumbnail ? h('img', { src: a.thumbnail.url, alt: '', class: 'thumb' }) : h('span', { class: 'thumb video-thumb', text: '▶' }),
        h('span', { class: 'small' }, t(`keep.kind.${a.kind}`), ' · ', when(a.createdAt), ' · ', a.createdByName || '')))))
        : h('p', { class: 'empty', ...tl('keep.noAttachments') }), viewer);
    } catch (err) {
      if (!err.handled) files.replaceChildren(h('h2', { ...tl('keep.attachments') }), failure(err));
    }
  })();
  async function open(a) {
    viewer.hidden = false;
    viewer.replaceChildren(loading(t(`keep.kind.${a.kind}`)));
    try {
      const d = await api('GET', orgPath(org, 'cases', caseId, 'attachments', a.id));
      const media = a.kind === 'recording'
        ? h('video', { src: d.download.url, controls: true, preload: 'metadata', class: 'attachment-media' })
        : h('img', { src: d.download.url, alt: t('keep.snapshotAlt', { name: a.createdByName || '' }), class: 'attachment-media' });
      viewer.replaceChildren(media, h('p', {}, h('a', { href: d.download.url, download: '', rel: 'noopener', ...tl('keep.download') })));
    } catch (err) {
      viewer.replaceChildren(failure(err));
    }
  }
  (async () => {
    try {
      const { notes: list = [] } = await api('GET', orgPath(org, 'cases', caseId, 'notes'));
      notes.replaceChildren(h('h2', { ...tl('keep.notes') }), ...(list.length
        ? list.map((n) => h('article', { class: 'card session-notes', 'data-session': n.sessionId },
          h('p', { class: 'muted small' }, tx('keep.notesBy', { name: n.updatedByName || '', at: when(n.updatedAt) })),
          h('p', { class: 'notes-body', text: n.text })))
        : [h('p', { class: 'empty', ...tl('keep.noNotes') })]));
    } catch (err) {
      if (!err.handled) notes.replaceChildren(h('h2', { ...tl('keep.notes') }), failure(err));
    }
  })();
  return [files, notes];
}
