// settings.js — the company's settings: the language its messages are written
// in (the default for its guests) and the time zone its dates are read in.

import { api, orgPath } from './api.js';
import { h, field, loading, failure, errorBox, clearFormError, showFormError, checkForm, announce } from './ui.js';
import { t } from './i18n.js';

// The languages of emails and SMS, each named in the page language (settings.lang.*).
const LANGUAGES = ['de', 'en'];
const langName = (v) => (LANGUAGES.includes(v) ? t(`settings.lang.${v}`) : v);

/**
 * languageSelect picks the language of a guest's emails and SMS; '' leaves it
 * to the company's language. dataField names the API field for errors.
 */
export function languageSelect(dataField = 'language') {
  return h('select', { 'data-field': dataField },
    h('option', { value: '', text: t('settings.companyDefault') }),
    LANGUAGES.map((v) => h('option', { value: v, text: langName(v) })));
}

// zones lists the IANA zones the browser knows, with the current one even if
// it does not.
function zones(current) {
  const list = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return list.includes(current) ? list : [current, ...list];
}

/** settingsSection shows and changes the company's language and time zone. */
export function settingsSection(ctx) {
  const org = ctx.me.actingOrg.orgId;
  const body = h('div', {}, loading(t('settings.loading')));
  const status = h('p', { class: 'settings-status', role: 'status' });

  async function load() {
    body.replaceChildren(loading(t('settings.loading')));
    try {
      const s = await api('GET', orgPath(org));
      const lang = h('select', { 'data-field': 'language', required: true },
        LANGUAGES.map((v) => h('option', { value: v, text: langName(v), selected: v === s.language })));
      const zone = h('select', { 'data-field': 'timeZone', required: true },
        zones(s.timeZone).map((z) => h('option', { value: z, text: z.replaceAll('_', ' '), selected: z === s.timeZone })));
      const num = (name, value, min, max) => h('input', { type: 'number', inputmode: 'numeric', required: true, min, max, step: 1,
        value: String(value ?? ''), 'data-field': name });
      const maxDays = num('maxGuestDays', s.maxGuestDays, 1, 3650);
      const remindDays = num('reminderDays', s.reminderDays, 0, 30);
      const sms = num('smsPerDay', s.smsPerDay ?? 0, 0, 10000);
      const save = h('button', { type: 'submit', class: 'btn primary', text: t('settings.save') });
      const form = h('form', { class: 'settings-form', novalidate: true },
        field(t('app.language'), lang, t('settings.languageHint')),
        field(t('settings.timeZone'), zone, t('settings.timeZoneHint')),
        h('fieldset', { class: 'settings-defaults' }, h('legend', { text: t('settings.defaults') }),
          field(t('settings.maxGuestDays'), maxDays, t('settings.maxGuestDaysHint')),
          field(t('settings.reminderDays'), remindDays, t('settings.reminderDaysHint')),
          field(t('settings.smsPerDay'), sms, t('settings.smsPerDayHint'))),
        errorBox(), h('div', { class: 'actions' }, save), status);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFormError(form);
        status.textContent = '';
        save.disabled = true;
        try {
          checkForm(form);
          const next = await api('PATCH', orgPath(org), {
            language: lang.value, timeZone: zone.value,
            maxGuestDays: Number(maxDays.value), reminderDays: Number(remindDays.value), smsPerDay: Number(sms.value),
          });
          status.textContent = t('settings.savedAs', { language: langName(next.language), zone: next.timeZone });
          announce(t('settings.saved'));
        } catch (err) {
          showFormError(form, err);
        } finally { save.disabled = false; }
      });
      body.replaceChildren(form);
    } catch (err) {
      if (!err.handled) body.replaceChildren(failure(err, load));
    }
  }
  load();
  return h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: t('settings.title') })),
    h('p', { class: 'muted intro', text: t('settings.intro') }), body);
}
