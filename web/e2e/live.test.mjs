// A live session as a support team runs it, in real Chromium with a fake
// camera: the customer's video reaching the primary and a guest technician,
// chat both ways and earlier chat for who joins late or reloads, the
// single-use guest link, the mobile refusal, a tool switched off, removal
// with a reason, an internal technician picked and let in without a reload,
// the end, and the session report on the case page afterwards.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signInAs, sessionInviteLink } from './stack.mjs';
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

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

const signIn = (page, email) => signInAs(stack, page, email);

const joinLink = (addr) => sessionInviteLink(stack, addr);

// videoPlays waits until the page's remote video has a picture and its
// time advances.
async function videoPlays(page, who) {
  const at = await page.waitForFunction(() => {
    const v = [...document.querySelectorAll('.screen video')].find((x) => x.srcObject && x.videoWidth > 0);
    return v ? v.currentTime + 1e-6 : 0;
  }, null, { timeout: 30_000 });
  const t0 = await at.jsonValue();
  await page.waitForFunction((t) => [...document.querySelectorAll('.screen video')].some((x) => x.videoWidth > 0 && x.currentTime > t + 0.5),
    t0, { timeout: 15_000 }).catch(() => { throw new Error(`${who}: the video does not advance`); });
}

const chatList = (page) => page.getByRole('list', { name: 'Chat' });

async function say(page, text) {
  const form = page.locator('form.chat-form');
  await form.getByLabel('Message').fill(text);
  await form.getByRole('button', { name: 'Send' }).click();
  await chatList(page).getByText(text).waitFor();
}

