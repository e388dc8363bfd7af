// A live session in German, in a real browser: a de-DE technician, customer
// and guest technician get their pages in German (title, intro, Leave, chat,
// who joined, the end), the DE | EN switch turns a guest technician's page
// into English without leaving the session (their link works once), a
// removal is told in the third person and its note reaches the guest, and the
// case page's session report, the member home, the guest list and the audit
// log read German afterwards. No catalog key and no English message of the
// catalog shows on a German page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startStack, ROOT, callAPI } from './stack.mjs';
import { launch, watchedContextWith } from './browser.mjs';

let stack;
let browser;
let admin; // the demo admin's API token

// The catalogs as the browser loads them (a copy beside a package.json of
// type module, as in i18n-catalog.test.mjs).
const dir = mkdtempSync(join(tmpdir(), 'gb-i18n-live-'));
cpSync(join(ROOT, 'web/js/i18n'), dir, { recursive: true });
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
const en = (await import(pathToFileURL(join(dir, 'en.js')))).default;
const de = (await import(pathToFileURL(join(dir, 'de.js')))).default;
rmSync(dir, { recursive: true, force: true });

// A catalog key shown as text ("live.title") means a missing message.
const KEY_LIKE = new RegExp(`\\b(?:${[...new Set(Object.keys(en).map((k) => k.split('.')[0]))].join('|')})\\.[a-zA-Z][\\w.]*`);
// The English messages that differ from their German: the longest piece
// between placeholders, when it is a phrase of two words or more.
const ENGLISH = [...new Set(Object.keys(en).flatMap((k) => {
  const forms = typeof en[k] === 'object' ? Object.values(en[k]) : [en[k]];
  const deForms = typeof de[k] === 'object' ? Object.values(de[k]) : [de[k]];
  return forms.filter((f) => !deForms.includes(f)).map((f) => f.split(/\{\w+\}/).map((x) => x.trim()).sort((a, b) => b.length - a.length)[0]);
}).filter((s) => s && s.length >= 10 && /\w+ \w+/.test(s)))];

const DE_PLAIN = Object.values(de).filter((m) => typeof m === 'string' && !/\{\w+\}/.test(m)).sort((a, b) => b.length - a.length);

async function inGerman(page, where) {
  // The audit log's action codes (session.started) are data, not messages.
  let text = await page.locator('body').innerText();
  for (const code of await page.locator('main code').allInnerTexts()) text = text.replaceAll(code, '');
  // A German message may quote an action code itself ("z. B. guest.invited").
  const shown = DE_PLAIN.reduce((x, m) => x.replaceAll(m, ''), text);
  assert.doesNotMatch(shown, KEY_LIKE, `${where}: a catalog key is shown: ${KEY_LIKE.exec(shown)?.[0]}`);
  const left = ENGLISH.filter((s) => text.includes(s));
  assert.deepEqual(left, [], `${where}: English left on a German page`);
}

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

