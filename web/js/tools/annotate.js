// annotate.js — annotations over the customer's picture: technicians draw
// freehand, arrows, circles and text with the pointer; every page that may
// receive annotations draws the shapes the relay forwards (and, on joining,
// the shapes still on screen). The relay sets each shape's author and colour;
// the page predicts its own colour the same way so its strokes show at once.

import { h } from '../ui.js';
import { t, tl } from '../i18n.js';

// The relay's palette (media-task/proto.Palette), picked by FNV-1a of the author's id.
const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6'];
export function colorOf(id) {
  let x = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) x = Math.imul(x ^ b, 0x01000193) >>> 0;
  return PALETTE[x % PALETTE.length];
}

export const SHAPES = ['freehand', 'arrow', 'circle', 'text'];
const MAX_POINTS = 500;
let seq = 0;
const newId = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;

function draw(ctx, r, s) {
  const P = ([x, y]) => [r.x + x * r.w, r.y + y * r.h];
  ctx.strokeStyle = ctx.fillStyle = s.color;
  ctx.lineWidth = Math.max(2, r.h / 160);
  ctx.lineCap = ctx.lineJoin = 'round';
  const pts = s.points.map(P);
  ctx.beginPath();
  if (s.type === 'freehand') {
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
  } else if (s.type === 'arrow') {
    const [[x0, y0], [x1, y1]] = pts;
    const a = Math.atan2(y1 - y0, x1 - x0), head = Math.max(10, r.h / 30);
    ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * Math.cos(a - 0.45), y1 - head * Math.sin(a - 0.45));
    ctx.lineTo(x1 - head * Math.cos(a + 0.45), y1 - head * Math.sin(a + 0.45));
    ctx.closePath(); ctx.fill();
  } else if (s.type === 'circle') {
    const [[cx, cy], [ex, ey]] = pts;
    ctx.arc(cx, cy, Math.hypot(ex - cx, ey - cy), 0, 2 * Math.PI);
    ctx.stroke();
  } else if (s.type === 'text') {
    const size = Math.max(12, r.h / 20);
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.lineWidth = size / 6;
    ctx.strokeStyle = 'rgba(0,0,0,.7)';
    ctx.strokeText(s.text, pts[0][0], pts[0][1]);
    ctx.fillText(s.text, pts[0][0], pts[0][1]);
  }
}

/**
 * annotations keeps the shapes and draws those of the frame shown. With
 * draw set (a technician), it adds the drawing controls to panel.
 */
