// net.js — how a live session looks on a real network: who is reconnecting,
// the relay's connection figures per participant (for the primary), and a
// simple connection bar (for the customer and guests, their own).

import { h } from './ui.js';
import { t, getLang } from './i18n.js';

const num = (x) => new Intl.NumberFormat(getLang(), { maximumFractionDigits: 1 }).format(x || 0);

/** qualityText is one participant's figures in words: round trip, loss, bitrate the relay receives (none while reconnecting: the state says it). */
export const qualityText = (q) => (q.state === 'reconnecting' ? ''
  : t('net.figures', { rtt: num(q.rttMs), loss: num(q.lossPct), kbps: num(q.kbps) }));

/** level rates figures good, fair or poor: loss hurts a picture first, then delay. */
export function level(q) {
  if (q.state === 'reconnecting') return 'poor';
  if (q.lossPct < 2 && q.rttMs < 300) return 'good';
  if (q.lossPct < 8 && q.rttMs < 800) return 'fair';
  return 'poor';
}

/** presenceText tells the others that someone is reconnecting, or back. */
export const presenceText = (p, state) => t(state === 'reconnecting' ? 'net.reconnectingWho' : 'net.backWho', { name: p.name || t('live.someone') });

/** qualityBar is the simple bar: three segments lit by level, and the level in words. */
export function qualityBar() {
  const label = h('span', { class: 'qbar-label' });
  const el = h('div', { class: 'qbar', role: 'status', hidden: true },
    h('span', { class: 'qbar-segs', 'aria-hidden': 'true' }, [1, 2, 3].map(() => h('span', { class: 'qbar-seg' }))), label);
  let last = null;
  const show = () => {
    if (!last) return;
    const lv = level(last);
    el.hidden = false;
    el.dataset.level = lv;
    label.textContent = t('net.bar', { level: t(`net.${lv}`) });
    el.title = qualityText(last);
  };
  return { el, set(q) { last = q; show(); }, reconnecting() { last = { ...(last || {}), state: 'reconnecting' }; show(); } };
}

/** worstText is a participant's worst connection figures from the session's record, or a dash. */
export function worstText(c) {
  if (!c || !(c.worstRttMs || c.worstLossPct || c.lowestKbps)) return '—';
  const x = { rtt: num(c.worstRttMs), loss: num(c.worstLossPct), kbps: num(c.lowestKbps) };
  return c.lowestKbps ? t('net.worstWithRate', x) : t('net.worstFigures', x);
}
