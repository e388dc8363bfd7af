// The camera tools in real Chromium with a fake camera, on the primary's,
// a guest technician's and the customer's page: an arrow drawn by the
// primary is painted on the customer's own camera view and the guest's;
// a freeze puts the very same JPEG on every page (and back after a reload);
// the fake camera has no zoom, so zoom falls back to a digital zoom showing
// the same region everywhere; it has no torch, so the primary is told.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

const signIn = (page, email) => signInAs(stack, page, email);

const joinLink = (addr) => sessionInviteLink(stack, addr);

const hasPicture = (page) => page.waitForFunction(() => [...document.querySelectorAll('.screen video')].some((v) => v.videoWidth > 0),
  null, { timeout: 30_000 });

// clientAt is the page position of frame point (x, y) of the picture shown.
// The picture is scrolled into view first: the tool buttons sit below it,
// and a page taller than the window scrolls when they are pressed.
const clientAt = (page, x, y) => page.evaluate(([x, y]) => {
  const v = [...document.querySelectorAll('.cam-viewport > video, .cam-viewport > .cam-still')].find((e) => !e.hidden);
  v.scrollIntoView({ block: 'center', inline: 'center' });
  const r = v.getBoundingClientRect();
  const w = v.videoWidth || v.naturalWidth, h = v.videoHeight || v.naturalHeight;
  const k = Math.min(r.width / w, r.height / h);
  return [r.left + (r.width - w * k) / 2 + x * w * k, r.top + (r.height - h * k) / 2 + y * h * k];
}, [x, y]);

// overlayPixel is the RGBA of the overlay canvas at frame point (x, y).
const overlayPixel = (page, x, y) => page.evaluate(([x, y]) => {
  const c = document.querySelector('.cam-overlay');
  const v = [...document.querySelectorAll('.cam-viewport > video, .cam-viewport > .cam-still')].find((e) => !e.hidden);
  const w = v.videoWidth || v.naturalWidth, h = v.videoHeight || v.naturalHeight;
  const k = Math.min(c.width / w, c.height / h);
  const px = Math.round((c.width - w * k) / 2 + x * w * k), py = Math.round((c.height - h * k) / 2 + y * h * k);
  return [...c.getContext('2d').getImageData(px, py, 1, 1).data];
}, [x, y]);

// paintIn counts the painted pixels of the overlay canvas in the frame box
// from (x0, y0) to (x1, y1).
const paintIn = (page, x0, y0, x1, y1) => page.evaluate(([x0, y0, x1, y1]) => {
  const c = document.querySelector('.cam-overlay');
  const v = [...document.querySelectorAll('.cam-viewport > video, .cam-viewport > .cam-still')].find((e) => !e.hidden);
  const w = v.videoWidth || v.naturalWidth, h = v.videoHeight || v.naturalHeight;
  const k = Math.min(c.width / w, c.height / h);
  const ox = (c.width - w * k) / 2, oy = (c.height - h * k) / 2;
  const px = Math.round(ox + x0 * w * k), py = Math.round(oy + y0 * h * k);
  const d = c.getContext('2d').getImageData(px, py, Math.round((x1 - x0) * w * k), Math.round((y1 - y0) * h * k)).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}, [x0, y0, x1, y1]);

// region is the part of the frame the page shows, measured from the layout
// (the zoom's transform included): [left, top, right, bottom] in frame units.
const region = (page) => page.evaluate(() => {
  const s = document.querySelector('.screen').getBoundingClientRect();
  const v = [...document.querySelectorAll('.cam-viewport > video, .cam-viewport > .cam-still')].find((e) => !e.hidden);
  const r = v.getBoundingClientRect();
  const w = v.videoWidth || v.naturalWidth, h = v.videoHeight || v.naturalHeight;
  const k = Math.min(r.width / w, r.height / h);
  const fx = r.left + (r.width - w * k) / 2, fy = r.top + (r.height - h * k) / 2;
  return [(s.left - fx) / (w * k), (s.top - fy) / (h * k), (s.right - fx) / (w * k), (s.bottom - fy) / (h * k)];
});

