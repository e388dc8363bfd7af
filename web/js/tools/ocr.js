// tools/ocr.js — Live text: Tesseract (tesseract.js) reading a frame, in a
// worker, with every file served from this origin (web/vendor/tesseract/,
// copied from npm by `make deps`): the worker script, the LSTM-only
// WebAssembly core and the English data. Nothing is fetched from a CDN: each
// path that tesseract.js would otherwise fill with a CDN address is set.

const BASE = '/vendor/tesseract/';

// The smallest module with a SIMD instruction (wasm-feature-detect's probe):
// the SIMD build of the core is about twice as fast where it validates.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

let engine = null;
/** worker starts one Tesseract worker for the page, on first use. */
function worker() {
  engine ??= (async () => {
    const { default: Tesseract } = await import(`${BASE}tesseract.esm.min.js`);
    const simd = WebAssembly.validate(SIMD_PROBE);
    return Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
      workerPath: `${BASE}worker.min.js`,
      // A blob: worker would need worker-src blob: in the page's policy.
      workerBlobURL: false,
      corePath: `${BASE}${simd ? 'tesseract-core-simd-lstm.js' : 'tesseract-core-lstm.js'}`,
      langPath: `${BASE}lang`,
      gzip: true,
    });
  })().catch((err) => { engine = null; throw Object.assign(err instanceof Error ? err : new Error(String(err)), { load: true }); });
  return engine;
}

/** recognize reads the text in a canvas; an error with load set means the engine did not start. */
export async function recognize(canvas) {
  const w = await worker();
  const { data } = await w.recognize(canvas);
  return data?.text || '';
}
