// view.js — the customer's camera picture as every page shows it: the video
// (or the frozen still instead of it), an overlay canvas for annotations, and
// the synchronized digital zoom. Coordinates are normalized to the frame
// (0..1 of the picture itself), so the letterboxing of object-fit: contain,
// which differs from page to page, never shifts a shape or the zoom.

import { h } from '../ui.js';

/**
 * cameraView wraps video (already in its .screen) in a viewport holding the
 * still and the overlay. onFrameChange(frame) is called when the picture
 * switches between 'live' and a frozen frame.
 */
export function cameraView(video) {
  const still = h('img', { class: 'cam-still', alt: '', hidden: true });
  const overlay = h('canvas', { class: 'cam-overlay' });
  const viewport = h('div', { class: 'cam-viewport' });
  video.replaceWith(viewport);
  viewport.append(video, still, overlay);
  const renderers = new Set();
  let frame = 'live';
  let zoom = { level: 1, x: 0.5, y: 0.5 };

  // The picture's own size: the still's when frozen, else the video's.
  const source = () => (frame !== 'live' && still.naturalWidth
    ? { w: still.naturalWidth, h: still.naturalHeight } : { w: video.videoWidth, h: video.videoHeight });

  /** rect is where the picture sits inside the (unzoomed) viewport, in CSS pixels. */
  function rect() {
    const W = viewport.clientWidth, H = viewport.clientHeight;
    const { w, h: ht } = source();
    if (!w || !ht || !W || !H) return { x: 0, y: 0, w: W, h: H };
    const s = Math.min(W / w, H / ht);
    return { x: (W - w * s) / 2, y: (H - ht * s) / 2, w: w * s, h: ht * s };
  }

  function applyZoom() {
    const r = rect();
    const W = viewport.clientWidth, H = viewport.clientHeight;
    if (zoom.level <= 1) { viewport.style.transform = ''; viewport.classList.remove('zoomed'); return; }
    // Scale about the top left corner, then move the chosen point to the centre.
    const px = r.x + zoom.x * r.w, py = r.y + zoom.y * r.h;
    viewport.style.transformOrigin = '0 0';
    viewport.style.transform = `translate(${W / 2 - zoom.level * px}px, ${H / 2 - zoom.level * py}px) scale(${zoom.level})`;
    viewport.classList.add('zoomed');
  }

  function render() {
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(viewport.clientWidth * dpr), H = Math.round(viewport.clientHeight * dpr);
    if (overlay.width !== W || overlay.height !== H) { overlay.width = W; overlay.height = H; }
    const ctx = overlay.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const r = rect();
    renderers.forEach((fn) => fn(ctx, r, frame));
    applyZoom();
  }

  new ResizeObserver(render).observe(viewport);
  video.addEventListener('loadedmetadata', render);
  video.addEventListener('resize', render);
  still.addEventListener('load', render);

  return {
    overlay,
    video,
    viewport,
    get frame() { return frame; },
    render,
    /** onRender adds fn(ctx, rect, frame), called on every redraw. */
    onRender(fn) { renderers.add(fn); render(); },
    /** toFrame turns a pointer position into frame coordinates (null outside the picture). */
    toFrame(clientX, clientY) {
      const b = overlay.getBoundingClientRect(); // zoom included
      const k = overlay.clientWidth ? b.width / overlay.clientWidth : 1;
      const r = rect();
      const x = ((clientX - b.left) / k - r.x) / r.w, y = ((clientY - b.top) / k - r.y) / r.h;
      return x < 0 || x > 1 || y < 0 || y > 1 ? null : [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4];
    },
    /** freeze shows the still at url instead of the video; null returns to live. */
    freeze(id, url) {
      frame = id && url ? id : 'live';
      still.hidden = frame === 'live';
      video.hidden = frame !== 'live';
      if (url) still.src = url; else still.removeAttribute('src');
      viewport.dataset.frame = frame;
      render();
    },
    /** zoom shows the region around (x, y) at level; level 1 shows the whole picture. */
    zoom(level, x, y) {
      zoom = { level: Math.max(1, Number(level) || 1), x, y };
      render();
    },
  };
}
