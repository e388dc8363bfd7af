package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/page"
)

// pageQuery reads a list request's limit and cursor; the cursor opens only
// for the company, list and filter it was issued for.
func (a *API) pageQuery(r *http.Request, list, filter string) (page.Request, string, error) {
	q := r.URL.Query()
	limit, err := page.ParseLimit(q.Get("limit"))
	if err != nil {
		return page.Request{}, "", err
	}
	scope := page.Scope(r.PathValue("org"), list, filter)
	start, err := a.d.Cursors.Open(scope, q.Get("cursor"))
	if err != nil {
		return page.Request{}, "", err
	}
	return page.Request{Limit: limit, Start: start}, scope, nil
}

// writePage answers one page of a list: body holds the items, and
// nextCursor is added when more follow. Each page has its own ETag.
func (a *API) writePage(w http.ResponseWriter, r *http.Request, scope string, body map[string]any, next page.Key) {
	cursor, err := a.d.Cursors.Seal(scope, next)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if cursor != "" {
		body["nextCursor"] = cursor
	}
	writeList(w, r, body)
}

// list serves a paged list: read the page query, call read, answer.
func list[T any](a *API, w http.ResponseWriter, r *http.Request, name, filter string, read func(page.Request) ([]T, page.Key, error)) {
	pg, scope, err := a.pageQuery(r, name, filter)
	if err != nil {
		writeError(w, r, err)
		return
	}
	items, next, err := read(pg)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	a.writePage(w, r, scope, map[string]any{name: items}, next)
}
