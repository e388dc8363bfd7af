// What a session keeps, in real Chromium with a fake camera: the primary's
// Snapshot button takes a still of the customer's camera, which the
// customer's page uploads straight to the bucket and which lands on the case
// (thumbnail on the case page, the download a JPEG or PNG); the guest
// technician's page never gets the request, the slot or the snapshot, and a
// guest's token is refused at the attachment routes; notes typed during the
// session are on the case page afterwards.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, callAPI, signInAs } from './stack.mjs';
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

// mailLink waits for a message to addr in the SES emulator and returns the
// first link in it matching re.
async function mailLink(addr, re) {
  for (let i = 0; i < 100; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const m = emails.reverse().find((e) => e.destination?.to?.includes(addr));
    const link = m?.body?.text?.match(re)?.[0];
    if (link) return link;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no message to ${addr}`);
}

test('a snapshot and notes land on the case, and the guest technician gets neither', async (t) => {
  const names = ['primary', 'customer', 'guest'];
  const ctx = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContext(browser, `attach-${n}`)])));
  t.after(() => Promise.all(names.map((n) => ctx[n].context.close())));
  try {
    const page = await ctx.primary.context.newPage();
    await signIn(page, 'tech@demo.test');
    await page.getByLabel('New case title').fill('E2E attach valve');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E attach valve' }).first().click();
    await page.waitForURL(/\/cases\//);
    const caseId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Cleo Customer');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    const customerLink = await page.getByLabel('Customer link').inputValue();
    const cust = await ctx.customer.context.newPage();
    await cust.goto(customerLink);
    await page.waitForFunction(() => [...document.querySelectorAll('.screen video')].some((v) => v.videoWidth > 0), null, { timeout: 30_000 });

    // A guest technician joins.
    await page.getByRole('button', { name: 'Invite technician' }).click();
    const dlg = page.getByRole('dialog', { name: 'Invite technician' });
    await dlg.getByRole('tab', { name: 'Guest' }).click();
    await dlg.getByLabel('Email', { exact: true }).fill('gwen.attach@example.test');
    await dlg.getByLabel('Name (optional)').fill('Gwen Guest');
    await dlg.getByRole('button', { name: 'Invite' }).click();
    await dlg.waitFor({ state: 'hidden' });
    const guest = await ctx.guest.context.newPage();
    const guestSlots = [];
    guest.on('request', (r) => { if (r.url().includes('X-Amz-')) guestSlots.push(r.url()); });
    await guest.goto(await mailLink('gwen.attach@example.test', /https?:\/\/\S+\/join#[\w-]+/));
    await guest.waitForFunction(() => [...document.querySelectorAll('.screen video')].some((v) => v.videoWidth > 0), null, { timeout: 30_000 });

    // Notes, typed during the session, save by themselves.
    await page.getByLabel('Notes', { exact: true }).fill('Valve 3: spindle bent, order part 77-A');
    await page.locator('.notes-state', { hasText: 'Saved' }).waitFor();

    // The snapshot: the customer's still is uploaded and attached.
    const uploads = [];
    cust.on('request', (r) => { if (r.method() === 'PUT' && r.url().startsWith(stack.s3)) uploads.push(r.url()); });
    await page.getByRole('button', { name: 'Snapshot', exact: true }).click();
    await page.locator('.snap-status', { hasText: 'Snapshot added to the case.' }).waitFor({ timeout: 30_000 });
    assert.equal(uploads.length, 1, 'the customer page uploaded once, straight to the bucket');
    await cust.getByText('took a snapshot of your camera for the case.').waitFor();

    // The guest's page: no request, no slot, no snapshot message.
    await page.locator('form.chat-form').getByLabel('Message').fill('all done');
    await page.locator('form.chat-form').getByRole('button', { name: 'Send' }).click();
    await guest.getByRole('list', { name: 'Chat' }).getByText('all done').waitFor();
    const guestText = await guest.locator('main').innerText();
    assert.doesNotMatch(guestText, /snapshot|Snapshot|X-Amz/, 'the guest technician saw a snapshot message');
    assert.deepEqual(guestSlots, [], 'the guest technician page requested an upload or download URL');

    // The case page: the thumbnail shows, opens, and downloads as a JPEG or PNG.
    await page.getByRole('link', { name: 'Back to the case' }).first().click();
    const thumb = page.locator('.case-files img.thumb').first();
    await thumb.waitFor();
    await page.waitForFunction(() => document.querySelector('.case-files img.thumb')?.naturalWidth > 0);
    await page.getByRole('button', { name: /Open snapshot by Tom Technician/ }).click();
    await page.waitForFunction(() => document.querySelector('.attachment-view img')?.naturalWidth > 0);
    const href = await page.locator('.attachment-view a[download]').getAttribute('href');
    const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
    assert.ok(jpeg || png, 'the download is a JPEG or PNG');
    await page.locator('.case-notes').getByText('Valve 3: spindle bent, order part 77-A').waitFor();

    // A guest of the case, signed in, is refused at the attachment routes.
    const admin = await callAPI(stack, 'POST', '/auth/login', null, { email: 'admin@demo.test', password: stack.password });
    const me = await callAPI(stack, 'GET', '/me', admin.token);
    const org = me.actingOrg.orgId;
    await callAPI(stack, 'POST', `/orgs/${org}/guests`, admin.token,
      { email: 'gina.attach@example.test', name: 'Gina', caseId, period: { days: 3 } });
    const inv = await mailLink('gina.attach@example.test', /https?:\/\/\S+\/invite#[\w-]+/);
    const acc = await callAPI(stack, 'POST', `/invitations/${inv.split('#')[1]}/accept`, null, { password: 'guest-e2e-password' });
    const list = await callAPI(stack, 'GET', `/orgs/${org}/cases/${caseId}/attachments`, admin.token);
    assert.equal(list.attachments.length, 1);
    for (const path of [`/orgs/${org}/cases/${caseId}/attachments`, `/orgs/${org}/cases/${caseId}/attachments/${list.attachments[0].id}`]) {
      const res = await fetch(`${stack.base}/v1${path}`, { headers: { Authorization: `Bearer ${acc.token}` } });
      assert.equal(res.status, 403, `${path} for a guest`);
      assert.doesNotMatch(await res.text(), /X-Amz/);
    }

    const problems = names.flatMap((n) => ctx[n].problems);
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    for (const [i, n] of names.entries()) await ctx[n].keep(i === 0 ? stack.log() : undefined);
    throw err;
  }
});
