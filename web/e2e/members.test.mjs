// Member invitations in a real browser: an admin invites a member from the
// Roles page; the email (read from the SES emulator) opens /join-company in
// another browser, where the person creates their account and lands signed
// in; the admin's members list then shows them. Also: the guest list pages
// with "Show more". One stack for the file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, callAPI } from './stack.mjs';
import { launch, watchedContext } from './browser.mjs';

let stack;
let browser;
let admin;
let page;
let token;

before(async () => {
  stack = await startStack();
  browser = await launch();
  ({ token } = await callAPI(stack, 'POST', '/auth/login', '', { email: 'admin@demo.test', password: stack.password }));
  admin = await watchedContext(browser, 'members-admin');
  page = await admin.context.newPage();
});

after(async () => {
  await admin?.context.close();
  await browser?.close();
  await stack?.stop();
});

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));
async function poll(what, read) {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (v) return v;
    await pause(200);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const LINK = /https?:\/\/\S+\/join-company#[\w-]+/;
const memberLink = (addr) => poll(`a member invitation to ${addr}`, async () => {
  const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
  return emails.filter((e) => e.destination?.to?.includes(addr)).map((e) => e.body?.text?.match(LINK)?.[0]).filter(Boolean).at(-1);
});

const problems = (c) => c.problems.map((x) => `${x.kind} on ${x.page}: ${x.text}`);

async function guarded(ctxs, fn) {
  try {
    await fn();
  } catch (err) {
    for (const [i, c] of ctxs.entries()) await c.keep(i ? undefined : stack.log());
    throw err;
  }
}

async function signIn(p, email, password) {
  await p.goto(stack.base + '/');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

test('an admin invites a member; the person creates an account from the email and appears in the members list', async (t) => {
  const nia = await watchedContext(browser, 'members-nia');
  t.after(() => nia.context.close());
  await guarded([admin, nia], async () => {
    await signIn(page, 'admin@demo.test', stack.password);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Roles', exact: true }).click();
    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    const dlg = page.getByRole('dialog', { name: 'Invite member' });
    await dlg.getByLabel('Email', { exact: true }).fill('nia.member@example.test');
    await dlg.getByLabel('Name (optional)').fill('Nia Newcomer');
    await dlg.getByLabel('Role').selectOption('technician');
    await dlg.getByRole('button', { name: 'Send invitation', exact: true }).click();
    await dlg.waitFor({ state: 'detached' });
    // The waiting invitation is listed with its delivery status.
    const waiting = page.locator('.member-invitations tr', { hasText: 'nia.member@example.test' });
    await waiting.waitFor();

    const np = await nia.context.newPage();
    await np.goto(await memberLink('nia.member@example.test'));
    await np.getByRole('heading', { name: 'Join Demo Support on Guestbridge?' }).waitFor();
    assert.equal(await np.getByLabel('Your name').inputValue(), 'Nia Newcomer');
    await np.getByLabel('Choose a password').fill('nia e2e password');
    await np.getByRole('button', { name: 'Create account and join', exact: true }).click();
    await np.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    assert.ok(!np.url().includes('#'), 'the token left the address bar');

    // The admin's members list shows the new member.
    await page.reload();
    await page.getByRole('button', { name: 'Remove Nia Newcomer', exact: true }).waitFor();
    assert.equal(await page.locator('.member-invitations tr', { hasText: 'nia.member@example.test' }).count(), 0);
    assert.deepEqual(problems(admin), []);
    assert.deepEqual(problems(nia), []);
  });
});

test('the guest list shows 50 guests and the rest on "Show more"', async () => {
  await guarded([admin], async () => {
    const c = await callAPI(stack, 'POST', '/orgs/demo/cases', token, { title: 'E2E many guests' });
    // Ten at a time: the list needs more than one page, not a slow set-up.
    for (let i = 0; i < 52; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, 52 - i) }, (_, k) => callAPI(stack, 'POST', '/orgs/demo/guests', token, {
        email: `many${i + k}@example.test`, name: `Many ${i + k}`, caseId: c.id, period: { days: 3 },
      })));
    }
    const all = await callAPI(stack, 'GET', '/orgs/demo/guests?limit=200', token);
    const total = all.guests.length;
    assert.ok(total > 50);
    await page.goto(stack.base + '/guests');
    const rows = page.locator('.list tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('.list tbody tr').length === 50);
    await page.getByRole('button', { name: 'Show more', exact: true }).click();
    await page.waitForFunction((n) => document.querySelectorAll('.list tbody tr').length === n, total);
    assert.equal(await rows.count(), total);
    assert.equal(await page.getByRole('button', { name: 'Show more', exact: true }).isVisible(), false);
    assert.deepEqual(problems(admin), []);
  });
});
