// settings.js — the company's settings: the language its messages are written
// in (the default for its guests) and the time zone its dates are read in.

import { api, orgPath } from './api.js';
import { h, field, loading, failure, errorBox, clearFormError, showFormError, checkForm, announce } from './ui.js';

const LANGUAGES = [['de', 'Deutsch (German)'], ['en', 'English']];

/**
 * languageSelect picks the language of a guest's emails and SMS; '' leaves it
 * to the company's language. dataField names the API field for errors.
 */
export function languageSelect(dataField = 'language') {
  return h('select', { 'data-field': dataField },
    h('option', { value: '', text: 'Company default' }),
    LANGUAGES.map(([v, label]) => h('option', { value: v, text: label })));
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
  const body = h('div', {}, loading('settings'));
  const status = h('p', { class: 'settings-status', role: 'status' });

  async function load() {
    body.replaceChildren(loading('settings'));
    try {
      const s = await api('GET', orgPath(org));
      const lang = h('select', { 'data-field': 'language', required: true },
        LANGUAGES.map(([v, label]) => h('option', { value: v, text: label, selected: v === s.language })));
      const zone = h('select', { 'data-field': 'timeZone', required: true },
        zones(s.timeZone).map((z) => h('option', { value: z, text: z.replaceAll('_', ' '), selected: z === s.timeZone })));
      const save = h('button', { type: 'submit', class: 'btn primary', text: 'Save settings' });
      const form = h('form', { class: 'settings-form', novalidate: true },
        field('Language', lang, 'Emails and SMS to guests are written in it unless you choose another language when inviting.'),
        field('Time zone', zone, 'Dates in emails and SMS are shown in it, and a custom end date lasts to the end of that day here.'),
        errorBox(), h('div', { class: 'actions' }, save), status);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFormError(form);
        status.textContent = '';
        save.disabled = true;
        try {
          checkForm(form);
          const next = await api('PATCH', orgPath(org), { language: lang.value, timeZone: zone.value });
          status.textContent = `Saved: ${LANGUAGES.find(([v]) => v === next.language)?.[1] || next.language}, ${next.timeZone}.`;
          announce('Settings saved.');
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
  return h('section', { class: 'section' }, h('div', { class: 'section-head' }, h('h1', { text: 'Company settings' })),
    h('p', { class: 'muted intro', text: 'How your company’s messages read: their language and the time zone of their dates.' }), body);
}