test('a live session from every side, and its report on the case', async (t) => {
  const names = ['primary', 'customer', 'guest', 'second', 'mobile', 'colleague'];
  const ctx = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContext(browser, `live-${n}`)])));
  // The mobile refusal needs a phone's User-Agent from the start.
  await ctx.mobile.context.close();
  const mobileContext = await browser.newContext({ userAgent: IPHONE, viewport: { width: 390, height: 844 } });
  t.after(() => Promise.all([...names.filter((n) => n !== 'mobile').map((n) => ctx[n].context.close()), mobileContext.close()]));
  try {
    // The colleague's page is open on the cases before anything happens.
    const colleague = await ctx.colleague.context.newPage();
    await signIn(colleague, 'tech2@demo.test');

    const page = await ctx.primary.context.newPage();
    await signIn(page, 'tech@demo.test');
    await page.getByLabel('New case title').fill('E2E live pump');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E live pump' }).first().click();
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Cleo Customer');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    const customerLink = await page.getByLabel('Customer link').inputValue();

    const cust = await ctx.customer.context.newPage();
    await cust.goto(customerLink);
    await videoPlays(page, 'the primary');

    // Chat both ways between primary and customer, before the guest comes.
    await say(page, 'Hello Cleo, show me the pump please');
    await chatList(cust).getByText('Hello Cleo, show me the pump please').waitFor();
    await say(cust, 'Here is the pump');
    await chatList(page).getByText('Here is the pump').waitFor();

    // A guest technician is invited by email and joins late: the video
    // reaches them and so does the earlier chat.
    await page.getByRole('button', { name: 'Invite technician' }).click();
    const inviteDlg = page.getByRole('dialog', { name: 'Invite technician' });
    await inviteDlg.getByRole('tab', { name: 'Guest' }).click();
    await inviteDlg.getByLabel('Email', { exact: true }).fill('gus.e2e@example.test');
    await inviteDlg.getByLabel('Name (optional)').fill('Gus Guest');
    await inviteDlg.getByRole('button', { name: 'Invite' }).click();
    await inviteDlg.waitFor({ state: 'hidden' });
    const guestLink = await joinLink('gus.e2e@example.test');
    const guest = await ctx.guest.context.newPage();
    await guest.goto(guestLink);
    await videoPlays(guest, 'the guest technician');
    await chatList(guest).getByText('Hello Cleo, show me the pump please').waitFor();
    await chatList(guest).getByText('Here is the pump').waitFor();
    await say(guest, 'Gus here, the seal looks worn');
    await chatList(page).getByText('Gus here, the seal looks worn').waitFor();

    // The link is single-use: another browser gets the expiry page, a
    // phone the refusal.
    const second = await ctx.second.context.newPage();
    await second.goto(guestLink);
    await second.getByRole('heading', { name: 'Your link has expired.' }).waitFor();
    const phone = await mobileContext.newPage();
    await phone.goto(guestLink);
    await phone.getByRole('heading', { name: /not allowed to join the session through the app/ }).waitFor();

    // The primary switches the guest's chat off: their chat closes at once.
    await page.getByRole('button', { name: 'Actions for Gus Guest' }).click();
    await page.getByRole('menuitem', { name: 'Tools…' }).click();
    const toolsDlg = page.getByRole('dialog', { name: 'Tools for Gus Guest' });
    await toolsDlg.getByLabel('Chat', { exact: true }).uncheck();
    await toolsDlg.getByRole('button', { name: 'Save tools' }).click();
    await guest.waitForFunction(() => document.querySelector('form.chat-form input')?.disabled === true);

    // A colleague is picked by name and let in without a reload; they see
    // the earlier chat.
    await page.getByRole('button', { name: 'Invite technician' }).click();
    const pick = page.getByRole('dialog', { name: 'Invite technician' });
    await pick.getByLabel('Search technicians by name or email').fill('tina');
    await pick.getByRole('radio', { name: /Tina Technician/ }).check();
    await pick.getByRole('button', { name: 'Invite' }).click();
    await pick.waitFor({ state: 'hidden' });
    await colleague.getByRole('link', { name: 'Join the session' }).click();
    await colleague.waitForURL(/\/session\//);
    await chatList(colleague).getByText('Gus here, the seal looks worn').waitFor();
    await videoPlays(colleague, 'the internal technician');

    // The primary removes the guest with a reason, which the guest reads.
    await page.getByRole('button', { name: 'Actions for Gus Guest' }).click();
    await page.getByRole('menuitem', { name: 'Remove from the session' }).click();
    const rmDlg = page.getByRole('dialog', { name: 'Remove Gus Guest?' });
    await rmDlg.getByLabel('Reason (optional)').fill('Thanks Gus, we have it from here.');
    await rmDlg.getByRole('button', { name: 'Remove', exact: true }).click();
    await guest.getByText('The technician wrote: “Thanks Gus, we have it from here.”').waitFor();

    // A reload brings the primary's chat back, their own lines as theirs.
    await page.reload();
    await chatList(page).getByText('Gus here, the seal looks worn').waitFor();
    await chatList(page).locator('li.own', { hasText: 'You: Hello Cleo, show me the pump please' }).waitFor();

    // The end reaches the customer.
    await page.getByRole('button', { name: 'End session' }).click();
    await page.getByRole('dialog', { name: 'End the session?' }).getByRole('button', { name: 'End session' }).click();
    await cust.getByRole('heading', { name: 'The session has ended.' }).waitFor();

    // The report on the case page: participants with the removal, and chat.
    await page.getByRole('link', { name: 'Back to the case' }).first().click();
    const report = page.locator('article.session-report').first();
    await report.waitFor();
    await report.getByText('Gus Guest').first().waitFor();
    await report.getByText(/Thanks Gus, we have it from here\./).waitFor();
    await report.getByText(/Gus here, the seal looks worn/).waitFor();
    await report.getByText(/Here is the pump/).waitFor();
    assert.equal(await report.getByRole('cell', { name: 'Guest technician' }).count(), 1);

    const problems = names.filter((n) => n !== 'mobile' && n !== 'second').flatMap((n) => ctx[n].problems);
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    for (const [i, n] of names.entries()) if (n !== 'mobile') await ctx[n].keep(i === 0 ? stack.log() : undefined);
    throw err;
  }
});