// joinLink waits for the session invitation to addr in the SES emulator.
async function joinLink(addr) {
  for (let i = 0; i < 100; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const link = emails.reverse().find((e) => e.destination?.to?.includes(addr))?.body?.text?.match(/https?:\/\/\S+\/join#[\w-]+/)?.[0];
    if (link) return link;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no session invitation to ${addr}`);
}

async function say(page, label, send, text, list) {
  const form = page.locator('form.chat-form');
  await form.getByLabel(label, { exact: true }).fill(text);
  await form.getByRole('button', { name: send, exact: true }).click();
  await page.getByRole('list', { name: list }).getByText(text).waitFor();
}

test('a live session in German: technician, customer and guest technician, the switch mid-session, the report', async (t) => {
  const c = await api('POST', '/orgs/demo/cases', admin, { title: 'Pumpe Halle 2' });
  const started = await api('POST', `/orgs/demo/cases/${c.id}/sessions`, admin, { customer: { name: 'Carla Kundin' } });
  const sid = started.session.id;
  const names = ['tech', 'customer', 'guest'];
  const w = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContextWith(browser, `i18n-live-${n}`, { locale: 'de-DE' })])));
  t.after(() => Promise.all(names.map((n) => w[n].context.close())));
  try {
    // Signed in as the page would be after signing in (about:blank has no storage).
    await w.tech.context.addInitScript((tok) => { if (location.protocol.startsWith('http')) sessionStorage.setItem('guestbridge.token', tok); }, admin);
    const tech = await w.tech.context.newPage();
    await tech.goto(`${stack.base}/session/${encodeURIComponent(sid)}`);
    await tech.getByRole('heading', { name: 'Live-Sitzung · Pumpe Halle 2' }).waitFor();
    await tech.getByRole('button', { name: 'Sitzung beenden' }).waitFor();
    await tech.getByRole('heading', { name: 'Teilnehmer', exact: true }).waitFor();

    // The customer's page: title, intro, Leave and chat in German.
    const cust = await w.customer.context.newPage();
    await cust.goto(started.customerLink);
    await cust.getByRole('heading', { name: 'Live-Support-Sitzung' }).waitFor();
    await cust.getByText('Ihre Kamera wird mit den Technikern geteilt, die Ihnen helfen.', { exact: false }).waitFor();
    await cust.getByRole('button', { name: 'Sitzung verlassen' }).waitFor();
    await cust.getByRole('heading', { name: 'Von den Technikern' }).waitFor();
    // Connected: the customer's picture reaches the technician.
    await tech.waitForFunction(() => [...document.querySelectorAll('.screen video')].some((v) => v.videoWidth > 0), null, { timeout: 30_000 });
    await say(cust, 'Nachricht', 'Senden', 'Hier ist die Pumpe', 'Chat');
    await tech.getByRole('list', { name: 'Chat' }).getByText('Hier ist die Pumpe').waitFor();
    await tech.getByText('Carla Kundin (Kunde) ist beigetreten.').waitFor();
    await inGerman(cust, 'customer page');

    // A guest technician's page in German; the switch turns it English
    // while the session goes on (the chat still reaches it).
    await api('POST', `/sessions/${encodeURIComponent(sid)}/invites`, admin, { kind: 'guest', email: 'gero.i18n@example.test', name: 'Gero Gast' });
    const guest = await w.guest.context.newPage();
    await guest.goto(await joinLink('gero.i18n@example.test'));
    await guest.getByRole('heading', { name: 'Live-Sitzung', exact: true }).waitFor();
    await guest.getByText('Sie nehmen als Gasttechniker teil.', { exact: false }).waitFor();
    await guest.getByRole('heading', { name: 'Werkzeuge', exact: true }).waitFor();
    await tech.getByText('Gero Gast (Gasttechniker) ist beigetreten.').waitFor();
    await guest.getByRole('list', { name: 'Chat' }).getByText('Hier ist die Pumpe').waitFor();
    await inGerman(guest, 'guest technician page');
    await guest.getByRole('button', { name: 'EN', exact: true }).click();
    await guest.getByRole('heading', { name: 'Live session', exact: true }).waitFor();
    await guest.getByRole('button', { name: 'Leave session' }).waitFor();
    await guest.getByText('You joined as a guest technician.', { exact: false }).waitFor();
    await guest.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
    await guest.locator('form.chat-form').getByLabel('Message', { exact: true }).waitFor();
    await say(tech, 'Nachricht', 'Senden', 'Noch dabei, Gero?', 'Chat');
    await guest.getByRole('list', { name: 'Chat' }).getByText('Noch dabei, Gero?').waitFor();
    assert.equal(await tech.getByText('Gero Gast (Gasttechniker) hat die Sitzung verlassen.').count(), 0, 'the switch left the session');
    await inGerman(tech, 'session page');

    // Removal with a reason: the log says why in the third person, the
    // guest (now in English) reads the note.
    await tech.getByRole('button', { name: 'Aktionen für Gero Gast' }).click();
    await tech.getByRole('menuitem', { name: 'Aus der Sitzung entfernen' }).click();
    const rm = tech.getByRole('dialog', { name: 'Gero Gast entfernen?' });
    await rm.getByLabel('Grund (optional)').fill('Danke, Gero.');
    await rm.getByRole('button', { name: 'Entfernen', exact: true }).click();
    await tech.getByText('Gero Gast (Gasttechniker) ist nicht mehr dabei (vom Haupttechniker entfernt).').waitFor();
    await guest.getByRole('heading', { name: 'You were removed from the session.' }).waitFor();
    await guest.getByText('The technician wrote: “Danke, Gero.”').waitFor();

    // The end, in German on both sides.
    await tech.getByRole('button', { name: 'Sitzung beenden' }).click();
    await tech.getByRole('dialog', { name: 'Sitzung beenden?' }).getByRole('button', { name: 'Sitzung beenden' }).click();
    await cust.getByRole('heading', { name: 'Die Sitzung ist beendet.' }).waitFor();
    await cust.getByText('Sie können diese Seite schließen.').waitFor();
    await inGerman(cust, 'customer page after the end');

    // The session report on the case page.
    await tech.getByRole('link', { name: 'Zurück zum Fall' }).first().click();
    const report = tech.locator('article.session-report').first();
    await report.waitFor();
    await report.getByRole('heading', { name: /^Sitzung vom \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} – / }).waitFor();
    await tech.getByRole('button', { name: 'Berichte drucken' }).waitFor();
    for (const kind of ['Haupttechniker', 'Kunde', 'Gasttechniker']) await report.getByRole('cell', { name: kind, exact: true }).waitFor();
    await report.getByRole('columnheader', { name: 'Rolle in der Sitzung' }).waitFor();
    await report.getByRole('heading', { name: 'Chat und Aktivität' }).waitFor();
    await report.getByText(/Hier ist die Pumpe/).waitFor();
    await report.getByRole('cell', { name: 'Ja (vom Haupttechniker entfernt): „Danke, Gero.“' }).waitFor();
    await inGerman(tech, 'case page with its session report');

    // The member home.
    await tech.goto(stack.base + '/');
    await tech.getByRole('heading', { name: 'Fälle', exact: true }).waitFor();
    await tech.getByRole('link', { name: 'Pumpe Halle 2' }).first().waitFor();
    await inGerman(tech, 'member home');

    // The guest list and the audit log, through their tabs.
    await tech.getByRole('navigation', { name: 'Bereiche' }).getByRole('link', { name: 'Gäste', exact: true }).click();
    await tech.getByRole('heading', { name: 'Gäste', exact: true }).waitFor();
    await tech.getByRole('button', { name: 'Gast einladen' }).waitFor();
    await tech.locator('.list table, .list .empty').first().waitFor();
    await inGerman(tech, 'guest list');
    await tech.getByRole('navigation', { name: 'Bereiche' }).getByRole('link', { name: 'Protokoll', exact: true }).click();
    await tech.getByRole('heading', { name: 'Protokoll', exact: true }).waitFor();
    await tech.getByRole('button', { name: 'CSV herunterladen' }).waitFor();
    await tech.getByRole('columnheader', { name: 'Wann' }).waitFor();
    await tech.locator('tbody tr').first().waitFor();
    await inGerman(tech, 'audit log');

    const problems = names.flatMap((n) => w[n].problems);
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    for (const [i, n] of names.entries()) await w[n].keep(i === 0 ? stack.log() : undefined);
    throw err;
  }
});
