// freeze.js — one still for everyone: on a technician's request the
// customer's page captures the camera frame at full resolution (ImageCapture
// where the browser has it, else the video frame drawn to a canvas), encodes
// it as JPEG under the relay's bound and sends it in chunks over the tools
// channel (a data-channel message is at most 16 KiB). Every page puts the
// same bytes in place of the live video until someone unfreezes.

// The relay's bounds (media-task/proto: MaxStillBytes, MaxStillChunk).
export const MAX_STILL = 320 << 10;
export const CHUNK = 9 << 10;

const b64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const dataURL = (blob) => new Promise((ok, fail) => {
  const r = new FileReader();
  r.onload = () => ok(r.result);
  r.onerror = () => fail(r.error);
  r.readAsDataURL(blob);
});

/** grab returns the camera's current frame as an ImageBitmap or canvas at the track's full resolution. */
async function grab(track, video) {
  if (globalThis.ImageCapture && track?.readyState === 'live') {
    try { return await new ImageCapture(track).grabFrame(); } catch { /* fall back to the video element */ }
  }
  if (!video.videoWidth) throw new Error('no picture');
  return video;
}

/** capture encodes the current frame as a JPEG of at most MAX_STILL bytes. */
export async function capture(track, video) {
  const img = await grab(track, video);
  let w = img.videoWidth || img.width, ht = img.videoHeight || img.height;
  const canvas = document.createElement('canvas');
  for (let scale = 1; scale > 0.1; scale *= 0.75) {
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(ht * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    for (const q of [0.9, 0.75, 0.6]) {
      const blob = await new Promise((ok) => canvas.toBlob(ok, 'image/jpeg', q));
      if (blob && blob.size <= MAX_STILL) return { blob, width: canvas.width, height: canvas.height };
    }
  }
  throw new Error('still too large');
}

/**
 * freezer assembles stills from the relay's chunks and shows them in view;
 * on the customer's page it also answers requests with the camera's frame.
 * changed(frozen) tells the page when the picture switches.
 */
export function freezer({ view, link, camera, changed }) {
  let incoming = null; // {frame, chunks[], got}
  let frozen = '';

  async function show(frame, blob) {
    const url = await dataURL(blob);
    if (incoming && incoming.frame !== frame) return; // a newer still is on its way
    frozen = frame;
    view.freeze(frame, url);
    changed?.(true);
  }

  function live() {
    incoming = null;
    frozen = '';
    view.freeze(null);
    changed?.(false);
  }

  // The customer's side: capture, show it here too, and send it.
  async function answer(m) {
    const frame = `f${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    try {
      const { blob, width, height } = await capture(camera?.(), view.video);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const chunks = Math.ceil(bytes.length / CHUNK);
      const sent = link.send({ tool: 'freeze', id: `freeze-${frame}`, op: 'begin', frame, size: bytes.length, chunks, width, height });
      for (let i = 0; sent && i < chunks; i++) {
        link.send({ tool: 'freeze', id: `freeze-${frame}-${i}`, op: 'chunk', frame, seq: i, data: b64(bytes.subarray(i * CHUNK, (i + 1) * CHUNK)) });
      }
      incoming = { frame };
      await show(frame, blob);
    } catch {
      link.send({ tool: 'freeze', id: `freeze-${frame}`, op: 'failed', reason: 'failed', to: m.from });
    }
  }

  return {
    get frozen() { return frozen; },
    /** receive applies a freeze message; it returns words for the activity log, if any. */
    receive(m) {
      switch (m.op) {
        case 'request': if (camera) answer(m); return 'request';
        case 'begin': incoming = { frame: m.frame, chunks: new Array(m.chunks), got: 0, width: m.width, height: m.height }; return 'begin';
        case 'chunk': {
          const f = incoming;
          if (!f || f.frame !== m.frame || !f.chunks || f.chunks[m.seq]) return '';
          f.chunks[m.seq] = unb64(m.data);
          if (++f.got === f.chunks.length) show(f.frame, new Blob(f.chunks, { type: 'image/jpeg' }));
          return '';
        }
        case 'off': live(); return 'off';
        case 'failed': return 'failed';
        default: return '';
      }
    },
    request: () => link.send({ tool: 'freeze', id: `freeze-${Date.now().toString(36)}`, op: 'request' }),
    unfreeze() {
      if (!link.send({ tool: 'freeze', id: `freeze-${Date.now().toString(36)}`, op: 'off' })) return false;
      live();
      return true;
    },
  };
}
