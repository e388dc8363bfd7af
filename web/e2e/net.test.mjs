// A session on a real network: a guest technician's network drops for 5 s
// (Chromium's network emulation, offline then online) and they are still in
// the session with video, the primary saw them reconnecting and never leave
// or join again, and their single-use link still refuses a second device.
// Along the way: the primary's connection figures per participant and the
// customer's connection bar; afterwards the session details keep the
// guest's reconnect.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signInAs, sessionInviteLink } from './stack.mjs';
import { launch, watchedContext } from './browser.mjs';

let stack;
let browser;

before(async () => {
  // Figures every second, so the test need not wait three.
  process.env.RELAY_QUALITY_INTERVAL = '1s';
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const signIn = (page, email) => signInAs(stack, page, email);

const joinLink = (addr) => sessionInviteLink(stack, addr);

// videoAdvances waits until the page's remote video has a picture whose time
// moves on by half a second from now.
async function videoAdvances(page, who) {
  const at = await page.waitForFunction(() => {
    const v = [...document.querySelectorAll('.screen video')].find((x) => x.srcObject && x.videoWidth > 0);
    return v ? v.currentTime + 1e-6 : 0;
  }, null, { timeout: 30_000 });
  const t0 = await at.jsonValue();
  await page.waitForFunction((t) => [...document.querySelectorAll('.screen video')].some((x) => x.videoWidth > 0 && x.currentTime > t + 0.5),
    t0, { timeout: 15_000 }).catch(() => { throw new Error(`${who}: the video does not advance`); });
}

const activity = (page) => page.getByRole('list', { name: 'Activity' });

test('a guest technician\'s network drops for 5 s and they stay in the session', async () => {
  const t0 = Date.now();
  const mark = (what) => console.log(`# ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const names = ['primary', 'customer', 'guest', 'second'];
  const ctx = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContext(browser, `net-${n}`)])));
  try {
    const page = await ctx.primary.context.newPage();
    await signIn(page, 'tech@demo.test');
    await page.getByLabel('New case title').fill('E2E network pump');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E network pump' }).first().click();
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Nina Network');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    // The customer's peer connection, kept where the test can read it.
    await ctx.customer.context.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      window.__pcs = [];
      window.RTCPeerConnection = class extends Native {
        constructor(...a) { super(...a); window.__pcs.push(this); }
      };
    });
    const cust = await ctx.customer.context.newPage();
    await cust.goto(await page.getByLabel('Customer link').inputValue());
    await videoAdvances(page, 'the primary');
    mark('customer video at the primary');

    await page.getByRole('button', { name: 'Invite technician', exact: true }).click();
    const dlg = page.getByRole('dialog', { name: 'Invite technician' });
    await dlg.getByRole('tab', { name: 'Guest' }).click();
    await dlg.getByLabel('Email', { exact: true }).fill('hotel.wifi@example.test');
    await dlg.getByLabel('Name (optional)').fill('Hana Hotel');
    await dlg.getByRole('button', { name: 'Invite', exact: true }).click();
    await dlg.waitFor({ state: 'hidden' });
    const link = await joinLink('hotel.wifi@example.test');
    const guest = await ctx.guest.context.newPage();
    await guest.goto(link);
    await videoAdvances(guest, 'the guest technician');
    await activity(page).getByText('Hana Hotel (Guest technician) joined.').waitFor();
    mark('guest in');

    // The relay's figures: the primary sees them for each participant, with
    // the bitrate received from the customer; the customer sees a bar.
    await page.locator('.people .quality').filter({ hasText: /Round trip \d+ ms · loss [\d.]+ % · [1-9][\d,]* kbit\/s received/ }).first().waitFor();
    await cust.getByRole('status').filter({ hasText: /^Connection: (good|fair|poor)$/ }).waitFor();

    // Chromium negotiated transport-wide congestion feedback for the camera
    // only, and sends the voice at high priority.
    const neg = await cust.evaluate(() => {
      const pc = window.__pcs.at(-1);
      const sections = pc.remoteDescription.sdp.split(/\r?\nm=/).slice(1);
      const audio = pc.getSenders().find((x) => x.track?.kind === 'audio');
      return {
        video: sections.filter((x) => x.startsWith('video') && /a=recvonly/.test(x)).some((x) => /transport-wide-cc/.test(x) && /transport-cc/.test(x)),
        audio: sections.filter((x) => x.startsWith('audio')).some((x) => /transport-wide-cc/.test(x)),
        answer: /transport-wide-cc/.test(pc.localDescription.sdp),
        priority: audio?.getParameters().encodings?.[0]?.priority,
      };
    });
    assert.deepEqual(neg, { video: true, audio: false, answer: true, priority: 'high' });

    // The guest's network goes away for 5 s: the scenario's length, not a
    // wait for a condition.
    mark('figures seen');
    const cdp = await ctx.guest.context.newCDPSession(guest);
    await cdp.send('Network.enable');
    const net = (offline) => cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await net(true);
    await activity(page).getByText('Hana Hotel lost the connection and is reconnecting…').waitFor({ timeout: 10_000 });
    await page.locator('.people li').filter({ hasText: 'Hana Hotel' }).getByText('Reconnecting…').waitFor();
    await new Promise((ok) => setTimeout(ok, 5000));
    const back = Date.now();
    await net(false);

    await activity(page).getByText('Hana Hotel is connected again.').waitFor({ timeout: 15_000 });
    const resumedIn = Date.now() - back;
    await page.locator('.people li').filter({ hasText: 'Hana Hotel' }).getByText('In the session').waitFor();
    await videoAdvances(guest, 'the guest technician after the drop');
    assert.equal(await activity(page).getByText('Hana Hotel (Guest technician) left.').count(), 0, 'the primary saw the guest leave');
    assert.equal(await activity(page).getByText('Hana Hotel (Guest technician) joined.').count(), 1, 'the primary saw the guest join again');
    assert.equal(await guest.getByRole('heading', { name: 'Your link has expired.' }).count(), 0);
    console.log(`# guest back in the session ${resumedIn} ms after the network returned`);

    // The link is still used up: a second device is refused.
    const second = await ctx.second.context.newPage();
    await second.goto(link);
    await second.getByRole('heading', { name: 'Your link has expired.' }).waitFor();

    // The guest leaves for real: the session details keep their reconnect.
    await guest.getByRole('button', { name: 'Leave session', exact: true }).click();
    await guest.getByRole('dialog', { name: 'Leave the session?' }).getByRole('button', { name: 'Leave session', exact: true }).click();
    await activity(page).getByText('Hana Hotel (Guest technician) left.').waitFor();
    await page.locator('details.details > summary').click();
    await page.waitForFunction(() => [...document.querySelectorAll('.details table tr')].some((tr) => {
      const cells = [...tr.children].map((c) => c.textContent.trim());
      return cells[0] === 'Hana Hotel' && cells[6] === '1';
    }), null, { timeout: 15_000 });

    const problems = ['primary', 'customer', 'guest'].flatMap((n) => ctx[n].problems)
      // While offline the page's own reconnection attempts fail loudly in the console.
      .filter((p) => !(p.kind === 'console' && /WebSocket|ERR_INTERNET_DISCONNECTED/.test(p.text)));
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    for (const [i, n] of names.entries()) await ctx[n].keep(i === 0 ? stack.log() : undefined);
    throw err;
  } finally {
    await Promise.all(names.map((n) => ctx[n].context.close()));
  }
});
