// browser.mjs — Debian's chromium driven by playwright-core, with a fake
// camera and microphone, and a record of everything the page complains
// about: Content-Security-Policy violations, console errors, uncaught errors.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './stack.mjs';

// playwright-core lives in the local tools' npm install (make deps).
const { chromium } = createRequire(join(ROOT, 'tools/local/package.json'))('playwright-core');

export const RESULTS = join(ROOT, 'web/e2e/results');

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
}

/**
 * watchedContext opens a browser context whose pages report into problems:
 * each entry is {page, kind, text}. The violation listener is added before
 * any page script runs, through the DevTools protocol, which the page's
 * policy does not govern.
 */
export async function watchedContext(browser, name) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const problems = [];
  const consoleLog = [];
  await context.exposeBinding('__gbReportViolation', ({ page }, v) => {
    problems.push({ page: page.url(), kind: 'csp', text: `${v.directive} blocked ${v.blocked || '(inline)'} at ${v.source}:${v.line} ${v.sample}` });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__gbReportViolation({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample });
    });
  });
  const watch = (page) => {
    page.on('console', (m) => {
      consoleLog.push(`[${m.type()}] ${m.text()}`);
      if (m.type() === 'error') problems.push({ page: page.url(), kind: 'console', text: m.text() });
    });
    page.on('pageerror', (err) => {
      consoleLog.push(`[pageerror] ${err.message}`);
      problems.push({ page: page.url(), kind: 'pageerror', text: err.message });
    });
  };
  context.on('page', watch);
  /** keep saves a screenshot of every open page and the console into RESULTS. */
  const keep = async (stackLog) => {
    mkdirSync(RESULTS, { recursive: true });
    const pages = context.pages();
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: join(RESULTS, `${name}-${i}.png`), fullPage: true }).catch(() => {});
    }
    writeFileSync(join(RESULTS, `${name}.console.txt`), [...consoleLog, '', ...problems.map((p) => `${p.kind} on ${p.page}: ${p.text}`)].join('\n'));
    if (stackLog) writeFileSync(join(RESULTS, `${name}.stack.log`), stackLog);
  };
  return { context, problems, keep };
}

/**
 * watchedContextWith is watchedContext with Playwright context options
 * (locale, viewport, timezoneId, ...) added to the ones it sets.
 */
export function watchedContextWith(browser, name, options) {
  const withOptions = Object.create(browser);
  withOptions.newContext = (o) => browser.newContext({ ...o, ...options });
  return watchedContext(withOptions, name);
}

/**
 * launchWithCamera is launch() with Chromium's fake camera playing a Y4M
 * file (tools/fakecam writes one) instead of its generated test pattern.
 */
export function launchWithCamera(y4mPath) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4mPath}`],
  });
}
