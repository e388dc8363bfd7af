// stack.mjs — starts the same local stack `make dev` starts (functions/local),
// on free ports and with its own data directory, so the browser tests run
// beside a developer's `make dev` without touching it.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const tcpPort = () => new Promise((ok, fail) => {
  const s = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

const udpPort = () => new Promise((ok, fail) => {
  const s = createSocket('udp4').once('error', fail);
  s.bind(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

/**
 * startStack builds functions/local, starts it and resolves when it prints
 * its banner: {base, ses, s3, relayOrigin, password, log(), stop()}.
 */
export async function startStack({ timeoutMs = 180_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gb-e2e-'));
  // `make test` builds functions/local and the relay once for every file
  // (GB_E2E_LOCAL_BIN, GB_RELAY_BIN); a file run alone builds its own.
  let bin = process.env.GB_E2E_LOCAL_BIN;
  if (!bin) {
    bin = join(dir, 'local');
    execFileSync('go', ['build', '-o', bin, './functions/local'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const [api, ddb, ses, s3, relay, udp] = [await tcpPort(), await tcpPort(), await tcpPort(), await tcpPort(), await tcpPort(), await udpPort()];
  const password = 'demo-e2e-password';
  const child = spawn(bin, [], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GB_DATA_DIR: join(dir, 'data'),
      GB_API_PORT: String(api), GB_DYNAMODB_PORT: String(ddb), GB_SES_PORT: String(ses),
      GB_S3_PORT: String(s3),
      GB_RELAY_PORT: String(relay), GB_RELAY_UDP_PORT: String(udp),
      DEMO_PASSWORD: password,
    },
  });
  let output = '';
  child.stdout.on('data', (b) => { output += b; });
  const exited = new Promise((ok) => child.once('exit', (code, sig) => ok({ code, sig })));
  const ready = new Promise((ok) => child.stderr.on('data', (b) => {
    output += b;
    if (output.includes('Guestbridge is running.')) ok();
  }));
  let timer;
  const outcome = await Promise.race([
    ready.then(() => 'ready'),
    exited.then(({ code, sig }) => `exited (${code ?? sig})`),
    new Promise((ok) => { timer = setTimeout(() => ok(`not ready after ${timeoutMs / 1000} s`), timeoutMs); }),
  ]);
  clearTimeout(timer);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (outcome !== 'ready') {
    await stop();
    throw new Error(`the local stack ${outcome}:\n${output}`);
  }
  return {
    base: `http://localhost:${api}`,
    ses: `http://127.0.0.1:${ses}`,
    s3: `http://127.0.0.1:${s3}`,
    relayOrigin: `ws://localhost:${relay}`,
    password,
    log: () => output,
    stop,
  };
}

/**
 * callAPI sends one request to the stack's /v1 and returns the JSON answer (null when it has no
 * body); an error status fails the calling test with the method, path, status and answer.
 */
export async function callAPI(stack, method, path, token, body) {
  const res = await fetch(stack.base + '/v1' + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return data;
}

/** signInAs signs page in to the stack's web client as email with the demo password. */
export async function signInAs(stack, page, email) {
  await page.goto(stack.base + '/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(stack.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

/**
 * sessionInviteLink waits for the outbox sender to put the session invitation to addr into
 * the SES emulator, and returns its link.
 */
export async function sessionInviteLink(stack, addr) {
  for (let i = 0; i < 100; i++) {
    const { emails = [] } = await (await fetch(`${stack.ses}/store`)).json();
    const m = emails.reverse().find((e) => e.destination?.to?.includes(addr));
    const link = m?.body?.text?.match(/https?:\/\/\S+\/join#[\w-]+/)?.[0];
    if (link) return link;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no session invitation to ${addr}`);
}
