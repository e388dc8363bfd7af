// The message catalogs without a browser: German and English hold the same
// keys, placeholders and plural forms; t() fills and plural-selects; the
// page language follows the browser; and the converted views use only keys
// that exist, with no English sentence left in them as a literal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './stack.mjs';

const JS = join(ROOT, 'web/js');
// Node reads web/js/*.js as CommonJS: a copy beside a package.json of type
// module loads the very files the browser loads.
const dir = mkdtempSync(join(tmpdir(), 'gb-i18n-'));
cpSync(join(JS, 'i18n.js'), join(dir, 'i18n.js'));
cpSync(join(JS, 'i18n'), join(dir, 'i18n'), { recursive: true });
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
const i18n = await import(pathToFileURL(join(dir, 'i18n.js')));
rmSync(dir, { recursive: true, force: true });
const { de, en } = i18n.CATALOGS;

const placeholders = (msg) => [...new Set((typeof msg === 'object' ? Object.values(msg).join(' ') : msg).match(/\{\w+\}/g) || [])].sort();

test('de and en have the same keys', () => {
  const dk = Object.keys(de).sort();
  const ek = Object.keys(en).sort();
  assert.deepEqual(dk.filter((k) => !en[k]), [], 'keys only in de');
  assert.deepEqual(ek.filter((k) => !de[k]), [], 'keys only in en');
});

test('de and en have the same placeholders and plural shape per key', () => {
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholders(de[key]), placeholders(en[key]), `${key}: placeholders`);
    assert.equal(typeof de[key], typeof en[key], `${key}: plural in one language only`);
    if (typeof en[key] === 'object') {
      for (const c of [de, en]) {
        assert.ok(typeof c[key].one === 'string' && typeof c[key].other === 'string', `${key}: needs one and other`);
        assert.ok(c[key].other.includes('{count}') || !c[key].one.includes('{count}'), `${key}: plural without {count}`);
      }
    }
  }
});

test('pickLang: a remembered choice, else German for de-*, else English', () => {
  for (const [stored, languages, want] of [
    ['', ['de-DE', 'en'], 'de'],
    ['', ['de'], 'de'],
    ['', ['de-AT'], 'de'],
    ['', ['en-US', 'de-DE'], 'en'],
    ['', ['fr-FR'], 'en'],
    ['', [], 'en'],
    ['', [undefined], 'en'],
    ['', ['dev'], 'en'],
    ['en', ['de-DE'], 'en'],
    ['de', ['en-GB'], 'de'],
    ['xx', ['de-CH'], 'de'],
  ]) assert.equal(i18n.pickLang(stored, languages), want, `${stored} ${languages}`);
});

test('t fills named placeholders, picks plural forms and shows a missing key as itself', () => {
  i18n.setLang('en');
  assert.equal(i18n.t('devices.count', { count: 1 }), '1 device');
  assert.equal(i18n.t('devices.count', { count: 3 }), '3 devices');
  assert.equal(i18n.t('guest.backIn', { org: 'Acme' }), 'You are back in Acme.');
  assert.equal(i18n.t('no.such.key'), 'no.such.key');
  i18n.setLang('de');
  assert.equal(i18n.getLang(), 'de');
  assert.equal(i18n.t('devices.count', { count: 1 }), '1 Gerät');
  assert.equal(i18n.t('devices.count', { count: 0 }), '0 Geräte');
  assert.equal(i18n.t('roles.changed', { name: 'Ann', role: 'Techniker' }), 'Ann hat jetzt die Rolle Techniker.');
  // A value that looks like a placeholder is not filled again.
  assert.equal(i18n.t('guest.backIn', { org: '{org}' }), 'Sie sind wieder in {org}.');
  const parts = i18n.tx('guest.intro', { org: 'Acme', until: { node: 1 } });
  assert.deepEqual(parts, ['Sie sind Gast von ', 'Acme', '. Ihr Zugang gilt bis ', { node: 1 }, '.']);
});

test('dates are formatted in the page language and the company time zone', () => {
  const d = new Date('2026-03-01T23:30:00Z');
  i18n.setLang('de');
  i18n.setTimeZone('Europe/Berlin');
  assert.equal(i18n.formatDate(d, false), '02.03.2026');
  assert.match(i18n.formatDate(d), /02\.03\.2026.*00:30/);
  i18n.setLang('en');
  i18n.setTimeZone('America/New_York');
  assert.equal(i18n.formatDate(d, false), 'Mar 1, 2026');
  assert.match(i18n.formatDate(d), /Mar 1, 2026.*6:30\sPM/);
  i18n.setTimeZone('Not/AZone');
  assert.ok(i18n.formatDate(d));
  i18n.setTimeZone('');
});

// The views converted to the catalog: every key they use exists, and no
// English sentence is left as a literal.
const VIEWS = ['app.js', 'ui.js', 'invite.js', 'verify.js', 'guest.js', 'companies.js', 'devices.js', 'roles.js',
  'live.js', 'session.js', 'join.js', 'cases.js', 'settings.js', 'rtc.js', 'member.js', 'api.js', 'keep.js'];
const LITERALS_CHECKED = new Set(VIEWS);

const KEYS_AS_ARGS = new Set(['live.js', 'join.js', 'keep.js']);
const PREFIXES = new Set(Object.keys(en).map((k) => k.split('.')[0]));

