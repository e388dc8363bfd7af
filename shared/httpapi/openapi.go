package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/openapi"
)

// openAPIDoc serves the API's contract. It holds nothing personal and
// changes only with a deploy, so unlike every other answer it may be cached,
// by browsers and by shared caches alike; the ETag lets a client revalidate.
func (a *API) openAPIDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", openapi.ETag)
	w.Header().Set("Cache-Control", "public, max-age=300")
	if etagMatches(r.Header.Get("If-None-Match"), openapi.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openapi.JSON)
}