// stillHash waits until the page shows a still instead of the video and
// returns the SHA-256 of its JPEG bytes, with its size.
async function stillHash(page) {
  await page.waitForFunction(() => {
    const img = document.querySelector('.cam-still');
    const video = document.querySelector('.cam-viewport > video');
    return img && !img.hidden && img.naturalWidth > 0 && video.hidden && getComputedStyle(img).display !== 'none';
  }, null, { timeout: 20_000 });
  const { src, width, height } = await page.evaluate(() => {
    const img = document.querySelector('.cam-still');
    return { src: img.src, width: img.naturalWidth, height: img.naturalHeight };
  });
  assert.match(src, /^data:image\/jpeg;base64,/);
  return { hash: createHash('sha256').update(Buffer.from(src.split(',')[1], 'base64')).digest('hex'), width, height };
}

test('annotation, freeze, zoom and flash on every page', async () => {
  const names = ['primary', 'customer', 'guest'];
  const ctx = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await watchedContext(browser, `draw-${n}`)])));
  try {
    const page = await ctx.primary.context.newPage();
    await signIn(page, 'tech@demo.test');
    await page.getByLabel('New case title').fill('E2E drawing tools');
    await page.getByRole('button', { name: 'Create case' }).click();
    await page.getByRole('link', { name: 'E2E drawing tools' }).first().click();
    await page.getByRole('button', { name: 'Start live session' }).click();
    await page.getByLabel('Customer name').fill('Dora Customer');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/\/session\//);
    const cust = await ctx.customer.context.newPage();
    await cust.goto(await page.getByLabel('Customer link').inputValue());
    await hasPicture(page);
    await hasPicture(cust);

    await page.getByRole('button', { name: 'Invite technician' }).click();
    const dlg = page.getByRole('dialog', { name: 'Invite technician' });
    await dlg.getByRole('tab', { name: 'Guest' }).click();
    await dlg.getByLabel('Email', { exact: true }).fill('gwen.draw@example.test');
    await dlg.getByLabel('Name (optional)').fill('Gwen Guest');
    await dlg.getByRole('button', { name: 'Invite' }).click();
    await dlg.waitFor({ state: 'hidden' });
    const guest = await ctx.guest.context.newPage();
    await guest.goto(await joinLink('gwen.draw@example.test'));
    await hasPicture(guest);

    // Annotation: the primary drags an arrow over the picture.
    await page.getByRole('button', { name: 'Arrow', exact: true }).click();
    const [x0, y0] = await clientAt(page, 0.2, 0.3);
    const [x1, y1] = await clientAt(page, 0.8, 0.6);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 5 });
    await page.mouse.move(x1, y1, { steps: 5 });
    await page.mouse.up();
    for (const [who, p] of [['customer', cust], ['guest', guest]]) {
      await p.locator('.cam-shapes li[data-type="arrow"]').waitFor({ state: 'attached', timeout: 15_000 });
      // Painted on the overlay halfway along the arrow, in the primary's colour; nothing far from it.
      const mid = await overlayPixel(p, 0.5, 0.45);
      assert.ok(mid[3] > 200, `${who}: no paint on the arrow (${mid})`);
      const mine = await overlayPixel(page, 0.5, 0.45);
      assert.deepEqual(mid.slice(0, 3), mine.slice(0, 3), `${who}: the arrow's colour differs from the primary's`);
      assert.equal((await overlayPixel(p, 0.2, 0.8))[3], 0, `${who}: paint away from the arrow`);
    }
    await page.getByRole('button', { name: 'Arrow', exact: true }).click();

    // Freeze: the same still on every page, at the camera's resolution.
    const camSize = await cust.evaluate(() => {
      const s = document.querySelector('.cam-viewport > video').srcObject.getVideoTracks()[0].getSettings();
      return [s.width, s.height];
    });
    await page.getByRole('button', { name: 'Freeze picture', exact: true }).click();
    const stills = await Promise.all([page, guest, cust].map(stillHash));
    assert.equal(new Set(stills.map((s) => s.hash)).size, 1, `different stills: ${JSON.stringify(stills)}`);
    assert.deepEqual([stills[0].width, stills[0].height], camSize);
    // The arrow drawn on the live picture is not on the still; text written
    // on the still is, until its author undoes it.
    assert.equal(await cust.locator('.cam-shapes li').count(), 0);
    await page.getByRole('button', { name: 'Text', exact: true }).click();
    await page.getByLabel('Text to place on the picture').fill('Turn here');
    const [tx, ty] = await clientAt(page, 0.5, 0.5);
    await page.mouse.click(tx, ty);
    await cust.locator('.cam-shapes li[data-type="text"]', { hasText: 'Turn here' }).waitFor({ state: 'attached' });
    await guest.locator('.cam-shapes li[data-type="text"]', { hasText: 'Turn here' }).waitFor({ state: 'attached' });
    assert.ok(await paintIn(cust, 0.5, 0.45, 0.7, 0.55) > 50, 'the text is not painted');
    assert.equal(await paintIn(cust, 0.1, 0.1, 0.3, 0.3), 0, 'paint away from the text');
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await cust.locator('.cam-shapes li').first().waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Text', exact: true }).click();
    // A reload during the freeze brings the same still back.
    await page.reload();
    assert.equal((await stillHash(page)).hash, stills[0].hash);
    // The reloaded page shows the still (it comes with joined) before its data
    // channel is open; a command pressed before that is refused on the page
    // ("not connected yet"), so press until the page itself goes live.
    for (let i = 0; i < 30; i++) {
      await page.getByRole('button', { name: 'Back to live', exact: true }).click();
      const live = await page.waitForFunction(() => document.querySelector('.cam-still').hidden, null, { timeout: 1000 })
        .then(() => true, () => false);
      if (live) break;
    }
    for (const p of [page, guest, cust]) {
      await p.waitForFunction(() => document.querySelector('.cam-still').hidden && !document.querySelector('.cam-viewport > video').hidden);
    }
    await cust.locator('.cam-shapes li[data-type="arrow"]').waitFor({ state: 'attached' });
    assert.equal(await cust.locator('.cam-shapes li').count(), 1);

    // Zoom: no camera zoom on the fake device, so a digital zoom shows
    // the same region on every page.
    await page.getByLabel('Level').fill('3');
    await page.getByRole('button', { name: 'Choose the centre on the picture', exact: true }).click();
    const [cx, cy] = await clientAt(page, 0.3, 0.7);
    await page.mouse.click(cx, cy);
    await page.locator('.cam-note').getByText(/Zoomed 3× digitally/).waitFor();
    const regions = [];
    for (const p of [page, guest, cust]) {
      await p.waitForFunction(() => document.querySelector('.cam-viewport').classList.contains('zoomed'));
      regions.push(await region(p));
    }
    for (const r of regions) {
      assert.ok(Math.abs((r[0] + r[2]) / 2 - 0.3) < 0.02 && Math.abs((r[1] + r[3]) / 2 - 0.7) < 0.02, `region ${r} not centred on (0.3, 0.7)`);
      assert.ok(Math.abs((r[3] - r[1]) - 1 / 3) < 0.02, `region ${r} is not a third of the frame high`);
      r.forEach((v, i) => assert.ok(Math.abs(v - regions[0][i]) < 0.01, `regions differ: ${JSON.stringify(regions)}`));
    }
    await page.getByRole('button', { name: 'Whole picture', exact: true }).click();
    await cust.waitForFunction(() => !document.querySelector('.cam-viewport').classList.contains('zoomed'));

    // Flash: the fake camera has no torch, and the primary who asked is told.
    await page.getByRole('button', { name: 'Flash on', exact: true }).click();
    await page.locator('.cam-note').getByText('Flash is not supported on the customer’s device.').waitFor();
    assert.equal(await guest.getByText('Flash is not supported on the customer’s device.').count(), 0);

    // With the customer gone, a command goes unanswered, and the page says so.
    await cust.getByRole('button', { name: 'Leave session', exact: true }).click();
    await page.getByText(/^Dora Customer \(.+\) left\.$/).first().waitFor();
    await page.getByRole('button', { name: 'Flash off', exact: true }).click();
    await page.locator('.cam-note').getByText('Flash: the customer’s device did not answer. Is the customer still connected?').waitFor({ timeout: 15_000 });

    const problems = names.flatMap((n) => ctx[n].problems);
    assert.deepEqual(problems, [], `the pages complained:\n${problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    for (const [i, n] of names.entries()) await ctx[n].keep(i === 0 ? stack.log() : undefined);
    throw err;
  } finally {
    await Promise.all(names.map((n) => ctx[n].context.close()));
  }
});
