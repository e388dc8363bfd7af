// tools/scan.js — the QR, Barcode and Live text tools of a technician's page.
//
// They read the frame the page shows of the customer's camera (the live
// picture, or the still while the view is frozen): the technician who asks
// sees the result at once, with a copy button, and the result goes to the
// session as a tool message, so the relay hands it to whoever may receive
// it and keeps it in the session's record. Decoding runs here rather than
// on the customer's device: the customer's page cannot use these tools (the
// matrix gives the customer chat, video and mic only), a phone would pay for
// a 3 MB OCR engine, and the request/answer round trip would need a message
// kind of its own. The price is that the frame is the received video, not
// the camera's full resolution; a label held close enough for a person to
// read on screen decodes.
//
// The decoders are WebAssembly served from this origin (web/vendor/, copied
// from npm by `make deps`) and are loaded on first use only.

import { h, announce, clearFormError, showFormError } from '../ui.js';
import { t } from '../i18n.js';
import { toolLabel } from '../live.js';
import { recognize } from './ocr.js';

const ZXING = '/vendor/zxing-wasm/es/reader/index.js';
const ZXING_WASM = '/vendor/zxing-wasm/reader/';

// What each tool looks for: the QR tool reads the 2D codes, the barcode tool the 1D ones.
const FORMATS = { qr: ['AllMatrix'], barcode: ['AllLinear'] };
export const SCANS = ['qr', 'barcode', 'live_text'];
/** isScan reports whether a tool message is a scan result. */
export const isScan = (m) => SCANS.includes(m?.tool);

// Longest text sent to the session (proto.MaxScanText); more is cut.
const MAX_TEXT = 8000;

// A ScanError's message is for the person; anything else an engine throws
// is not, and shows as scan.failed.
class ScanError extends Error {}
const fail = (key) => new ScanError(t(key));

let zxing = null;
/** reader loads ZXing once, pointing it at the .wasm beside it on this origin. */
function reader() {
  zxing ??= import(ZXING).then(async (m) => {
    await m.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? ZXING_WASM + path : prefix + path) },
      fireImmediately: true,
    });
    return m;
  }).catch((err) => { zxing = null; throw err; });
  return zxing;
}

/**
 * frame copies the picture everyone sees at its own resolution: the frozen
 * still when the picture is frozen (the customer's full-resolution frame,
 * tools/freeze.js), else the video's current frame.
 */
export function frame(video) {
  const still = video?.parentElement?.querySelector(':scope > .cam-still');
  const src = still && !still.hidden && still.complete && still.naturalWidth ? still : video;
  const w = src === still ? still.naturalWidth : video?.videoWidth || 0;
  const hgt = src === still ? still.naturalHeight : video?.videoHeight || 0;
  if (!w || !hgt) throw fail('scan.noVideo');
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(src, 0, 0, w, hgt);
  return { canvas, image: ctx.getImageData(0, 0, w, hgt) };
}

/** decode finds the first code of the tool's kind in an ImageData: {format, text} or null. */
export async function decode(tool, image) {
  let m;
  try { m = await reader(); } catch { throw fail('scan.loadFailed'); }
  const found = await m.readBarcodes(image, { formats: FORMATS[tool], tryHarder: true, maxNumberOfSymbols: 1 });
  const hit = found.find((r) => r.isValid && r.text);
  return hit ? { format: hit.format, label: m.formatToLabel?.(hit.format) || hit.format, text: hit.text } : null;
}

const normalize = (s) => s.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();

/** copy puts text on the clipboard, or selects it in el for the person to copy. */
async function copy(text, el) {
  try {
    await navigator.clipboard.writeText(text);
    announce(t('scan.copied'));
  } catch {
    el.focus();
    el.select();
    announce(t('scan.copyFailed'));
  }
}

/** resultBox shows a result: what was read and the text, selectable, with a copy button. */
function resultBox(tool, heading, text) {
  const area = h('textarea', { class: 'scan-text', readonly: true, rows: Math.min(8, Math.max(1, text.split('\n').length)),
    'aria-label': t('scan.text'), spellcheck: 'false' });
  area.value = text;
  return h('div', { class: 'scan-result', role: 'group', 'aria-label': t('scan.resultOf', { tool: toolLabel(tool) }) },
    h('p', { class: 'scan-format', text: heading }), area,
    h('button', { type: 'button', class: 'btn small', text: t('scan.copy'), onclick: () => copy(text, area) }));
}

/** describeScan renders a received scan result for the activity log. */
export const describeScan = (m) => (m.tool === 'live_text'
  ? `${toolLabel(m.tool)}: ${String(m.text ?? '')}`
  : `${toolLabel(m.tool)} · ${String(m.format ?? '')}: ${String(m.text ?? '')}`);

/**
 * scanTools returns toolPanel's actions for the scanning tools of a
 * technician's page: each reads video's current frame, shows the result in
 * its form and sends it to the session over link; log is the activity log.
 */
export function scanTools(video, link, log) {
  const busy = new Set();
  const run = (tool) => async (form, msgId) => {
    if (busy.has(tool)) return;
    busy.add(tool);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    clearFormError(form);
    form.querySelector('.scan-result')?.remove();
    const working = h('p', { class: 'scan-working muted small', role: 'status', text: t('scan.working') });
    form.append(working);
    try {
      const { canvas, image } = frame(video);
      let msg;
      let heading;
      if (tool === 'live_text') {
        let raw;
        try { raw = await recognize(canvas); } catch (err) {
          if (err?.load) { console.warn('ocr', err); throw fail('scan.loadFailed'); }
          throw err;
        }
        const text = normalize(raw).slice(0, MAX_TEXT);
        if (!text) throw fail('scan.noText');
        msg = { tool, id: msgId(tool), text };
        heading = t('scan.readText');
      } else {
        const hit = await decode(tool, image);
        if (!hit) throw fail(tool === 'qr' ? 'scan.noQr' : 'scan.noBarcode');
        msg = { tool, id: msgId(tool), format: hit.format, text: hit.text.slice(0, MAX_TEXT) };
        heading = t('scan.found', { format: hit.label });
      }
      form.append(resultBox(tool, heading, msg.text));
      if (link.send(msg)) {
        log.add(t('live.you'), describeScan(msg), 'own');
        announce(t('scan.shared', { tool: toolLabel(tool) }));
      } else {
        showFormError(form, new Error(t('scan.notShared')));
      }
    } catch (err) {
      if (!(err instanceof ScanError)) console.warn('scan', tool, err);
      showFormError(form, err instanceof ScanError ? err : new Error(t('scan.failed')));
    } finally {
      working.remove();
      form.removeAttribute('aria-busy');
      btn.disabled = false;
      busy.delete(tool);
    }
  };
  return Object.fromEntries(SCANS.map((tool) => [tool, run(tool)]));
}
