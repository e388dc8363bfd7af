// The email verification page in a real browser: opening the link (what a
// mail scanner or an unexpected click does) shows whose account and which
// company's text message made it, and confirms nothing; only the button
// does. "This was not me" voids the link. The account is the attack of
// issue 7: someone makes an account for a stranger's address from an SMS
// link to their own phone and has the verification mailed to the stranger.

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

async function call(method, path, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(stack.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function poll(what, find) {
  for (let i = 0; i < 75; i++) {
    const found = await find();
    if (found) return found;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no ${what}`);
}

// squat makes an account for addr from an SMS link to phone, with a password,
// and has its verification email sent: the attacker's session and the link.
async function squat(addr, phone) {
  const tech = (await call('POST', '/v1/auth/login', '', { email: 'tech@demo.test', password: stack.password })).body.token;
  const kase = await call('POST', '/v1/orgs/demo/cases', tech, { title: `Squat ${phone}` });
  assert.equal(kase.status, 201, JSON.stringify(kase.body));
  const inv = await call('POST', '/v1/orgs/demo/guests', tech, { email: addr, name: 'Not Victor', phone, channels: ['sms'],
    caseId: kase.body.id, period: { days: 7 } });
  assert.equal(inv.status, 201, JSON.stringify(inv.body));
  const smsTok = await poll(`SMS to ${phone}`, async () => {
    const list = await (await fetch(`${stack.base}/_local/sms`)).json();
    return list.reverse().find((m) => m.to === phone)?.body.match(/\/invite#([A-Za-z0-9_-]+)/)?.[1];
  });
  const acc = await call('POST', `/v1/invitations/${smsTok}/accept`, '', { password: 'the squatter password' });
  assert.equal(acc.status, 200, JSON.stringify(acc.body));
  const session = (await call('POST', '/v1/auth/login', '', { email: addr, password: 'the squatter password' })).body.token;
  assert.equal((await call('POST', '/v1/me/email/verification', session)).status, 202);
  const link = await poll(`verification email to ${addr}`, async () => {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    return emails.reverse().find((e) => e.destination?.to?.includes(addr))?.body.text.match(/https?:\/\/\S+\/verify-email#[A-Za-z0-9_-]+/)?.[0];
  });
  return { session, link };
}

const verified = async (session) => (await call('GET', '/v1/me', session)).body.user.emailVerified;

test('opening the verification link confirms nothing until the button is pressed', async (t) => {
  const victim = await watchedContext(browser, 'verify-confirm');
  t.after(() => victim.context.close());
  try {
    const { session, link } = await squat('victor.verify@example.test', '+4915110000081');
    const page = await victim.context.newPage();
    const posts = [];
    page.on('request', (r) => { if (r.method() !== 'GET' && r.url().includes('/v1/email-verifications/')) posts.push(r.url()); });
    await page.goto(link.replace(/^https?:\/\/[^/]+/, stack.base));
    await page.waitForLoadState('networkidle');
    assert.equal(await verified(session), false, 'opening the link verified the address');
    const confirm = page.getByRole('button', { name: 'Yes, this is my account — confirm' });
    await confirm.waitFor();
    const main = await page.locator('main').innerText();
    for (const want of ['Is this your account?', 'victor.verify@example.test', 'Not Victor', 'Demo Support']) {
      assert.ok(main.includes(want), `the page lacks ${want}:\n${main}`);
    }
    await page.getByRole('button', { name: 'This was not me' }).waitFor();
    // Opened, and opened again: still unverified, nothing posted.
    await page.reload();
    await confirm.waitFor();
    assert.deepEqual(posts, [], 'opening the page posted to the API');
    assert.equal(await verified(session), false, 'opening the link verified the address');

    await confirm.click();
    await page.getByRole('heading', { name: 'Your email address is confirmed.' }).waitFor();
    assert.equal(await verified(session), true, 'the button did not verify the address');
    assert.deepEqual(victim.problems, [], `the page complained:\n${victim.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await victim.keep(stack.log());
    throw err;
  }
});

test('"This was not me" voids the link', async (t) => {
  const victim = await watchedContext(browser, 'verify-not-me');
  t.after(() => victim.context.close());
  try {
    const { session, link } = await squat('vera.notme@example.test', '+4915110000082');
    const page = await victim.context.newPage();
    await page.goto(link.replace(/^https?:\/\/[^/]+/, stack.base));
    await page.getByRole('button', { name: 'This was not me' }).click();
    await page.getByRole('heading', { name: 'Nothing was confirmed.' }).waitFor();
    const tok = link.split('#')[1];
    const again = await call('POST', `/v1/email-verifications/${tok}`, '', {});
    assert.equal(again.status, 410, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'verification_declined');
    assert.equal(await verified(session), false);
    assert.deepEqual(victim.problems, [], `the page complained:\n${victim.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await victim.keep(stack.log());
    throw err;
  }
});
