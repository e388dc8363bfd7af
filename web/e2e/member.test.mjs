// The member's side in a real browser: sign-in; inviting guests by email and
// by SMS (read from the SES emulator and the local SMS capture); accepting in
// other browser contexts; the guest list updating itself without a reload;
// ending and re-inviting; company guests in each workspace mode; the audit
// log with names, a filter and the CSV download. One stack for the file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStack, callAPI } from './stack.mjs';
import { launch, watchedContext } from './browser.mjs';

let stack;
let browser;
let admin; // the admin's watched context, signed in once for the file
let page;
let token;
const cases = {};

before(async () => {
  stack = await startStack();
  browser = await launch();
  ({ token } = await api('POST', '/auth/login', '', { email: 'admin@demo.test', password: stack.password }));
  cases.boiler = (await api('POST', '/orgs/demo/cases', token, { title: 'E2E boiler' })).id;
  cases.other = (await api('POST', '/orgs/demo/cases', token, { title: 'E2E someone else’s case' })).id;
  admin = await watchedContext(browser, 'member-admin');
  page = await admin.context.newPage();
});

after(async () => {
  await admin?.context.close();
  await browser?.close();
  await stack?.stop();
});

const api = (method, path, token, body) => callAPI(stack, method, path, token, body);

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));

