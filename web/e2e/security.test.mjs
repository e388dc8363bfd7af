// The web client under its Content-Security-Policy, in a real browser: the
// headers on the page and the API, sign-in with the demo credentials, the
// main tabs and a live session (technician and customer pages) without a
// single policy violation or console error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, callAPI } from './stack.mjs';
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

function checkHeaders(h, what) {
  const csp = h['content-security-policy'] || '';
  // The attachments bucket (the local S3 emulator here) serves thumbnails,
  // recordings and takes uploads; nothing else is allowed beyond the site.
  for (const want of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "style-src 'self'",
    `img-src 'self' blob: data: ${stack.s3}`, `media-src 'self' blob: ${stack.s3}`,
    `connect-src 'self' ${stack.relayOrigin} ${stack.s3}`, "frame-ancestors 'none'"]) {
    assert.ok(csp.split(/;\s*/).includes(want), `${what}: CSP ${JSON.stringify(csp)} lacks ${want}`);
  }
  // WebAssembly compilation (the scanning tools) is the one exception.
  assert.doesNotMatch(csp.replaceAll("'wasm-unsafe-eval'", ''), /unsafe/, `${what}: CSP allows unsafe sources`);
  assert.equal(h['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(h['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  // Served over plain http: HSTS would be ignored by browsers and wrong.
  assert.equal(h['strict-transport-security'], undefined, `${what}: Strict-Transport-Security over http`);
}

test('security headers on the page, its files and the API', async () => {
  for (const path of ['/', '/cases', '/js/app.js', '/styles.css', '/v1/privileges', '/v1/me', '/v1/no-such-route']) {
    const res = await fetch(stack.base + path);
    checkHeaders(Object.fromEntries(res.headers), `GET ${path} (${res.status})`);
  }
});

test('sign-in, the main tabs and a live session raise no policy violation', async (t) => {
  const tech = await watchedContext(browser, 'technician');
  const customer = await watchedContext(browser, 'customer');
  t.after(() => Promise.all([tech.context.close(), customer.context.close()]));
  try {
    const page = await tech.context.newPage();
    const doc = await page.goto(stack.base + '/');
    checkHeaders(doc.headers(), 'the page in the browser');

    await page.getByLabel('Email').fill('admin@demo.test');
    await page.getByLabel('Password').fill(stack.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    // loading() shows "Loading …" until a section's data is in.
    const settled = () => page.waitForFunction(() => ![...document.querySelectorAll('main [role=status]')].some((e) => e.textContent.startsWith('Loading')));
    for (const tab of ['Cases', 'Devices', 'Guests', 'Roles', 'Audit log']) {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: tab, exact: true }).click();
      await page.locator(`nav.tabs a[aria-current=page]`, { hasText: tab }).waitFor();
      await settled();
    }
    await page.getByRole('link', { name: /^Companies/ }).click();
    await settled();

    // A case, and a live session on it, through the page.
    await page.getByRole('link', { name: 'Guestbridge' }).click();
    await page.getByLabel('New case title').fill('E2E pump check');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E pump check' }).first().click();
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Carla Customer');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    const link = await page.getByLabel('Customer link').inputValue();
    assert.match(link, /\/join#/);

    // The customer opens the link: the camera page under the same policy,
    // connecting to the relay over WebSocket.
    const cust = await customer.context.newPage();
    await cust.goto(link);
    await cust.locator('video').first().waitFor();
    await cust.waitForFunction(() => document.querySelector('video')?.srcObject?.getVideoTracks().length > 0, null, { timeout: 20_000 });
    // The technician receives the customer's camera through the relay.
    await page.waitForFunction(() => [...document.querySelectorAll('video')]
      .some((v) => v.srcObject && v.srcObject.getVideoTracks().length > 0), null, { timeout: 30_000 });
    // The action menu places itself through element.style (the CSSOM),
    // which style-src 'self' allows, unlike a style attribute.
    await page.getByRole('button', { name: 'Actions for Carla Customer' }).click();
    await page.getByRole('menu', { name: 'Actions for Carla Customer' }).waitFor();
    await page.keyboard.press('Escape');

    const problems = [...tech.problems, ...customer.problems];
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await tech.keep(stack.log());
    await customer.keep();
    throw err;
  }
});

// api calls the local stack's API from the test, as the page would.
const api = (method, path, token, body) => callAPI(stack, method, path, token, body);

// invitationLink waits for the outbox sender (every second) to put the
// invitation to addr into the SES emulator, and returns its link.
async function invitationLink(addr) {
  for (let i = 0; i < 50; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const m = emails.reverse().find((e) => e.destination?.to?.includes(addr));
    const link = m?.body?.text?.match(/https?:\/\/\S+\/invite#[\w-]+/)?.[0];
    if (link) return link;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no invitation email to ${addr}`);
}

test('a guest accepts an invitation and sees the case without a policy violation', async (t) => {
  const { token } = await api('POST', '/auth/login', '', { email: 'admin@demo.test', password: stack.password });
  const c = await api('POST', '/orgs/demo/cases', token, { title: 'E2E guest case' });
  await api('POST', '/orgs/demo/guests', token, {
    email: 'gina.e2e@example.test', name: 'Gina Guest', caseId: c.id, period: { days: 3 },
  });
  const link = await invitationLink('gina.e2e@example.test');

  const guest = await watchedContext(browser, 'guest');
  t.after(() => guest.context.close());
  try {
    const page = await guest.context.newPage();
    await page.goto(link);
    await page.getByLabel('Password', { exact: true }).fill('e2e guest password');
    await page.getByLabel('Confirm password').fill('e2e guest password');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await page.getByText('E2E guest case').first().waitFor();
    assert.deepEqual(guest.problems, [], `the page complained:\n${guest.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await guest.keep(stack.log());
    throw err;
  }
});
