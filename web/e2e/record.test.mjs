// Recording a live session for real, in Chromium with a fake camera: the
// primary starts the record tool, the customer's page says it is being
// recorded and the technicians' pages show the indicator, the primary stops
// it, and the file the relay wrote into S3 plays on the case page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signInAs } from './stack.mjs';
import { launch, watchedContext } from './browser.mjs';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const signIn = (page, email) => signInAs(stack, page, email);

// liveVideoAt waits until the page's remote video has a picture and returns
// its current time.
async function liveVideoAt(page, after = -1) {
  const h = await page.waitForFunction((t) => {
    const v = [...document.querySelectorAll('.screen video')].find((x) => x.srcObject && x.videoWidth > 0 && x.currentTime > t);
    return v ? v.currentTime : 0;
  }, after, { timeout: 30_000 });
  return h.jsonValue();
}

// recordTool sends the record tool's command (start or stop) from the
// primary's tool panel.
async function recordTool(page, state) {
  const form = page.locator('form[aria-label="Record"]');
  if (await form.isHidden()) await page.getByRole('button', { name: 'Record', exact: true }).click();
  await form.getByLabel('Recording').selectOption(state);
  await form.getByRole('button', { name: 'Send', exact: true }).click();
}

const indicator = (page) => page.locator('.rec-indicator');

test('the primary records the customer: everyone is told, and the file plays on the case', async (t) => {
  const names = ['primary', 'customer'];
  const ctx = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContext(browser, `record-${n}`)])));
  t.after(() => Promise.all(names.map((n) => ctx[n].context.close())));
  try {
    await recordAndPlay(ctx);
    for (const n of names) assert.deepEqual(ctx[n].problems, [], `${n}: CSP violations, console errors or page errors`);
  } catch (err) {
    for (const n of names) await ctx[n].keep(stack.log());
    throw err;
  }
});

async function recordAndPlay(ctx) {
  const page = await ctx.primary.context.newPage();
  await signIn(page, 'tech@demo.test');
  await page.getByLabel('New case title').fill('E2E recorded pump');
  await page.getByRole('button', { name: 'Create case' }).click();
  await page.getByRole('link', { name: 'E2E recorded pump' }).first().click();
  const caseURL = page.url();
  await page.getByRole('button', { name: 'Start live session' }).click();
  await page.getByLabel('Customer name').fill('Rita Recorded');
  await page.getByRole('button', { name: 'Start session' }).click();
  await page.waitForURL(/\/session\//);
  const customerLink = await page.getByLabel('Customer link').inputValue();
  const cust = await ctx.customer.context.newPage();
  await cust.goto(customerLink);
  await liveVideoAt(page);
  assert.equal(await indicator(cust).isVisible(), false, 'the customer sees a recording before one started');

  await recordTool(page, 'start');
  // The customer is told in words; the primary sees the indicator.
  await indicator(cust).getByText('This session is being recorded', { exact: false }).waitFor();
  await indicator(page).getByText('Recording', { exact: true }).waitFor();
  await page.getByText('started recording the session.', { exact: false }).first().waitFor();

  // A few seconds of the fake camera, measured on the primary's picture.
  const t0 = await liveVideoAt(page);
  await liveVideoAt(page, t0 + 3);
  await recordTool(page, 'stop');
  await indicator(cust).waitFor({ state: 'hidden' });
  await indicator(page).waitFor({ state: 'hidden' });
  await cust.getByText('Recording stopped.', { exact: true }).first().waitFor();


  // The relay finished the file and told the API: the recording is on the
  // case, and it plays from its short-lived URL.
  const play = page.getByRole('button', { name: /^Play recording started by / });
  for (let i = 0; ; i++) {
    await page.goto(caseURL);
    try {
      await play.waitFor({ timeout: 3000 });
      break;
    } catch (err) {
      if (i >= 10) throw new Error('the recording did not reach the case', { cause: err });
    }
  }
  await play.click();
  const video = page.locator('video.attachment-media');
  await video.waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('video.attachment-media');
    return v && v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0;
  }, null, { timeout: 20_000 });
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  await page.waitForFunction(() => document.querySelector('video.attachment-media').currentTime > 1, null, { timeout: 20_000 });
}