// poll retries read until it returns something, for mail and SMS that the
// local sender delivers every second.
async function poll(what, read) {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (v) return v;
    await pause(200);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const LINK = /https?:\/\/\S+\/invite#[\w-]+/;

/** emailLink reads the newest invitation link to addr from the SES emulator, other than not. */
const emailLink = (addr, not = '') => poll(`an email to ${addr}`, async () => {
  const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
  const links = emails.filter((e) => e.destination?.to?.includes(addr)).map((e) => e.body?.text?.match(LINK)?.[0]).filter(Boolean);
  const link = links.at(-1);
  return link !== not && link;
});

/** smsLink reads the newest link texted to phone from the local SMS capture. */
const smsLink = (phone) => poll(`an SMS to ${phone}`, async () => {
  const list = await (await fetch(`${stack.base}/_local/sms`)).json();
  const m = list.reverse().find((s) => s.to === phone);
  return m?.body?.match(LINK)?.[0];
});

// settled waits until no section of the page is still loading.
const settled = (p) => p.waitForFunction(() => ![...document.querySelectorAll('main [role=status]')]
  .some((e) => e.textContent.startsWith('Loading')));

const guestRow = (p, email) => p.locator('tbody tr', { hasText: email });

function clean(problems, { network = false } = {}) {
  // A guest whose access was ended gets 403s, which Chromium logs.
  const left = network ? problems.filter((x) => !/Failed to load resource/.test(x.text)) : problems;
  return left.map((x) => `${x.kind} on ${x.page}: ${x.text}`);
}

async function guarded(ctxs, fn) {
  try {
    await fn();
  } catch (err) {
    for (const [i, c] of ctxs.entries()) await c.keep(i ? undefined : stack.log());
    throw err;
  }
}

async function inviteFromDialog({ email, name, phone, caseTitle }) {
  await page.getByRole('button', { name: 'Invite guest' }).click();
  const dlg = page.getByRole('dialog', { name: 'Invite guest' });
  await dlg.getByLabel('Email').fill(email);
  await dlg.getByLabel('Name', { exact: true }).fill(name);
  if (phone) {
    await dlg.getByLabel('Mobile number (optional)').fill(phone);
    assert.equal(await dlg.getByLabel(/Also send the invitation by SMS/).isChecked(), true);
  }
  await dlg.getByRole('combobox', { name: 'Existing case' }).selectOption({ label: caseTitle });
  await dlg.getByRole('button', { name: 'Send invitation' }).click();
  await dlg.waitFor({ state: 'detached' });
}

test('sign-in; invite by email and by SMS; the guest list shows delivery and acceptance by itself', async (t) => {
  const gina = await watchedContext(browser, 'member-gina');
  const sam = await watchedContext(browser, 'member-sam');
  t.after(() => Promise.all([gina.context.close(), sam.context.close()]));
  await guarded([admin, gina, sam], async () => {
    await page.goto(stack.base + '/');
    await page.getByLabel('Email').fill('admin@demo.test');
    await page.getByLabel('Password').fill(stack.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Guests', exact: true }).click();
    await settled(page);

    await inviteFromDialog({ email: 'gina.member@example.test', name: 'Gina Email', caseTitle: 'E2E boiler' });
    // The confirmation is on screen, not only in the live region, and can be dismissed.
    const flash = page.locator('#flash');
    await flash.getByText('Invitation sent to Gina Email (Email).').waitFor();
    await flash.getByRole('button', { name: 'Dismiss message' }).click();
    await flash.waitFor({ state: 'hidden' });

    await inviteFromDialog({ email: 'sam.member@example.test', name: 'Sam Sms', phone: '+4915112345001', caseTitle: 'E2E boiler' });
    await flash.getByText('Invitation sent to Sam Sms (Email and SMS).').waitFor();
    const samRow = guestRow(page, 'sam.member@example.test');
    await samRow.getByText('Waiting for acceptance').waitFor();
    // One status in words, then the switch and the flag: never "Active" twice.
    assert.equal(await samRow.locator('.guest-status').innerText().then((s) => s.replace(/\s+/g, ' ').trim()),
      'Waiting for acceptance Active Not validated');

    // From here on the page must not reload: the marker would be lost.
    await page.evaluate(() => { window.__stayed = true; });

    // The sender delivers the SMS in the background; the list shows "sent" by itself.
    await samRow.filter({ hasText: 'SMS: sent' }).waitFor({ timeout: 20_000 });

    // Gina accepts from the email in another browser.
    const gp = await gina.context.newPage();
    await gp.goto(await emailLink('gina.member@example.test'));
    await gp.getByLabel('Password', { exact: true }).fill('gina e2e password');
    await gp.getByLabel('Confirm password').fill('gina e2e password');
    await gp.getByRole('button', { name: 'Accept' }).click();
    await gp.getByRole('link', { name: 'E2E boiler' }).waitFor();

    // Sam accepts from the text message, without a password.
    const sp = await sam.context.newPage();
    await sp.goto(await smsLink('+4915112345001'));
    await sp.getByRole('button', { name: 'Continue without password' }).click();
    await sp.getByRole('link', { name: 'E2E boiler' }).waitFor();
    await settled(sp);
    for (const p of [gp, sp]) {
      assert.equal(await p.getByText('E2E someone else’s case').count(), 0, 'a case guest sees another case');
    }

    // The admin's list learns both acceptances by itself and marks the rows.
    for (const email of ['gina.member@example.test', 'sam.member@example.test']) {
      await guestRow(page, email).filter({ hasText: 'Has access' }).filter({ hasText: 'Validated' })
        .filter({ hasNotText: 'Not validated' }).waitFor({ timeout: 20_000 });
    }
    assert.equal(await page.evaluate(() => window.__stayed), true, 'the guest list page was reloaded');

    assert.deepEqual(clean(admin.problems), []);
    assert.deepEqual(clean(gina.problems), []);
    // A session from an SMS link is confined to its guest access: the header's
    // count of company invitations is refused (403), which Chromium logs.
    assert.deepEqual(clean(sam.problems, { network: true }), []);
  });
});

test('end a guest and re-invite them', async (t) => {
  const gina = await watchedContext(browser, 'member-gina-again');
  t.after(() => gina.context.close());
  await guarded([admin, gina], async () => {
    const first = await emailLink('gina.member@example.test');
    const row = guestRow(page, 'gina.member@example.test');
    await row.getByRole('button', { name: 'Actions for Gina Email' }).click();
    await page.getByRole('menuitem', { name: 'End guest account' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End guest account' }).click();
    await page.locator('#flash').getByText('The guest account of Gina Email was ended.').waitFor();
    await row.getByText('Ended', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Actions for Gina Email' }).click();
    await page.getByRole('menuitem', { name: 'Re-invite' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Send invitation' }).click();
    await page.locator('#flash').getByText('A new invitation was sent to Gina Email.').waitFor();
    await row.getByText('Waiting for acceptance').waitFor();

    const gp = await gina.context.newPage();
    await gp.goto(await emailLink('gina.member@example.test', first));
    await gp.getByLabel('Your current password').fill('gina e2e password');
    await gp.getByRole('button', { name: 'Accept' }).click();
    await gp.getByRole('link', { name: 'E2E boiler' }).waitFor();
    await row.filter({ hasText: 'Has access' }).waitFor({ timeout: 20_000 });
    assert.deepEqual(clean(admin.problems), []);
    assert.deepEqual(clean(gina.problems, { network: true }), []);
  });
});

test('a company guest sees what each workspace mode allows, and no more', async (t) => {
  const g1 = (await api('POST', '/orgs/demo/groups', token, { name: 'E2E line A' })).id;
  const g2 = (await api('POST', '/orgs/demo/groups', token, { name: 'E2E line B' })).id;
  await api('POST', '/orgs/demo/devices', token, { name: 'E2E press A1', groupId: g1 });
  const a2 = (await api('POST', '/orgs/demo/devices', token, { name: 'E2E press A2', groupId: g1 })).id;
  await api('POST', '/orgs/demo/devices', token, { name: 'E2E robot B1', groupId: g2 });
  const all = ['E2E press A1', 'E2E press A2', 'E2E robot B1'];
  const modes = [
    { who: 'all', workspace: { mode: 'all' }, sees: all },
    { who: 'groups', workspace: { mode: 'groups', groups: { [g2]: ['devices.read'] } }, sees: ['E2E robot B1'] },
    { who: 'devices', workspace: { mode: 'devices', devices: [a2] }, sees: ['E2E press A2'] },
  ];
  for (const m of modes) {
    await api('POST', '/orgs/demo/guests', token, { email: `co-${m.who}@example.test`, name: `Co ${m.who}`,
      roleId: 'technician', workspace: m.workspace, period: { days: 3 } });
  }
  const ctxs = await Promise.all(modes.map((m) => watchedContext(browser, `member-company-${m.who}`)));
  t.after(() => Promise.all(ctxs.map((c) => c.context.close())));
  await guarded(ctxs, async () => {
    for (const [i, m] of modes.entries()) {
      const p = await ctxs[i].context.newPage();
      await p.goto(await emailLink(`co-${m.who}@example.test`));
      await p.getByLabel('Password', { exact: true }).fill('company e2e password');
      await p.getByLabel('Confirm password').fill('company e2e password');
      await p.getByRole('button', { name: 'Accept' }).click();
      await p.getByText(m.sees[0], { exact: true }).first().waitFor();
      await settled(p);
      for (const d of all) {
        const n = await p.getByText(d, { exact: true }).count();
        assert.equal(n > 0, m.sees.includes(d), `mode ${m.who}: ${d} shown ${n} times`);
      }
      assert.deepEqual(clean(ctxs[i].problems), []);
    }
  });
});

test('the audit log shows names, filters by action and downloads as CSV', async () => {
  await api('POST', '/orgs/demo/cases', token, { title: '=SUM(1,2)' });
  await guarded([admin], async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log', exact: true }).click();
    await settled(page);
    // Names, kept at write time, instead of ids.
    const ended = page.locator('tbody tr', { hasText: 'Guest access ended' }).first();
    await ended.getByText('Ada Admin', { exact: true }).waitFor();
    await ended.getByText('Gina Email', { exact: true }).waitFor();

    const filter = page.getByRole('search', { name: 'Filter the audit log' });
    // Actions are picked in words; the filter sends the code.
    await filter.getByLabel('Action').selectOption({ label: 'Case created' });
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.locator('#flash').getByText(/^Filter applied/).waitFor();
    const actions = await page.locator('tbody tr td[data-label=Action]').allTextContents();
    assert.ok(actions.length >= 3 && actions.every((a) => a === 'Case created'), `filtered actions: ${actions}`);
    await page.locator('tbody tr', { hasText: '=SUM(1,2)' }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), filter.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'audit-log.csv');
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'time,actor,actorId,action,target,targetId,details');
    assert.ok(csv.slice(1).every((l) => l.includes(',Ada Admin,') && l.includes(',case.created,')), csv.join('\n'));
    // A title that a spreadsheet would run as a formula is defused, and quoted for its comma.
    assert.ok(csv.some((l) => l.includes(`,"'=SUM(1,2)",`)), csv.join('\n'));
    assert.ok(csv.some((l) => l.includes(',E2E boiler,')), csv.join('\n'));
    assert.deepEqual(clean(admin.problems).filter((x) => !/status of 400/.test(x)), []);
  });
});
