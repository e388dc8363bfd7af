// The audit log as people read it, in a real browser: after a live session
// (the customer really joins and leaves through the relay, a guest
// technician is removed, the session ends) and a company guest's device
// command, the log shows names and actions in words, never a raw id, in
// English and, for a de-DE browser, in German; the action filter is a list
// in words that filters by code. One stack for the file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, callAPI } from './stack.mjs';
import { launch, watchedContextWith } from './browser.mjs';

let stack;
let browser;
let admin;

// What a raw id looks like (u_…, p_…, s_…): none may show on the page.
const RAW_ID = /\b(u|p|g|s|c|gr|a)_[A-Za-z0-9]{6,}/;
// Action codes as the API writes them: the page shows words instead.
const CODE = /\b(case|guest|session|device|group|member|role|org|user|message)\.[a-z_]+\b/;

before(async () => {
  stack = await startStack();
  browser = await launch();
  ({ token: admin } = await api('POST', '/auth/login', '', { email: 'admin@demo.test', password: stack.password }));
  await liveSessionAndDeviceCommand();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = (method, path, token, body) => callAPI(stack, method, path, token, body);

// poll retries read until it returns something: mail is sent every second,
// and the relay reports presence as it happens.
async function poll(what, read) {
  for (let i = 0; i < 150; i++) {
    const v = await read();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const entries = async (action) => (await api('GET', `/orgs/demo/audit?limit=200&action=${action}`, admin)).entries || [];

async function liveSessionAndDeviceCommand() {
  // A company guest accepts and sends a command to a device.
  const g = (await api('POST', '/orgs/demo/groups', admin, { name: 'Audit line' })).id;
  const d = (await api('POST', '/orgs/demo/devices', admin, { name: 'Audit press', groupId: g })).id;
  await api('POST', '/orgs/demo/guests', admin, { email: 'carla.audit@example.test', name: 'Carla Company',
    roleId: 'technician', workspace: { mode: 'all' }, period: { days: 3 } });
  const link = await poll('the company invitation', async () => {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    return emails.find((e) => e.destination?.to?.includes('carla.audit@example.test'))?.body?.text?.match(/\/invite#([\w-]+)/)?.[1];
  });
  const { token: carla } = await api('POST', `/invitations/${link}/accept`, '', { password: 'company audit password' });
  await api('POST', `/orgs/demo/devices/${d}/commands`, carla, { command: 'identify' });

  // A live session: the customer's browser joins through the relay and leaves.
  const c = await api('POST', '/orgs/demo/cases', admin, { title: 'Audit pump' });
  const started = await api('POST', `/orgs/demo/cases/${c.id}/sessions`, admin, { customer: { name: 'Chris Customer' } });
  const sid = encodeURIComponent(started.session.id);
  const guest = await api('POST', `/sessions/${sid}/invites`, admin, { kind: 'guest', email: 'gita.audit@example.test', name: 'Gita Guest' });
  const cust = await watchedContextWith(browser, 'audit-customer', { locale: 'en-US' });
  try {
    const p = await cust.context.newPage();
    await p.goto(started.customerLink);
    await poll('the relay to report the customer joined', async () => (await entries('session.participant_joined')).length);
    await p.close();
    await poll('the relay to report the customer left', async () => (await entries('session.participant_left')).length);
  } catch (err) {
    await cust.keep(stack.log());
    throw err;
  } finally {
    await cust.context.close();
  }
  await api('POST', `/sessions/${sid}/participants/${guest.id}/remove`, admin, { reason: 'Wrong person' });
  await api('POST', `/sessions/${sid}/end`, admin);
}

// openLog opens the audit log in a browser of the given locale, signed in as the admin.
async function openLog(t, name, locale, fn) {
  const w = await watchedContextWith(browser, name, { locale });
  t.after(() => w.context.close());
  try {
    await w.context.addInitScript((tok) => { if (location.protocol.startsWith('http')) sessionStorage.setItem('guestbridge.token', tok); }, admin);
    const page = await w.context.newPage();
    await page.goto(`${stack.base}/audit`);
    await page.locator('tbody tr').first().waitFor();
    await fn(page);
    assert.deepEqual(w.problems.map((x) => `${x.kind} on ${x.page}: ${x.text}`), []);
  } catch (err) {
    await w.keep(stack.log());
    throw err;
  }
}

async function readsAsWords(page, where) {
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, RAW_ID, `${where}: a raw id is shown: ${RAW_ID.exec(text)?.[0]}`);
  const options = await page.locator('main select option').allInnerTexts();
  // The hint under a filter field may quote a code; the rows and the options may not.
  const rows = (await page.locator('main tbody').innerText()) + options.join('\n');
  assert.doesNotMatch(rows, CODE, `${where}: an action code is shown: ${CODE.exec(rows)?.[0]}`);
}

test('the audit log names everyone and says every action in words, in English', async (t) => {
  await openLog(t, 'audit-en', 'en-US', async (page) => {
    const row = (action, actor, target) => page.locator('tbody tr', { hasText: action }).filter({ hasText: actor }).filter({ hasText: target }).first();
    await row('Command sent to a device', 'Carla Company', 'Audit press').waitFor();
    await row('Session started', 'Ada Admin', 'Audit pump').waitFor();
    await row('Invited to a session', 'Ada Admin', 'Gita Guest').waitFor();
    await row('Joined the session', 'Media relay', 'Chris Customer').waitFor();
    await row('Left the session', 'Media relay', 'Chris Customer').waitFor();
    await row('Removed from the session', 'Ada Admin', 'Gita Guest').getByText('Note: Wrong person').waitFor();
    await row('Session ended', 'Ada Admin', 'Audit pump').waitFor();
    await readsAsWords(page, 'English audit log');

    // The filter offers actions in words and filters by their code.
    const filter = page.getByRole('search', { name: 'Filter the audit log' });
    await filter.getByLabel('Action').selectOption({ label: 'Joined the session' });
    assert.equal(await filter.getByLabel('Action').inputValue(), 'session.participant_joined');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.locator('#flash').getByText(/^Filter applied/).waitFor();
    const actions = await page.locator('tbody tr td[data-label=Action]').allInnerTexts();
    assert.ok(actions.length >= 1 && actions.every((a) => a === 'Joined the session'), `filtered actions: ${actions}`);
  });
});

test('the audit log reads German in a de-DE browser', async (t) => {
  await openLog(t, 'audit-de', 'de-DE', async (page) => {
    await page.getByRole('heading', { name: 'Protokoll', exact: true }).waitFor();
    const row = (action, actor) => page.locator('tbody tr', { hasText: action }).filter({ hasText: actor }).first();
    await row('Befehl an ein Gerät gesendet', 'Carla Company').waitFor();
    await row('Sitzung beigetreten', 'Medien-Relay').waitFor();
    await row('Aus der Sitzung entfernt', 'Ada Admin').getByText('Hinweis: Wrong person').waitFor();
    await row('Sitzung beendet', 'Ada Admin').waitFor();
    await readsAsWords(page, 'German audit log');
    await page.getByRole('search', { name: 'Protokoll filtern' }).getByLabel('Aktion').locator('option', { hasText: 'Sitzung gestartet' }).waitFor({ state: 'attached' });
  });
});
