// The API reference: GET /v1/openapi.json serves the OpenAPI document
// (cacheable, no sign-in), and /docs renders it with the vendored Swagger UI
// under the site's Content-Security-Policy without a single violation.

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

test('GET /v1/openapi.json serves the document without sign-in, cacheable', async () => {
  const res = await fetch(stack.base + '/v1/openapi.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.match(res.headers.get('cache-control'), /^public, max-age=\d+/);
  const tag = res.headers.get('etag');
  assert.ok(tag, 'an ETag');
  const doc = await res.json();
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/v1/auth/login'].post, 'POST /v1/auth/login is documented');
  const again = await fetch(stack.base + '/v1/openapi.json', { headers: { 'If-None-Match': tag } });
  assert.equal(again.status, 304);
});

test('/docs renders the document with no policy violation', async (t) => {
  const w = await watchedContext(browser, 'apidocs');
  t.after(() => w.context.close());
  try {
    const page = await w.context.newPage();
    await page.goto(stack.base + '/docs/');
    await page.getByRole('heading', { name: /Guestbridge API/ }).waitFor();
    // A known operation is listed, and opening it shows its error codes.
    const login = page.locator('.opblock-summary-path[data-path="/v1/auth/login"]');
    await login.waitFor();
    await page.getByText('Sign in with email and password', { exact: true }).waitFor();
    await login.click();
    const op = page.locator('.opblock', { has: login });
    await op.locator('.responses-table').getByText('invalid_credentials', { exact: true }).first().waitFor();
    assert.deepEqual(w.problems, [], `the page complained:\n${w.problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`).join('\n')}`);
  } catch (err) {
    await w.keep(stack.log());
    throw err;
  }
});
