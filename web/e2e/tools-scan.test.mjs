// The scanning tools in real Chromium: the customer's fake camera plays a
// frame that tools/fakecam renders (a QR code, a Code 128 barcode and a line
// of text); the technician's QR, Barcode and Live text tools read them off
// the received video, show them with a working copy button, share them with
// the session (the customer's page gets them) and the session report keeps
// them. No page may report a CSP violation: the decoders are WebAssembly and
// a worker served from the client's own origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, ROOT, signInAs } from './stack.mjs';
import { launchWithCamera, watchedContextWith } from './browser.mjs';

const QR_TEXT = 'https://example.test/pump/4711';
const BAR_TEXT = 'SN-4711-AB';
const LINE = 'PUMP SERIAL 4711';

let stack;
let browser;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gb-scan-'));
  const cam = join(dir, 'cam.y4m');
  execFileSync('go', ['run', './tools/fakecam', '-o', cam, '-qr', QR_TEXT, '-barcode', BAR_TEXT, '-text', LINE], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `/usr/local/go/bin:${process.env.PATH}` },
  });
  stack = await startStack();
  browser = await launchWithCamera(cam);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signIn = (page, email) => signInAs(stack, page, email);

// videoPlays waits until the page's remote video has a picture.
async function videoPlays(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('.screen video')].some((x) => x.srcObject && x.videoWidth > 0),
    null, { timeout: 30_000 });
}

const words = (s) => s.toUpperCase().replace(/[^A-Z0-9]+/g, ' ').trim();

/**
 * scan opens a tool and presses its button until the result group holds a
 * text (the first frames after the call starts may still be blurry at a
 * low bitrate, when the tool says it found nothing): it returns the text.
 */
async function scan(page, tool, button, group) {
  await page.getByRole('button', { name: tool, exact: true }).click();
  const form = page.getByRole('form', { name: tool, exact: true });
  const result = form.getByRole('group', { name: group, exact: true });
  for (let attempt = 1; ; attempt++) {
    await form.getByRole('button', { name: button, exact: true }).click();
    // Done when the button is back: a result or a message that none was found.
    await page.waitForFunction((f) => !document.querySelector(`form[aria-label="${f}"][aria-busy]`), tool, { timeout: 60_000 });
    if (await result.count()) return result.getByRole('textbox', { name: 'Result', exact: true }).inputValue();
    const why = await form.locator('.form-error').textContent();
    if (attempt === 5) throw new Error(`${tool}: nothing read after ${attempt} tries: ${why}`);
  }
}

test('QR, barcode and live text read the customer camera, copy, and land in the report', async () => {
  const perms = { permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'] };
  const tech = await watchedContextWith(browser, 'scan-primary', perms);
  const cust = await watchedContextWith(browser, 'scan-customer', perms);
  try {
    const page = await tech.context.newPage();
    await signIn(page, 'tech@demo.test');
    await page.getByLabel('New case title').fill('E2E scan pump label');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E scan pump label' }).first().click();
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Sam Scan');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    const customerLink = await page.getByLabel('Customer link').inputValue();
    const customer = await cust.context.newPage();
    await customer.goto(customerLink);
    await videoPlays(page);

    const t0 = Date.now();
    assert.equal(await scan(page, 'QR', 'Scan QR code', 'QR result'), QR_TEXT);
    const qrMs = Date.now() - t0;
    const qrResult = page.getByRole('group', { name: 'QR result', exact: true });
    await qrResult.getByText('QR Code read', { exact: true }).waitFor();
    // The clipboard takes text only from the focused page, and the customer's
    // page opened later in another window.
    await page.bringToFront();
    await qrResult.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), QR_TEXT);

    const t1 = Date.now();
    assert.equal(await scan(page, 'Barcode', 'Scan barcode', 'Barcode result'), BAR_TEXT);
    const barMs = Date.now() - t1;
    await page.getByRole('group', { name: 'Barcode result', exact: true }).getByText('Code 128 read', { exact: true }).waitFor();

    const t2 = Date.now();
    const text = await scan(page, 'Live text', 'Read text', 'Live text result');
    const ocrMs = Date.now() - t2;
    assert.ok(words(text).includes(words(LINE)), `live text read ${JSON.stringify(text)}, want the words of ${JSON.stringify(LINE)}`);
    console.log(`# scan timings: qr ${qrMs} ms, barcode ${barMs} ms, live text ${ocrMs} ms (engine load included)`);

    // The customer's page gets the results the technician shared.
    const fromTechs = customer.getByRole('list', { name: 'From the technicians' });
    await fromTechs.getByText(QR_TEXT, { exact: false }).waitFor();
    await fromTechs.getByText(BAR_TEXT, { exact: false }).waitFor();

    // The session report on the case keeps each result.
    await page.getByRole('button', { name: 'End session' }).click();
    await page.getByRole('dialog', { name: 'End the session?' }).getByRole('button', { name: 'End session' }).click();
    await page.getByRole('link', { name: 'Back to the case' }).first().click();
    const report = page.locator('article.session-report').first();
    await report.waitFor();
    await report.getByText(`format: QRCode, text: ${QR_TEXT}`).waitFor();
    await report.getByText(`format: Code128, text: ${BAR_TEXT}`).waitFor();
    const ocrLine = await report.getByText(/Live text · text: /).first().textContent();
    assert.ok(words(ocrLine).includes(words(LINE)), `report line ${JSON.stringify(ocrLine)}`);

    const problems = [...tech.problems, ...cust.problems];
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await tech.keep(stack.log());
    await cust.keep();
    throw err;
  } finally {
    await tech.context.close();
    await cust.context.close();
  }
});
