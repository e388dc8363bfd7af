// zoom.js — zoom on the customer's camera: the customer's page drives the
// camera's own zoom (MediaStreamTrack constraint "zoom") where
// getCapabilities() offers it; where it does not, it zooms digitally and
// says so, and every page shows the same region of the picture (view.zoom).

export const MAX_ZOOM = 10;

/** opticalZoom applies level to the camera's zoom range; false when the camera has none. */
async function opticalZoom(track, level) {
  const caps = track?.getCapabilities?.() || {};
  if (!caps.zoom || !(caps.zoom.max > caps.zoom.min)) return false;
  const { min, max } = caps.zoom;
  const value = Math.min(max, Math.max(min, min * level));
  await track.applyConstraints({ advanced: [{ zoom: value }] });
  return true;
}

/** zoomer applies zoom answers to view; on the customer's page it answers zoom commands. */
export function zoomer({ view, link, camera }) {
  let state = { level: 1, x: 0.5, y: 0.5, mode: '' };
  const apply = (m) => {
    state = { level: m.level, x: m.x, y: m.y, mode: m.mode };
    view.zoom(m.mode === 'digital' ? m.level : 1, m.x, m.y);
  };
  async function answer(m) {
    let mode = 'digital';
    try { if (await opticalZoom(camera?.(), m.level)) mode = 'optical'; } catch { /* the camera refused: zoom digitally */ }
    const a = { tool: 'zoom', id: `zoom-${Date.now().toString(36)}`, op: 'applied', mode, level: m.level, x: m.x, y: m.y };
    apply(a);
    link.send(a);
  }
  return {
    get state() { return state; },
    receive(m) {
      if (m.op === 'set' && camera) { answer(m); return 'set'; }
      if (m.op === 'applied') { apply(m); return m.mode; }
      return '';
    },
    set: (level, x, y) => link.send({ tool: 'zoom', id: `zoom-${Date.now().toString(36)}`, op: 'set', level, x, y }),
  };
}
