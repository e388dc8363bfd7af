// German and English pages and small screens, in a real browser: a de-DE
// browser gets the sign-in page and the member home in German, the DE | EN
// switch turns them into English and is remembered, dates follow the page
// language, no catalog key ever shows; at 390 px every tab is reachable, the
// session page stacks video above chat and the customer's controls fit the
// phone, with Leave under the thumb.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, ROOT, callAPI } from './stack.mjs';
import { launch, watchedContextWith } from './browser.mjs';

let stack;
let browser;
let admin; // the demo admin's API token

// A catalog key shown as text ("devices.title") means a missing message.
const prefixes = [...new Set([...readFileSync(join(ROOT, 'web/js/i18n/en.js'), 'utf8').matchAll(/^\s*'([a-z]+)\./gm)].map((m) => m[1]))];
const KEY_LIKE = new RegExp(`\\b(?:${prefixes.join('|')})\\.[a-zA-Z][\\w.]*`);
const PHONE = { width: 390, height: 844 };

before(async () => {
  stack = await startStack();
  browser = await launch();
  admin = (await api('POST', '/auth/login', '', { email: 'admin@demo.test', password: stack.password })).token;
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = (method, path, token, body) => callAPI(stack, method, path, token, body);

// run opens a watched context, runs fn(page) and keeps screenshots and the
// console on failure; the pages must not complain either.
async function run(t, name, options, fn) {
  const w = await watchedContextWith(browser, name, options);
  t.after(() => w.context.close());
  try {
    const page = await w.context.newPage();
    await fn(page, w.context);
    assert.deepEqual(w.problems, [], `the page complained:\n${w.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await w.keep(stack.log());
    throw err;
  }
}

// signedIn stores the admin's token as the page would after signing in.
const signedIn = (context) => context.addInitScript((tok) => sessionStorage.setItem('guestbridge.token', tok), admin);

async function noKeys(page, where) {
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, KEY_LIKE, `${where}: a catalog key is shown`);
}

test('a German browser gets German pages; the switch turns them English and is remembered', async (t) => {
  const g = await api('POST', '/orgs/demo/groups', admin, { name: 'Halle 3' });
  const device = await api('POST', '/orgs/demo/devices', admin, { name: 'Pumpe 7', groupId: g.id });
  assert.equal((await api('GET', '/orgs/demo', admin)).timeZone, 'Europe/Berlin', 'the demo company is in Berlin');
  await run(t, 'i18n-de', { locale: 'de-DE', timezoneId: 'America/Los_Angeles' }, async (page) => {
    await page.goto(stack.base + '/');
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.getByRole('link', { name: 'Zum Inhalt springen' }).count(), 1);
    await noKeys(page, 'sign-in (de)');

    await page.getByLabel('E-Mail').fill('admin@demo.test');
    await page.getByLabel('Passwort').fill(stack.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('button', { name: 'Abmelden', exact: true }).waitFor();
    await page.getByText('Tätig in').waitFor();
    await page.getByRole('button', { name: 'DE', exact: true, pressed: true }).waitFor();
    await noKeys(page, 'member home (de)');

    // Devices: German headings, plurals and dates (dd.mm.yyyy).
    await page.goto(stack.base + '/devices');
    await page.getByRole('heading', { name: 'Geräte', exact: true }).waitFor();
    const group = page.locator('section.group', { has: page.getByRole('heading', { name: 'Halle 3' }) });
    await group.getByText('1 Gerät', { exact: true }).waitFor();
    // In the company's zone (the demo's is Europe/Berlin), not the browser's.
    const added = group.locator('time').first();
    const berlin = (lang) => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' });
    assert.equal(await added.innerText(), berlin('de').format(new Date(device.createdAt)));
    assert.match(await added.innerText(), /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    await noKeys(page, 'devices (de)');

    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
    // Focus stays on the switch for keyboard users.
    await page.waitForFunction(() => document.activeElement?.matches('.lang-switch [lang=en][aria-pressed=true]'));
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await group.getByText('1 device', { exact: true }).waitFor();
    assert.equal(await added.innerText(), berlin('en').format(new Date(device.createdAt)));
    await noKeys(page, 'devices (en)');

    // The choice outlives a reload, over the browser's German.
    await page.reload();
    await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
    await page.getByRole('button', { name: 'EN', exact: true, pressed: true }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    await page.getByRole('button', { name: 'DE', exact: true }).click();
    await page.getByRole('heading', { name: 'Geräte', exact: true }).waitFor();
    await page.getByRole('link', { name: /^Unternehmen/ }).click();
    await page.getByRole('heading', { name: 'Unternehmen', exact: true }).waitFor();
    await page.waitForFunction(() => !document.querySelector('main [role=status]'));
    await noKeys(page, 'companies (de)');
  });
});

// invitationLink waits for the outbox sender to put the invitation to addr
// into the SES emulator, and returns its link.
async function invitationLink(addr) {
  for (let i = 0; i < 50; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const link = emails.reverse().find((e) => e.destination?.to?.includes(addr))?.body?.text?.match(/https?:\/\/\S+\/invite#[\w-]+/)?.[0];
    if (link) return link;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no invitation email to ${addr}`);
}

test('a German guest reads the invitation and their cases in German', async (t) => {
  const c = await api('POST', '/orgs/demo/cases', admin, { title: 'Heizung Keller' });
  await api('POST', '/orgs/demo/guests', admin, { email: 'greta.i18n@example.test', name: 'Greta Gast', caseId: c.id, period: { days: 3 } });
  const link = await invitationLink('greta.i18n@example.test');
  await run(t, 'i18n-invite', { locale: 'de-DE' }, async (page) => {
    await page.goto(link);
    await page.getByRole('heading', { name: /lädt Sie zu .* ein/ }).waitFor();
    await page.getByText('Sie sind als Gast zum Fall').waitFor();
    await noKeys(page, 'invitation (de)');
    await page.getByLabel('Passwort', { exact: true }).fill('greta guest password');
    await page.getByLabel('Passwort bestätigen').fill('greta guest password');
    await page.getByRole('button', { name: 'Annehmen' }).click();
    await page.getByRole('heading', { name: 'Ihre Fälle' }).waitFor();
    await page.getByText('Heizung Keller').first().waitFor();
    await page.getByText(/Sie sind Gast von .*\. Ihr Zugang gilt bis \d{2}\.\d{2}\.\d{4}/).waitFor();
    await noKeys(page, 'guest cases (de)');
  });
});

test('an English browser gets English pages', async (t) => {
  await run(t, 'i18n-en', { locale: 'en-US' }, async (page) => {
    await page.goto(stack.base + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('button', { name: 'EN', exact: true, pressed: true }).waitFor();
    await noKeys(page, 'sign-in (en)');
  });
});

// pageFits says whether the page scrolls sideways at the viewport's width.
const pageFits = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test('at 390 px every tab is reachable and the page does not scroll sideways', async (t) => {
  await run(t, 'small-tabs', { viewport: PHONE, locale: 'en-US' }, async (page, context) => {
    await signedIn(context);
    await page.goto(stack.base + '/');
    const tabs = page.getByRole('navigation', { name: 'Sections' }).getByRole('link');
    await tabs.first().waitFor();
    assert.ok(await pageFits(page), 'the member home is wider than the phone');
    for (const link of await tabs.all()) {
      const box = await link.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `tab ${await link.innerText()} is off-screen: ${JSON.stringify(box)}`);
    }
    await tabs.getByText('Audit log', { exact: true }).click({ trial: false });
    await page.locator('nav.tabs a[aria-current=page]', { hasText: 'Audit log' }).waitFor();
    assert.ok(await pageFits(page), 'the audit log is wider than the phone');
    const current = await page.locator('nav.tabs a[aria-current=page]').boundingBox();
    assert.ok(current.x + current.width <= PHONE.width, 'the current tab is off-screen');
  });
});

test('at 390 px the session page stacks video above chat and the customer page fits one hand', async (t) => {
  const c = await api('POST', '/orgs/demo/cases', admin, { title: 'Small screen check' });
  const started = await api('POST', `/orgs/demo/cases/${c.id}/sessions`, admin, { customer: { name: 'Carla Phone' } });
  await run(t, 'small-session', { viewport: PHONE, locale: 'en-US' }, async (page, context) => {
    await signedIn(context);
    await page.goto(`${stack.base}/session/${encodeURIComponent(started.session.id)}`);
    const video = page.locator('.live video.remote');
    const chat = page.locator('.live .panel', { has: page.locator('.chat-form') });
    await video.waitFor();
    await chat.waitFor();
    const v = await video.boundingBox();
    const ch = await chat.boundingBox();
    assert.ok(v.y + v.height <= ch.y, `the chat (${JSON.stringify(ch)}) is not below the video (${JSON.stringify(v)})`);
    assert.ok(ch.x >= 0 && ch.x + ch.width <= PHONE.width, 'the chat is wider than the phone');
    assert.ok(await pageFits(page), 'the session page is wider than the phone');
  });
  await run(t, 'small-customer', { viewport: PHONE, locale: 'en-US' }, async (page) => {
    await page.goto(started.customerLink);
    const leave = page.getByRole('button', { name: 'Leave session' });
    await leave.waitFor();
    await page.locator('video.remote').waitFor();
    await page.locator('.chat-form').waitFor();
    assert.ok(await pageFits(page), 'the customer page scrolls sideways');
    // Every control lies within the phone's width and is big enough for a thumb.
    const controls = await page.evaluate(() => [...document.querySelectorAll('main button, main input, main select')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => { const r = el.getBoundingClientRect(); return { name: el.textContent || el.getAttribute('aria-label') || el.type, left: r.left, right: r.right, height: r.height }; }));
    assert.ok(controls.length >= 3, `too few controls: ${JSON.stringify(controls)}`);
    for (const c of controls) {
      assert.ok(c.left >= 0 && c.right <= PHONE.width, `${c.name} is outside the phone: ${c.left}..${c.right}`);
      assert.ok(c.height >= 44, `${c.name} is ${c.height} px high, too small for a thumb`);
    }
    // Leave stays at the bottom of the screen, under the picture.
    const l = await leave.boundingBox();
    const v = await page.locator('video.remote').boundingBox();
    assert.ok(l.y + l.height <= PHONE.height && l.y > PHONE.height / 2, `Leave is not at the bottom of the screen: ${JSON.stringify(l)}`);
    assert.ok(l.width >= PHONE.width * 0.8, `Leave is not full width: ${l.width}`);
    assert.ok(v.y < l.y, 'Leave is above the picture');
  });
});
