// Languages and time zones in a real browser: an admin invites a guest in
// German with a custom end date and the German email arrives with that day's
// end in the company's zone; the company's settings form changes its zone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
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

// mailTo waits for the outbox sender (every second) to put a message to addr
// into the SES emulator.
async function mailTo(addr) {
  for (let i = 0; i < 75; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const m = emails.reverse().find((e) => e.destination?.to?.includes(addr));
    if (m) return m;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no email to ${addr}`);
}

async function signIn(page) {
  await page.goto(stack.base + '/');
  await page.getByLabel('Email').fill('admin@demo.test');
  await page.getByLabel('Password').fill(stack.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

const tab = (page, name) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });

// The calendar day n days from now in Berlin, as yyyy-mm-dd.
function berlinDay(n) {
  const d = new Date(Date.now() + n * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

test('a guest invited in German gets a German email ending at the end of the chosen day in Berlin', async (t) => {
  const admin = await watchedContext(browser, 'lang-invite');
  t.after(() => admin.context.close());
  try {
    const page = await admin.context.newPage();
    await signIn(page);
    await tab(page, 'Guests').click();
    await page.getByRole('button', { name: 'Invite guest' }).click();
    const dlg = page.getByRole('dialog', { name: 'Invite guest' });
    await dlg.getByLabel('Email', { exact: true }).fill('greta.lang@example.test');
    await dlg.getByLabel('Name', { exact: true }).fill('Greta Gast');
    await dlg.getByLabel('Message language').selectOption({ label: 'Deutsch (German)' });
    await dlg.getByRole('radio', { name: 'Create new case' }).check();
    await dlg.getByLabel('New case title').fill('Heizungsausfall');
    const day = berlinDay(5);
    await dlg.getByRole('radio', { name: 'Custom date' }).check();
    await dlg.getByLabel('Last day of access').fill(day);
    await dlg.getByRole('button', { name: 'Send invitation' }).click();
    await dlg.waitFor({ state: 'detached' });

    const m = await mailTo('greta.lang@example.test');
    assert.equal(m.subject, 'Demo Support lädt Sie als Gast ein');
    const text = m.body.text;
    assert.match(text, /^Hallo Greta Gast,/);
    assert.match(text, /eingeladen zu: Heizungsausfall/);
    // The chosen day lasts to 23:59 in Berlin, whatever the browser's zone.
    const [, mm, dd] = day.split('-').map(Number);
    assert.match(text, new RegExp(`Ihr Zugang gilt bis \\S+ ${dd}\\. \\S+ \\d{4}, 23:59 Uhr CES?T`), text);
    assert.ok(mm >= 1 && !/UTC|Hello/.test(text), `German email holds UTC or English:\n${text}`);
    assert.deepEqual(admin.problems, [], `the page complained:\n${admin.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await admin.keep(stack.log());
    throw err;
  }
});

test('an admin changes the company time zone in the settings form', async (t) => {
  const admin = await watchedContext(browser, 'lang-settings');
  t.after(() => admin.context.close());
  try {
    const page = await admin.context.newPage();
    await signIn(page);
    await tab(page, 'Settings').click();
    const zone = page.getByLabel('Time zone');
    await zone.waitFor();
    assert.equal(await zone.inputValue(), 'Europe/Berlin');
    assert.equal(await page.locator('#main').getByLabel('Language').inputValue(), 'en');
    await zone.selectOption('America/New_York');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: English, America/New_York.' }).waitFor();

    // Stored: a reload shows it, and the API answers it.
    await page.reload();
    await page.getByLabel('Time zone').waitFor();
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'America/New_York');
    const { token } = await (await fetch(stack.base + '/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'admin@demo.test', password: stack.password }) })).json();
    const org = await (await fetch(stack.base + '/v1/orgs/demo', { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.equal(org.timeZone, 'America/New_York');
    assert.deepEqual(admin.problems, [], `the page complained:\n${admin.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await admin.keep(stack.log());
    throw err;
  }
});
