// Starting a company in a real browser: the sign-up page is reached from the
// sign-in page; signing in before the emailed link is confirmed is refused
// with a clear message; the link (read from the SES emulator) creates the
// company and signs the founder in; the founder invites a member, who
// accepts from their email and appears in the members list. One stack.

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

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));
async function poll(what, read) {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (v) return v;
    await pause(200);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const linkTo = (addr, path) => poll(`a ${path} link to ${addr}`, async () => {
  const re = new RegExp(`https?://\\S+/${path}#[\\w-]+`);
  const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
  return emails.filter((e) => e.destination?.to?.includes(addr)).map((e) => e.body?.text?.match(re)?.[0]).filter(Boolean).at(-1);
});

const problems = (c) => c.problems.map((x) => `${x.kind} on ${x.page}: ${x.text}`);

test('sign up, verify by email, sign in, invite a member who accepts and is listed', async (t) => {
  const founder = await watchedContext(browser, 'signup-founder');
  const member = await watchedContext(browser, 'signup-member');
  t.after(() => Promise.all([founder.context.close(), member.context.close()]));
  try {
    const p = await founder.context.newPage();
    await p.goto(stack.base + '/');
    await p.getByRole('link', { name: 'Create a company', exact: true }).click();
    await p.getByRole('heading', { name: 'Create a company' }).waitFor();
    await p.getByLabel('Company name').fill('Fixit Partners');
    await p.getByLabel('Your name').fill('Frida Founder');
    await p.getByLabel('Email').fill('frida@fixit.test');
    await p.getByLabel('Choose a password').fill('frida e2e password');
    await p.getByRole('button', { name: 'Create company', exact: true }).click();
    await p.getByRole('heading', { name: 'Check your email' }).waitFor();

    // Not usable before the link: the sign-in says why.
    await p.goto(stack.base + '/');
    await p.getByLabel('Email').fill('frida@fixit.test');
    await p.getByLabel('Password').fill('frida e2e password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText(/Confirm your email address first/).waitFor();

    await p.goto(await linkTo('frida@fixit.test', 'signup-confirm'));
    await p.getByRole('heading', { name: 'Create Fixit Partners on Guestbridge?' }).waitFor();
    await p.getByRole('button', { name: 'Create', exact: true }).click();
    await p.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    assert.ok(!p.url().includes('#'), 'the token left the address bar');

    // Signed out and in again with the chosen password.
    await p.getByRole('button', { name: 'Sign out', exact: true }).click();
    await p.getByLabel('Email').fill('frida@fixit.test');
    await p.getByLabel('Password').fill('frida e2e password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    await p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Roles', exact: true }).click();
    await p.getByRole('button', { name: 'Invite member', exact: true }).click();
    const dlg = p.getByRole('dialog', { name: 'Invite member' });
    await dlg.getByLabel('Email', { exact: true }).fill('milo@fixit.test');
    await dlg.getByLabel('Name (optional)').fill('Milo Member');
    await dlg.getByRole('button', { name: 'Send invitation', exact: true }).click();
    await dlg.waitFor({ state: 'detached' });

    const mp = await member.context.newPage();
    await mp.goto(await linkTo('milo@fixit.test', 'join-company'));
    await mp.getByRole('heading', { name: 'Join Fixit Partners on Guestbridge?' }).waitFor();
    await mp.getByLabel('Choose a password').fill('milo e2e password');
    await mp.getByRole('button', { name: 'Create account and join', exact: true }).click();
    await mp.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    await p.reload();
    await p.getByRole('button', { name: 'Remove Milo Member', exact: true }).waitFor();
    assert.deepEqual(problems(founder).filter((x) => !/Failed to load resource/.test(x)), []);
    assert.deepEqual(problems(member), []);
  } catch (err) {
    await founder.keep(stack.log());
    await member.keep();
    throw err;
  }
});

test('an admin edits the company defaults on the settings page', async (t) => {
  const c = await watchedContext(browser, 'signup-settings');
  t.after(() => c.context.close());
  try {
    const p = await c.context.newPage();
    await p.goto(stack.base + '/');
    await p.getByLabel('Email').fill('admin@demo.test');
    await p.getByLabel('Password').fill(stack.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings', exact: true }).click();
    await p.getByLabel('Longest guest period (days)').fill('30');
    await p.getByLabel('Reminder before the end (days)').fill('4');
    await p.getByLabel('SMS per day').fill('25');
    await p.getByRole('button', { name: 'Save settings', exact: true }).click();
    await p.locator('.settings-status', { hasText: 'Saved' }).waitFor();
    const { token } = await (await fetch(stack.base + '/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'admin@demo.test', password: stack.password }) })).json();
    const org = await (await fetch(stack.base + '/v1/orgs/demo', { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.deepEqual([org.maxGuestDays, org.reminderDays, org.smsPerDay], [30, 4, 25]);
    // A value out of range is named at its field.
    await p.getByLabel('Longest guest period (days)').fill('3');
    await p.getByRole('button', { name: 'Save settings', exact: true }).click();
    await p.getByText('reminderDays must be shorter than maxGuestDays').waitFor();
    assert.deepEqual(problems(c).filter((x) => !/Failed to load resource/.test(x)), []);
  } catch (err) {
    await c.keep(stack.log());
    throw err;
  }
});
