// camera.js — the camera tools on a live page: annotation, freeze, zoom and
// flash over one cameraView. A technician's page gets their controls (as the
// tools the relay gives it allow); the customer's page answers the commands
// with its own camera. live.js's toolPanel no longer has forms for these.

import { h } from '../ui.js';
import { t, tl } from '../i18n.js';
import { cameraView } from './view.js';
import { annotations } from './annotate.js';
import { freezer } from './freeze.js';
import { zoomer, MAX_ZOOM } from './zoom.js';
import { flasher } from './flash.js';

export const CAMERA_TOOLS = ['annotation', 'freeze', 'zoom', 'flash'];
// How long a technician's page waits for the customer's device to answer.
const ANSWER_WAIT = 6000;

/**
 * cameraTools sets up the tools over video. link sends tool messages; log is
 * the page's activity panel; camera (customer only) returns the camera's
 * video track.
 */
export function cameraTools({ video, link, log, camera }) {
  const technician = !camera;
  const people = new Map();
  let self = '';
  const names = (id) => (id === self ? t('live.you') : people.get(id) || t('live.someone'));
  const view = cameraView(video);
  const note = h('p', { class: 'cam-note', role: 'status' });
  const say = (text, cls = '') => { note.textContent = text; log?.add('', text, cls); };
  // A command the customer's device does not answer (no customer, or gone)
  // is said to have gone unanswered rather than left waiting.
  const waiting = new Map();
  const expect = (tool, sent) => {
    clearTimeout(waiting.get(tool));
    if (sent) waiting.set(tool, setTimeout(() => { waiting.delete(tool); say(t('draw.noAnswer', { tool: t(`tool.${tool}`) }), 'error'); }, ANSWER_WAIT));
    return sent;
  };
  const answered = (tool) => { clearTimeout(waiting.get(tool)); waiting.delete(tool); };

  const ann = annotations({ view, link, names, draw: technician });
  const frz = freezer({ view, link, camera, changed: (on) => { if (!on) ann.unfrozen(); syncFreeze(on); } });
  const zm = zoomer({ view, link, camera });
  const fl = flasher({ link, camera });
  video.closest('.screen')?.append(ann.list);

  // A technician's controls.
  const freezeBtn = h('button', { type: 'button', class: 'btn small', ...tl('freeze.freeze') });
  function syncFreeze(on) { freezeBtn.dataset.i18n = on ? 'freeze.unfreeze' : 'freeze.freeze'; freezeBtn.textContent = t(freezeBtn.dataset.i18n); }
  freezeBtn.addEventListener('click', () => {
    if (frz.frozen) { if (!frz.unfreeze()) say(t('live.commandNotSent'), 'error'); return; }
    if (expect('freeze', frz.request())) say(t('freeze.asked')); else say(t('live.commandNotSent'), 'error');
  });
  const level = h('input', { type: 'number', min: 1, max: MAX_ZOOM, step: 0.5, value: 2, class: 'cam-level' });
  const levelField = h('label', { class: 'cam-field' }, h('span', { ...tl('zoom.level') }), level);
  let centre = [0.5, 0.5];
  let picking = false;
  const pick = h('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false', ...tl('zoom.pick') });
  pick.addEventListener('click', () => { picking = !picking; if (picking) ann.stop(); pick.setAttribute('aria-pressed', String(picking)); view.overlay.classList.toggle('picking', picking); });
  const zoomTo = (lv) => {
    const v = Math.min(MAX_ZOOM, Math.max(1, Number(lv) || 1));
    if (expect('zoom', zm.set(v, centre[0], centre[1]))) say(t('zoom.asked', { level: v }));
    else say(t('live.commandNotSent'), 'error');
  };
  view.overlay.addEventListener('click', (e) => {
    if (!picking) return;
    const p = view.toFrame(e.clientX, e.clientY);
    if (!p) return;
    centre = p;
    picking = false;
    pick.setAttribute('aria-pressed', 'false');
    view.overlay.classList.remove('picking');
    zoomTo(level.value);
  });
  const zoomBtn = h('button', { type: 'button', class: 'btn small', ...tl('zoom.apply'), onclick: () => zoomTo(level.value) });
  const resetBtn = h('button', { type: 'button', class: 'btn small', ...tl('zoom.reset'), onclick: () => { centre = [0.5, 0.5]; zoomTo(1); } });
  const flashOn = h('button', { type: 'button', class: 'btn small', ...tl('flash.on'), onclick: () => (expect('flash', fl.set(true)) ? say(t('flash.asked')) : say(t('live.commandNotSent'), 'error')) });
  const flashOff = h('button', { type: 'button', class: 'btn small', ...tl('flash.off'), onclick: () => (expect('flash', fl.set(false)) ? say(t('flash.asked')) : say(t('live.commandNotSent'), 'error')) });
  const rows = {
    annotation: ann.controls,
    freeze: h('div', { class: 'cam-row' }, h('span', { class: 'cam-label', ...tl('tool.freeze') }), freezeBtn),
    zoom: h('div', { class: 'cam-row' }, h('span', { class: 'cam-label', ...tl('tool.zoom') }), levelField, zoomBtn, pick, resetBtn),
    flash: h('div', { class: 'cam-row' }, h('span', { class: 'cam-label', ...tl('tool.flash') }), flashOn, flashOff),
  };
  const panel = technician ? h('section', { class: 'panel cam-tools', 'aria-labelledby': 'cam-tools-title' },
    h('h2', { id: 'cam-tools-title', ...tl('draw.title') }), Object.values(rows), note) : note;

  const from = (m) => ({ name: m.fromName || names(m.from) });
  return {
    panel,
    view,
    /** joined takes the page's own participant id and kind from the relay. */
    joined(p) { self = p?.id || ''; ann.joined(self, p?.kind || ''); },
    roster(p) { if (p?.id && p.name) people.set(p.id, p.name); },
    setTools(list) {
      if (!technician) return;
      ann.enable(list.includes('annotation'));
      for (const tool of ['freeze', 'zoom', 'flash']) {
        rows[tool].querySelectorAll('button, input').forEach((el) => { el.disabled = !list.includes(tool); });
      }
    },
    /** receive handles a camera tool's message; false for other tools. */
    receive(m) {
      if (!CAMERA_TOOLS.includes(m.tool)) return false;
      if (m.from && m.fromName) people.set(m.from, m.fromName);
      if (m.tool === 'annotation') { ann.receive(m); return true; }
      if (m.tool === 'freeze') {
        const what = frz.receive(m);
        if (what === 'begin' || what === 'failed') answered('freeze');
        if (what === 'request' && camera && !m.earlier) say(t('freeze.requested', from(m)));
        if (what === 'begin' && !m.earlier) say(t('freeze.frozen'));
        if (what === 'off' && !m.earlier) say(t('freeze.live', from(m)));
        if (what === 'failed') say(t('freeze.failed'), 'error');
        return true;
      }
      if (m.tool === 'zoom') {
        const what = zm.receive(m);
        if (m.op === 'applied') answered('zoom');
        if ((what === 'optical' || what === 'digital') && !m.earlier) {
          say(m.level <= 1 ? t('zoom.whole') : t(`zoom.${what}`, { level: m.level }));
        }
        return true;
      }
      const what = fl.receive(m);
      if (m.op === 'result') answered('flash');
      if (what === 'set') say(t(m.state === 'on' ? 'flash.switchedOn' : 'flash.switchedOff', from(m)));
      else if (what.startsWith('ok.')) say(t(what === 'ok.on' ? 'flash.isOn' : 'flash.isOff'));
      else if (what === 'not.unsupported') say(t('flash.unsupported'), 'error');
      else if (what) say(t('flash.failed'), 'error');
      return true;
    },
    /** refused shows the relay's refusal of a camera command; false for other tools. */
    refused(err) {
      if (!CAMERA_TOOLS.includes(err.tool)) return false;
      ann.refused(err);
      say(t('live.refused', { tool: t(`tool.${err.tool}`), reason: err.message || '' }), 'error');
      return true;
    },
  };
}