export function annotations({ view, link, names, draw: canDraw }) {
  const shapes = new Map(); // `${author}/${id}` -> shape
  const mine = []; // own shape keys, newest last, for undo
  const pending = new Map(); // message id -> key, to take back a refused shape
  let self = '';
  let kind = '';
  let mode = '';
  let on = false;

  // The shapes in words too, for screen readers and for anyone checking what is drawn.
  const list = h('ul', { class: 'visually-hidden cam-shapes', 'aria-label': t('draw.shapesLabel'), 'data-i18n-label': 'draw.shapesLabel' });
  const shown = (frame) => [...shapes.values()].filter((s) => s.frame === frame);
  view.onRender((ctx, r, frame) => {
    const visible = shown(frame);
    visible.forEach((s) => draw(ctx, r, s));
    list.replaceChildren(...visible.map((s) => h('li', { 'data-type': s.type, 'data-author': s.author,
      text: t(`draw.said.${s.type}`, { name: names(s.author), text: s.text || '' }) })));
  });

  const add = (s) => { shapes.set(`${s.author}/${s.id}`, s); view.render(); };
  const send = (msg) => link.send({ tool: 'annotation', id: `annotation-${newId()}`, ...msg });

  // Drawing with the pointer.
  let stroke = null;
  const text = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', class: 'cam-text', 'aria-label': t('draw.textLabel'), 'data-i18n-label': 'draw.textLabel' });
  function commit(s) {
    const msg = { op: 'add', shape: { id: s.id, type: s.type, points: s.points, frame: view.frame, ...(s.text ? { text: s.text } : {}) } };
    const shape = { ...msg.shape, author: self, color: colorOf(self) };
    const m = { tool: 'annotation', id: `annotation-${newId()}`, ...msg };
    if (!link.send(m)) return false;
    pending.set(m.id, `${self}/${s.id}`);
    mine.push(`${self}/${s.id}`);
    add(shape);
    return true;
  }
  const ov = view.overlay;
  ov.addEventListener('pointerdown', (e) => {
    if (!on || !mode || e.button !== 0) return;
    const p = view.toFrame(e.clientX, e.clientY);
    if (!p) return;
    e.preventDefault();
    if (mode === 'text') {
      const words = text.value.trim();
      if (!words) { text.focus(); return; }
      if (commit({ id: newId(), type: 'text', points: [p], text: words })) text.value = '';
      return;
    }
    ov.setPointerCapture(e.pointerId);
    stroke = { id: newId(), type: mode, points: [p, p], author: self, color: colorOf(self), frame: view.frame };
    shapes.set('\u0000draft', stroke);
    view.render();
  });
  ov.addEventListener('pointermove', (e) => {
    if (!stroke) return;
    const p = view.toFrame(e.clientX, e.clientY);
    if (!p) return;
    if (stroke.type === 'freehand') { if (stroke.points.length < MAX_POINTS) stroke.points.push(p); } else stroke.points[1] = p;
    view.render();
  });
  const finish = () => {
    if (!stroke) return;
    const s = stroke;
    stroke = null;
    shapes.delete('\u0000draft');
    const [a, b] = [s.points[0], s.points[s.points.length - 1]];
    if (s.type === 'freehand') s.points = s.points.slice(1); // the first point was doubled
    if (Math.hypot(a[0] - b[0], a[1] - b[1]) > 0.005 && s.points.length >= 2) commit(s);
    view.render();
  };
  ov.addEventListener('pointerup', finish);
  ov.addEventListener('pointercancel', () => { stroke = null; shapes.delete('\u0000draft'); view.render(); });

  const modeButtons = SHAPES.map((s) => h('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false', 'data-mode': s, ...tl(`draw.mode.${s}`),
    onclick: () => setMode(mode === s ? '' : s) }));
  function setMode(m) {
    mode = m;
    modeButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.mode === m)));
    ov.classList.toggle('drawing', Boolean(m));
    text.hidden = m !== 'text';
  }
  const undo = h('button', { type: 'button', class: 'btn small', ...tl('draw.undo'), onclick: () => {
    while (mine.length && !shapes.has(mine.at(-1))) mine.pop(); // gone with a still, or cleared
    const key = mine.pop();
    if (!key) return;
    const id = key.slice(key.indexOf('/') + 1);
    if (send({ op: 'undo', shapeId: id })) { shapes.delete(key); view.render(); } else mine.push(key);
  } });
  const clear = h('button', { type: 'button', class: 'btn small danger', hidden: true, ...tl('draw.clear'), onclick: () => {
    if (send({ op: 'clear' })) { shapes.clear(); mine.length = 0; view.render(); }
  } });
  text.hidden = true;
  const controls = canDraw ? h('div', { class: 'cam-row', role: 'group', 'aria-label': t('tool.annotation'), 'data-i18n-label': 'tool.annotation' },
    h('span', { class: 'cam-label', ...tl('tool.annotation') }), modeButtons, text, undo, clear) : null;

  return {
    list,
    controls,
    joined(id, k) { self = id; kind = k; clear.hidden = kind !== 'primary'; },
    /** stop leaves the drawing mode (another tool takes the pointer). */
    stop: () => setMode(''),
    enable(yes) {
      on = yes;
      if (controls) controls.querySelectorAll('button').forEach((b) => { b.disabled = !yes; });
      if (!yes) setMode('');
    },
    receive(m) {
      if (m.op === 'add' && m.shape) add(m.shape);
      else if (m.op === 'undo') { shapes.delete(`${m.from}/${m.shapeId}`); view.render(); }
      else if (m.op === 'clear') { shapes.clear(); mine.length = 0; view.render(); }
    },
    /** unfrozen drops the shapes drawn on a still: they belong to it. */
    unfrozen() { for (const [k, s] of shapes) if (s.frame !== 'live') shapes.delete(k); view.render(); },
    refused(err) {
      const key = pending.get(err.id);
      if (key) { shapes.delete(key); view.render(); }
    },
  };
}
