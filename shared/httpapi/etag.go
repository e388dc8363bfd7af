package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// writeList answers a GET for a list with a strong ETag over the encoded
// body, and with 304 and no body when the caller's If-None-Match already names
// it: clients poll open lists, and an unchanged list then costs the reads but
// neither the bytes nor a re-render. The tag is a hash of exactly the bytes
// this caller would receive, so two callers who see different rows of the
// same list never share a tag.
func writeList(w http.ResponseWriter, r *http.Request, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		writeError(w, r, err)
		return
	}
	tag := bodyETag(buf.Bytes())
	w.Header().Set("ETag", tag)
	// The lists hold personal data: nothing may store them, and the client
	// revalidates by sending the tag itself.
	w.Header().Set("Cache-Control", "no-store")
	if etagMatches(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
