// api.js — the one place that talks to the Guestbridge API under /v1 and keeps
// the session token (sessionStorage: it lives as long as the tab, never in a URL).

import { t } from './i18n.js';

const KEY = 'guestbridge.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** ApiError carries the API's {code, message, field} and the HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.retryAfter = retryAfter || '';
  }
}

// Errors that mean the signed-in session is over: the app returns to sign-in.
const SESSION_OVER = new Set(['session_expired', 'unauthenticated', 'guest_expired', 'guest_ended', 'guest_inactive',
  'guest_declined', 'no_access']);

let authLost = () => {};
/** onAuthLost registers what happens when a signed-in request finds the session over. */
export function onAuthLost(fn) { authLost = fn; }

/**
 * api sends one request. body is sent as JSON when given. With auth (the
 * default) the stored token goes along, and a 401 or an ended guest access
 * clears the session; such errors are marked handled so callers stay quiet.
 */
export async function api(method, path, body, { auth = true } = {}) {
  const headers = { Accept: 'application/json', 'X-Client-Platform': 'web' };
  const tok = auth ? token.get() : null;
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', t('api.offline'));
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code || `http_${res.status}`,
      e.message || t('api.failed', { status: res.status }), e.field, res.headers.get('Retry-After'));
    if (tok && (res.status === 401 || (res.status === 403 && SESSION_OVER.has(err.code)))) {
      err.handled = true;
      authLost(err);
    }
    throw err;
  }
  return data;
}

/** orgPath builds /orgs/{org}/... with every segment escaped. */
export function orgPath(orgId, ...parts) {
  return ['/orgs', orgId, ...parts].map((p, i) => (i ? encodeURIComponent(p) : p)).join('/');
}

/** pageSep is the separator that adds a query parameter to path. */
const pageSep = (path) => (path.includes('?') ? '&' : '?');

/**
 * apiPage reads one page of a list: the items under key and the cursor of
 * the next page ('' at the end).
 */
export async function apiPage(path, key, cursor = '', limit = 50) {
  const r = await api('GET', `${path}${pageSep(path)}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  return { items: (r && r[key]) || [], next: (r && r.nextCursor) || '' };
}

/**
 * apiAll follows a list's cursors to its end (for pickers and the short
 * lists: roles, members, groups, devices, cases), up to max items.
 */
export async function apiAll(path, key, max = 5000) {
  let items = [];
  let cursor = '';
  do {
    const p = await apiPage(path, key, cursor, 200);
    items = items.concat(p.items);
    cursor = p.next;
  } while (cursor && items.length < max);
  return items;
}

let catalogLoad = null;
/** catalog loads the privilege catalog and the built-in roles once per page. */
export function catalog() {
  catalogLoad ||= api('GET', '/privileges', undefined, { auth: false }).catch((e) => { catalogLoad = null; throw e; });
  return catalogLoad;
}

/**
 * revalidate asks whether the list at path changed since etag: it resolves
 * to {changed: false} on 304, else {changed: true, etag}. The body is not
 * read: the view reloads itself through api() when it changed.
 */
export async function revalidate(path, etag) {
  const headers = { Accept: 'application/json', 'X-Client-Platform': 'web' };
  const tok = token.get();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (etag) headers['If-None-Match'] = etag;
  let res;
  try {
    res = await fetch(`/v1${path}`, { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('api.offline'));
  }
  if (res.status === 304) return { changed: false, etag };
  if (!res.ok) {
    let e = {};
    try { e = (await res.json()).error || {}; } catch { /* not JSON */ }
    const err = new ApiError(res.status, e.code || `http_${res.status}`, e.message || t('api.failed', { status: res.status }), e.field);
    if (tok && (res.status === 401 || (res.status === 403 && SESSION_OVER.has(err.code)))) {
      err.handled = true;
      authLost(err);
    }
    throw err;
  }
  res.body?.cancel().catch(() => {});
  return { changed: true, etag: res.headers.get('ETag') || '' };
}