// [file, list, key prefix]: the lists of codes a view turns into keys.
const LISTED = [
  ['live.js', 'TOOLS', 'tool.'], ['live.js', 'KINDS', 'kind.'], ['live.js', 'REASONS', 'close.'],
  ['live.js', 'CHOICES', 'toolChoice.'], ['live.js', 'SEND', 'toolSend.'],
  ['live.js', 'WHY', 'removedWhy.'], ['join.js', 'HELP', 'join.help.'], ['settings.js', 'LANGUAGES', 'settings.lang.'],
  ['member.js', 'FILTERS', 'guests.none.'], ['member.js', 'CHANNELS', 'channel.'], ['member.js', 'DELIVERY', 'delivery.'],
  ['member.js', 'STATUS_TEXT', 'guestStatus.'], ['member.js', 'ENDED_TEXT', 'status.'], ['member.js', 'AUDIT_FILTERS', 'audit.'], ['member.js', 'AUDIT_DETAILS', 'auditDetail.'],
];

test('the converted views use only keys in the catalog and no literal sentences', () => {
  const dynamic = { 'command.': ['restart', 'lock', 'identify', 'sync'].flatMap((c) => [c, `${c}.hint`]),
    // live.js's tool forms: a field's label, and the on/off field of each tool that has one.
    'toolField.': ['shape', 'label', 'level', 'caption', 'text'], 'toolState.': ['freeze', 'flash', 'record'],
    // member.js's tabs (tab.<name>) and audit filters' hints (audit.<name>Hint).
    'tab.': ['cases', 'devices', 'guests', 'roles', 'audit', 'settings'], 'audit.': ['actorHint', 'actionHint', 'targetHint'],
    // keep.js names an attachment by its kind.
    'keep.kind.': ['snapshot', 'recording'], 'keep.open.': ['snapshot', 'recording'] };
  for (const f of VIEWS) {
    const src = readFileSync(join(JS, f), 'utf8');
    const code = src.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').filter((l) => !/^\s*(\/\/|\*)/.test(l)).join('\n');
    for (const [, key] of code.matchAll(/\b(?:t|tl)\(\s*'([\w.]+)'/g)) assert.ok(key in en, `${f}: t('${key}') is not in the catalog`);
    // A key handed on as a plain string (activityPanel('join.fromTechnicians')).
    // In the views that hand keys on as plain strings (activityPanel('join.fromTechnicians')),
    // every key-like literal is a key (elsewhere privileges such as 'devices.configure' look alike).
    if (KEYS_AS_ARGS.has(f)) for (const [, key, prefix] of code.matchAll(/'(([a-z][a-zA-Z]*)\.[a-zA-Z_][\w.]*)'/g)) {
      if (PREFIXES.has(prefix)) assert.ok(key in en, `${f}: '${key}' is not in the catalog`);
    }
    for (const [, key] of code.matchAll(/\btx\(\s*'([\w.]+)'/g)) assert.ok(key in en, `${f}: tx('${key}') is not in the catalog`);
    for (const [, key] of code.matchAll(/\?\s*'([a-z]+\.[\w.]+)'\s*:\s*'([a-z]+\.[\w.]+)'/g)) assert.ok(key in en, `${f}: '${key}' is not in the catalog`);
    if (LITERALS_CHECKED.has(f)) for (const [, sentence] of code.matchAll(/['`]([A-Z][a-z]+(?: [a-z]+){1,}[^'`]*)['`]/g)) {
      assert.fail(`${f}: literal text ${JSON.stringify(sentence)} belongs in the catalog`);
    }
  }
  for (const [prefix, keys] of Object.entries(dynamic)) for (const k of keys) assert.ok(prefix + k in en, `${prefix}${k}`);
  // Keys built from a list in the view (t(`kind.${k}`) for k of KINDS): each
  // member of the list, as the source declares it, has its message.
  for (const [file, list, prefix] of LISTED) {
    const src = readFileSync(join(JS, file), 'utf8');
    const m = new RegExp(`const ${list} = \\[([^\\]]*)\\]`).exec(src);
    assert.ok(m, `${file}: no list ${list}`);
    const items = [...m[1].matchAll(/'([\w]+)'/g)].map((x) => x[1]);
    assert.ok(items.length, `${file}: ${list} is empty`);
    for (const k of items) assert.ok(prefix + k in en, `${file}: ${list} holds ${k}, but ${prefix}${k} is not in the catalog`);
    assert.ok(src.includes(`\`${prefix}\${`), `${file}: ${prefix}* keys are not built from ${list}`);
  }
  for (const s of ['active', 'pending', 'accepted', 'declined', 'inactive', 'deactivated', 'ended', 'expired']) assert.ok(`status.${s}` in en, `status.${s}`);
});

// The audit log shows every action in words: each code of web/js/auditActions.js
// (the same list as shared/audit.Actions, TestActionsMatchWeb) has its message,
// and so does each actor that is not a person.
test('every audit action and system actor has words in the catalog', () => {
  const src = readFileSync(join(JS, 'auditActions.js'), 'utf8');
  const list = (name) => [...new RegExp(`export const ${name} = \\[([^\\]]*)\\]`).exec(src)[1].matchAll(/'([\w.]+)'/g)].map((x) => x[1]);
  const actions = list('AUDIT_ACTIONS');
  assert.ok(actions.length >= 30 && actions.includes('session.participant_joined'), `AUDIT_ACTIONS: ${actions}`);
  for (const c of [de, en]) {
    for (const a of actions) assert.ok(`auditAction.${a}` in c, `auditAction.${a} is missing`);
    for (const a of list('SYSTEM_ACTORS')) assert.ok(`auditActor.${a}` in c, `auditActor.${a} is missing`);
  }
  assert.notEqual(de['auditAction.guest.invited'], en['auditAction.guest.invited']);
  const member = readFileSync(join(JS, 'member.js'), 'utf8');
  assert.ok(member.includes('`auditAction.${') && member.includes('`auditActor.${'), 'member.js does not build its audit words from the lists');
});
