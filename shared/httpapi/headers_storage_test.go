package httpapi

import (
	"strings"
	"testing"
)

// The bucket's origin is allowed where the client needs it: uploads
// (connect), thumbnails (img) and recordings (media); nowhere else.
func TestCSPStorageOrigins(t *testing.T) {
	csp := BrowserPolicy{RelayOrigins: []string{"wss://relay.example.com"}, StorageOrigins: []string{"https://b.s3.eu-central-1.amazonaws.com"}}.CSP()
	for _, want := range []string{
		"img-src 'self' blob: data: https://b.s3.eu-central-1.amazonaws.com;",
		"media-src 'self' blob: https://b.s3.eu-central-1.amazonaws.com;",
		"connect-src 'self' wss://relay.example.com https://b.s3.eu-central-1.amazonaws.com;",
		"script-src 'self';", "default-src 'self';",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}
